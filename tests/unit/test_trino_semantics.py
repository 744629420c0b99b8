"""The local Athena answers like Athena engine v3 (Trino), or refuses in one line.

Each case: one tiny table, the query, and the answer (values and Trino types) Athena gives according
to the Trino documentation (`trinodb/trino` docs/src/main/sphinx/..., cited per case) or to hand
computation from it. Nothing here was produced by running the local engine. DuckDB runs in-process on
in-memory tables: no endpoint, no Spark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pytest

from lakehouse.engine.dialect import NotSupportedLocally
from lakehouse.engine.local import connect, run
from lakehouse.engine.output import cell
from lakehouse.errors import QueryError

D = Decimal


@dataclass
class Case:
    id: str
    doc: str  # where the expected answer comes from
    table: str  # DuckDB SELECT creating the tiny table `t`
    query: str  # Athena SQL
    rows: list[tuple] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    columns: list[str] | None = None


EXACT = [
    # -- date/time arithmetic and result types ------------------------------------------------------
    Case(
        "date_diff_counts_whole_units",
        "functions/datetime.md, date_diff(unit, timestamp1, timestamp2): timestamp2 - timestamp1 in whole units",
        "SELECT TIMESTAMP '2024-01-01 23:00:00' AS a, TIMESTAMP '2024-01-02 01:00:00' AS b",
        "SELECT date_diff('day', a, b), date_diff('hour', a, b), date_diff('minute', b, a) FROM t",
        [(0, 2, -120)],
        ["bigint", "bigint", "bigint"],
    ),
    Case(
        "date_diff_months_and_years_on_dates",
        "functions/datetime.md, date_diff: Jan 15 -> Mar 14 is one whole month; "
        "Jun 1 2023 -> May 31 2024 no whole year",
        "SELECT DATE '2024-01-15' AS a, DATE '2024-03-14' AS b, DATE '2023-06-01' AS c, DATE '2024-05-31' AS d",
        "SELECT date_diff('month', a, b), date_diff('year', c, d), date_diff('day', c, d) FROM t",
        [(1, 0, 365)],
        ["bigint", "bigint", "bigint"],
    ),
    Case(
        "date_add_on_a_date_is_a_date",
        "functions/datetime.md, date_add(unit, value, timestamp) -> [same as input]; "
        "month end clamps (Jan 31 + 1 month)",
        "SELECT DATE '2024-01-31' AS d",
        "SELECT date_add('day', 1, d), date_add('month', 1, d), date_add('year', -1, d) FROM t",
        [(date(2024, 2, 1), date(2024, 2, 29), date(2023, 1, 31))],
        ["date", "date", "date"],
    ),
    Case(
        "date_plus_interval_is_a_date",
        "functions/datetime.md, operators: date '2012-08-08' + interval '2' day = 2012-08-10 (a date)",
        "SELECT DATE '2012-08-08' AS d",
        "SELECT d + INTERVAL '2' DAY, d - INTERVAL '1' MONTH FROM t",
        [(date(2012, 8, 10), date(2012, 7, 8))],
        ["date", "date"],
    ),
    Case(
        "timestamp_plus_interval_is_a_timestamp",
        "functions/datetime.md, operators: timestamp '2012-08-08 01:00' + interval '29' hour "
        "= 2012-08-09 06:00:00.000",
        "SELECT TIMESTAMP '2012-08-08 01:00:00' AS ts",
        "SELECT ts + INTERVAL '29' HOUR FROM t",
        [(datetime(2012, 8, 9, 6, 0),)],
        ["timestamp(3)"],
    ),
    Case(
        "date_trunc_keeps_the_timestamp_type",
        "functions/datetime.md, date_trunc(unit, x) -> [same as input]; example day -> 2001-08-22 00:00:00.000",
        "SELECT TIMESTAMP '2001-08-22 03:04:05.321' AS ts, DATE '2001-08-22' AS d",
        "SELECT date_trunc('day', ts), date_trunc('hour', ts), date_trunc('month', d) FROM t",
        [(datetime(2001, 8, 22), datetime(2001, 8, 22, 3), date(2001, 8, 1))],
        ["timestamp(3)", "timestamp(3)", "date"],
    ),
    Case(
        "day_of_week_is_iso_sunday_is_7",
        "functions/datetime.md, day_of_week(x): ISO day of the week, 1 (Monday) to 7 (Sunday); "
        "extract(DOW) is day_of_week",
        "SELECT DATE '2024-01-07' AS sunday, DATE '2024-01-08' AS monday",
        "SELECT extract(DOW FROM sunday), day_of_week(sunday), dow(monday), extract(DAY_OF_WEEK FROM monday) FROM t",
        [(7, 7, 1, 1)],
        ["bigint", "bigint", "bigint", "bigint"],
    ),
    Case(
        "week_and_year_of_week_are_iso",
        "functions/datetime.md, week(x): ISO week of the year (1-53); year_of_week(x): the ISO week's year; "
        "2024-12-30 is a Monday in ISO week 1 of 2025",
        "SELECT DATE '2024-12-30' AS d, DATE '2024-12-31' AS last",
        "SELECT week(d), year_of_week(d), day_of_year(last), extract(DOY FROM last) FROM t",
        [(1, 2025, 366, 366)],
        ["bigint", "bigint", "bigint", "bigint"],
    ),
    Case(
        "sequence_of_dates_is_an_array_of_dates",
        "functions/array.md, sequence(start, stop): dates from start to stop, incrementing by 1 day",
        "SELECT DATE '2024-02-28' AS a, DATE '2024-03-01' AS b",
        "SELECT sequence(a, b), sequence(1, 5, 2) FROM t",
        [([date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)], [1, 3, 5])],
        ["array(date)", "array(bigint)"],
    ),
    Case(
        "cast_timestamp_to_varchar_keeps_milliseconds",
        "language/types.md, timestamp(P): default precision 3, printed with 3 fractional digits",
        "SELECT TIMESTAMP '2020-06-10 15:55:23.380' AS ts, DATE '2020-06-10' AS d",
        "SELECT CAST(ts AS varchar), CAST(d AS varchar) FROM t",
        [("2020-06-10 15:55:23.380", "2020-06-10")],
        ["varchar", "varchar"],
    ),
    Case(
        "format_datetime_uses_joda_patterns",
        "functions/datetime.md, format_datetime(timestamp, format): Joda-Time format "
        "(yyyy year, MM month, dd day, HH hour, mm minute, ss second, SSS millisecond, EEE day name)",
        "SELECT TIMESTAMP '2012-10-31 01:02:03.004' AS ts",
        "SELECT format_datetime(ts, 'yyyy-MM-dd HH:mm:ss.SSS'), format_datetime(ts, 'EEE d MMM yy') FROM t",
        [("2012-10-31 01:02:03.004", "Wed 31 Oct 12")],
        ["varchar", "varchar"],
    ),
    Case(
        "from_unixtime_is_a_timestamp_with_time_zone",
        "functions/datetime.md, from_unixtime(unixtime) -> timestamp(3) with time zone (session zone UTC on Athena)",
        "SELECT 86400 AS s",
        "SELECT from_unixtime(s), typeof(from_unixtime(s)), typeof(now()) FROM t",
        [
            (
                datetime.fromisoformat("1970-01-02T00:00:00+00:00"),
                "timestamp(3) with time zone",
                "timestamp(3) with time zone",
            )
        ],
        ["timestamp(3) with time zone", "varchar", "varchar"],
    ),
    # -- integer and decimal arithmetic ---------------------------------------------------------------
    Case(
        "integer_division_truncates",
        "functions/math.md, operators: / division (integer division performs truncation); % modulus",
        "SELECT 5 AS a, -7 AS b, 2 AS c",
        "SELECT a / c, b / c, b % c, 5 / 2 FROM t",
        [(2, -3, -1, 2)],
        ["integer", "integer", "integer", "integer"],
    ),
    Case(
        "bigint_division_stays_bigint",
        "functions/math.md, / on bigint operands truncates; the result is the wider operand type",
        "SELECT CAST(7 AS BIGINT) AS a, 2 AS b",
        "SELECT a / b, typeof(a / b) FROM t",
        [(3, "bigint")],
        ["bigint", "varchar"],
    ),
    Case(
        "double_division_by_zero_is_infinity",
        "language/types.md, double: IEEE 754 binary64, so 1.0E0 / 0 = Infinity (no error)",
        "SELECT CAST(1 AS DOUBLE) AS x",
        "SELECT x / 0, x / 4 FROM t",
        [(math.inf, 0.25)],
        ["double", "double"],
    ),
    Case(
        "try_turns_division_by_zero_into_null",
        "functions/conditional.md, try(expression): NULL instead of the division-by-zero error",
        "SELECT 10 AS total, 0 AS packages",
        "SELECT try(total / packages), coalesce(try(total / packages), 0) FROM t",
        [(None, 0)],
        ["integer", "integer"],
    ),
    Case(
        "decimal_divided_by_bigint_is_a_decimal_rounded_half_up",
        "functions/decimal.md, x / y: decimal(min(38, xp + ys + max(0, ys - xs)), max(xs, ys)), rounded; "
        "bigint is decimal(19,0): 10.26 / 4 = 2.565 -> 2.57, -10.26 / 4 -> -2.57",
        "SELECT CAST(10.26 AS DECIMAL(10,2)) AS p, CAST(-10.26 AS DECIMAL(10,2)) AS n, CAST(4 AS BIGINT) AS q",
        "SELECT p / q, n / q, p / CAST(3 AS DECIMAL(3,1)) FROM t",
        [(D("2.57"), D("-2.57"), D("3.42"))],
        ["decimal(10,2)", "decimal(10,2)", "decimal(11,2)"],
    ),
    Case(
        "decimal_addition_and_multiplication_types",
        "functions/decimal.md, x + y: decimal(min(38, 1 + max(xs, ys) + max(xp - xs, yp - ys)), max(xs, ys)); "
        "x * y: decimal(min(38, xp + yp), xs + ys); bigint is decimal(19,0)",
        "SELECT CAST(10.25 AS DECIMAL(10,2)) AS p, CAST(4 AS BIGINT) AS n, CAST(1.5 AS DECIMAL(4,1)) AS f",
        "SELECT p + n, p * f, p - f FROM t",
        [(D("14.25"), D("15.375"), D("8.75"))],
        ["decimal(22,2)", "decimal(14,3)", "decimal(11,2)"],
    ),
    Case(
        "decimal_literal_is_a_decimal",
        "language/types.md, decimal: a literal such as 2.5 is DECIMAL(2,1); functions/decimal.md division rules: "
        "2.5 / 2 = 1.25 -> decimal(2,1) rounded half up = 1.3",
        "SELECT 1 AS one",
        "SELECT typeof(2.5), 2.5 / 2, 100.0 * 1 FROM t",
        [("decimal(2,1)", D("1.3"), D("100.0"))],
        ["varchar", "decimal(2,1)", "decimal(14,1)"],
    ),
    Case(
        "avg_of_a_decimal_is_a_decimal",
        "functions/aggregate.md, avg(x) -> [same as input] for decimal: (1.00 + 1.01) / 2 = 1.005 -> 1.01 (HALF_UP)",
        "SELECT CAST(v AS DECIMAL(10,2)) AS amount FROM (VALUES (1.00), (1.01), (NULL)) v(v)",
        "SELECT avg(amount), sum(amount), count(amount) FROM t",
        [(D("1.01"), D("2.01"), 2)],
        ["decimal(10,2)", "decimal(38,2)", "bigint"],
    ),
    Case(
        "types_flow_out_of_a_cte",
        "functions/aggregate.md sum(decimal(10,2)) -> decimal(38,2); functions/decimal.md: / bigint keeps "
        "decimal(38,2), rounded half up: 20.01 / 2 = 10.005 -> 10.01",
        "SELECT CAST(v AS DECIMAL(10,2)) AS p FROM (VALUES (10.00), (10.01)) x(v)",
        "WITH s AS (SELECT sum(p) AS total, count(*) AS n FROM t) SELECT total / n, typeof(total) FROM s",
        [(D("10.01"), "decimal(38,2)")],
        ["decimal(38,2)", "varchar"],
    ),
    Case(
        "avg_of_integers_is_a_double_and_sum_a_bigint",
        "functions/aggregate.md, avg(x) -> double for integer input; sum(x) -> bigint for integer input",
        "SELECT v FROM (VALUES (1), (2)) v(v)",
        "SELECT avg(v), sum(v) FROM t",
        [(1.5, 3)],
        ["double", "bigint"],
    ),
    Case(
        "round_of_a_decimal_keeps_its_scale",
        "functions/math.md, round(x, d) -> [same as input] (decimal(p+1, s) to hold a carry): round(1.25, 1) = 1.30",
        "SELECT CAST(1.25 AS DECIMAL(10,2)) AS p, CAST(-2.5 AS DOUBLE) AS x",
        "SELECT round(p, 1), round(x) FROM t",
        [(D("1.30"), -3.0)],
        ["decimal(11,2)", "double"],
    ),
    Case(
        "cast_double_to_integer_rounds_half_away_from_zero",
        "functions/conversion.md, cast double -> integer rounds to the nearest integer like round() in "
        "functions/math.md (half away from zero): 2.5 -> 3, -2.5 -> -3, 3.5 -> 4",
        "SELECT CAST(2.5 AS DOUBLE) AS a, CAST(-2.5 AS DOUBLE) AS b, CAST(3.5 AS DOUBLE) AS c",
        "SELECT CAST(a AS integer), CAST(b AS integer), CAST(c AS bigint) FROM t",
        [(3, -3, 4)],
        ["integer", "integer", "bigint"],
    ),
    Case(
        "floor_and_sign_keep_the_input_type",
        "functions/math.md, floor(x) -> [same as input]; sign(x) -> [same as input]",
        "SELECT CAST(-1.5 AS DOUBLE) AS x, -5 AS n",
        "SELECT floor(x), ceil(x), sign(n), sign(x), abs(n) FROM t",
        [(-2.0, -1.0, -1, -1.0, 5)],
        ["double", "double", "integer", "double", "integer"],
    ),
    Case(
        "date_format_mysql_specifiers",
        "functions/datetime.md, date_format example: date_format(timestamp '2022-10-20 05:10:00', '%m-%d-%Y %H') "
        "-> '10-20-2022 05'; %i minutes, %s seconds, %W weekday name",
        "SELECT TIMESTAMP '2022-10-20 05:10:00' AS ts",
        "SELECT date_format(ts, '%m-%d-%Y %H'), date_format(ts, '%H:%i:%s %W') FROM t",
        [("10-20-2022 05", "05:10:00 Thursday")],
        ["varchar", "varchar"],
    ),
    Case(
        "arithmetic_on_now_stays_a_timestamp_with_time_zone",
        "functions/datetime.md, now() -> timestamp(3) with time zone; + interval keeps the type",
        "SELECT 1 AS one",
        "SELECT typeof(now() - INTERVAL '1' DAY), now() - INTERVAL '1' DAY < now() FROM t",
        [("timestamp(3) with time zone", True)],
        ["varchar", "boolean"],
    ),
    # -- strings ------------------------------------------------------------------------------------------
    Case(
        "trim_removes_whitespace_not_only_spaces",
        "functions/string.md, trim(string): removes leading and trailing whitespace (tab and newline too)",
        "SELECT chr(9) || ' a b ' || chr(10) AS s",
        "SELECT trim(s), length(trim(s)) FROM t",
        [("a b", 3)],
        ["varchar", "bigint"],
    ),
    Case(
        "substr_positions",
        "functions/string.md, substr(string, start[, length]): positions start with 1, a negative start counts "
        "from the end: substr('abcdef', -2) = 'ef', substr('abcdef', 2, 3) = 'bcd'",
        "SELECT 'abcdef' AS s",
        "SELECT substr(s, -2), substr(s, 2, 3), substring(s, 5) FROM t",
        [("ef", "bcd", "ef")],
        ["varchar", "varchar", "varchar"],
    ),
    Case(
        "concat_and_varchar_length_casts",
        "functions/string.md, concat(string1, ..., stringN) is ||: NULL if an argument is NULL; "
        "language/types.md varchar(n): a cast to varchar(3) keeps the first 3 characters",
        "SELECT 'abc' AS s, CAST(NULL AS VARCHAR) AS n",
        "SELECT concat(s, '-', s), concat(s, n), CAST('abcdef' AS varchar(3)) FROM t",
        [("abc-abc", None, "abc")],
        ["varchar", "varchar", "varchar"],
    ),
    # -- NULL versus empty ----------------------------------------------------------------------------
    Case(
        "split_part_past_the_last_field_is_null",
        "functions/string.md, split_part: if the index is larger than the number of fields, NULL is returned",
        "SELECT 'a,b' AS s",
        "SELECT split_part(s, ',', 2), split_part(s, ',', 3) FROM t",
        [("b", None)],
        ["varchar", "varchar"],
    ),
    Case(
        "regexp_extract_no_match_is_null",
        "functions/regexp.md, regexp_extract examples: ('1a 2b 14m', '\\d+') -> '1'; "
        "('1a 2b 14m', '(\\d+)([a-z]+)', 2) -> 'a'; NULL when the pattern does not match",
        "SELECT '1a 2b 14m' AS s",
        "SELECT regexp_extract(s, '\\d+'), regexp_extract(s, '(\\d+)([a-z]+)', 2), regexp_extract(s, 'x+') FROM t",
        [("1", "a", None)],
        ["varchar", "varchar", "varchar"],
    ),
    Case(
        "regexp_replace_dollar_group_references",
        "functions/regexp.md, regexp_replace examples: ('1a 2b 14m', '(\\d+)([ab]) ', '3c$2 ') -> '3ca 3cb 14m'; "
        "('1a 2b 14m', '\\d+[ab] ') -> '14m'",
        "SELECT '1a 2b 14m' AS s",
        "SELECT regexp_replace(s, '(\\d+)([ab]) ', '3c$2 '), regexp_replace(s, '\\d+[ab] '), "
        "regexp_replace(s, 'm', '\\$') FROM t",
        [("3ca 3cb 14m", "14m", "1a 2b 14$")],
        ["varchar", "varchar", "varchar"],
    ),
    # -- JSON ------------------------------------------------------------------------------------------
    Case(
        "json_extract_scalar_of_an_object_is_null",
        "functions/json.md, json_extract_scalar: the value at json_path must be a scalar, else NULL; "
        "example ('[1, 2, 3]', '$[2]') -> '3'",
        'SELECT \'{"a": {"b": 1}, "c": "z"}\' AS j, \'[1, 2, 3]\' AS arr',
        "SELECT json_extract_scalar(j, '$.a'), json_extract_scalar(j, '$.c'), json_extract_scalar(arr, '$[2]'), "
        "json_extract_scalar('not json', '$.a') FROM t",
        [(None, "z", "3", None)],
        ["varchar", "varchar", "varchar", "varchar"],
    ),
    Case(
        "json_array_length",
        "functions/json.md, json_array_length('[1, 2, 3]') -> 3; NULL for a JSON value that is not an array",
        "SELECT '[1, 2, 3]' AS a, '{\"x\": 1}' AS o",
        "SELECT json_array_length(a), json_array_length(o) FROM t",
        [(3, None)],
        ["bigint", "bigint"],
    ),
    # -- maps and arrays -------------------------------------------------------------------------------
    Case(
        "element_at_absent_key_is_null_and_cardinality_counts_entries",
        "functions/map.md, element_at(map, key): NULL if the key is not contained; cardinality(x) -> bigint",
        "SELECT MAP(['a', 'b'], [1, 2]) AS m, [10, 20, 30] AS arr",
        "SELECT m['a'], element_at(m, 'zz'), cardinality(m), arr[3], element_at(arr, 5), cardinality(arr) FROM t",
        [(1, None, 2, 30, None, 3)],
        ["integer", "integer", "bigint", "integer", "integer", "bigint"],
    ),
    Case(
        "unnest_a_map_into_key_and_value",
        "language/select.md, UNNEST: a map expands into two columns, key and value",
        "SELECT 1 AS id, MAP(['a', 'b'], [1, 2]) AS m",
        "SELECT id, k, v FROM t CROSS JOIN UNNEST(m) AS u(k, v) ORDER BY k",
        [(1, "a", 1), (1, "b", 2)],
        ["integer", "varchar", "integer"],
        ["id", "k", "v"],
    ),
    Case(
        "map_agg_builds_a_map",
        "functions/aggregate.md, map_agg(key, value) -> map(K, V) from the input key/value pairs",
        "SELECT k, v FROM (VALUES ('a', 1), ('b', 2)) x(k, v)",
        "SELECT map_agg(k, v) FROM t",
        [({"a": 1, "b": 2},)],
        ["map(varchar, integer)"],
    ),
    Case(
        "any_all_none_match_three_valued",
        "functions/array.md, any_match/all_match/none_match: true/false, NULL when the predicate is NULL for some "
        "elements and decides nothing for the others; all_match of an empty array is true",
        "SELECT [1, NULL] AS a, [2, 3] AS b, CAST([] AS INTEGER[]) AS e",
        "SELECT any_match(a, x -> x > 1), any_match(b, x -> x > 2), all_match(a, x -> x > 0), "
        "all_match(e, x -> x > 0), none_match(b, x -> x > 5), none_match(a, x -> x > 0) FROM t",
        [(None, True, None, True, True, False)],
        ["boolean"] * 6,
    ),
    # -- URLs ----------------------------------------------------------------------------------------
    Case(
        "url_extract_host_and_path",
        "functions/url.md, url_extract_host / url_extract_path of [protocol:][//host[:port]][path][?query][#fragment]",
        "SELECT 'http://www.example.com:80/stuff/index.html?a=1#frag' AS u, 'not a url' AS bad",
        "SELECT url_extract_host(u), url_extract_path(u), url_extract_host(bad) FROM t",
        [("www.example.com", "/stuff/index.html", None)],
        ["varchar", "varchar", "varchar"],
    ),
    # -- time zones ----------------------------------------------------------------------------------
    Case(
        "at_time_zone_shows_the_instant_in_that_zone",
        "functions/datetime.md, time zone conversion: timestamp '2012-10-31 01:00 UTC' AT TIME ZONE "
        "'America/Los_Angeles' -> 2012-10-30 18:00:00.000 America/Los_Angeles (plain timestamps are UTC on Athena)",
        "SELECT TIMESTAMP '2012-10-31 01:00:00' AS ts",
        "SELECT ts AT TIME ZONE 'America/Los_Angeles', hour(ts AT TIME ZONE 'America/Los_Angeles'), "
        "CAST(at_timezone(ts, 'Asia/Tokyo') AS varchar) FROM t",
        [("2012-10-30 18:00:00.000 America/Los_Angeles", 18, "2012-10-31 10:00:00.000 Asia/Tokyo")],
        ["timestamp(3) with time zone", "bigint", "varchar"],
    ),
    # -- typeof, naming -------------------------------------------------------------------------------
    Case(
        "typeof_prints_trino_type_names",
        "functions/conversion.md, typeof examples: typeof(123) -> integer; typeof('cat') -> varchar(3); "
        "language/types.md timestamp(3) is Athena's timestamp",
        "SELECT TIMESTAMP '2020-01-01 00:00:00' AS ts, CAST(1.5 AS DECIMAL(12,2)) AS p, 'x' AS s",
        "SELECT typeof(123), typeof('cat'), typeof(ts), typeof(p), typeof(s), typeof(count(*)) FROM t",
        [("integer", "varchar(3)", "timestamp(3)", "decimal(12,2)", "varchar", "bigint")],
        ["varchar"] * 6,
    ),
    Case(
        "unaliased_columns_are_named_col_and_position",
        "Athena/Trino result naming: an expression without an alias is _col<position>, a column keeps its name",
        "SELECT 1 AS a",
        "SELECT count(*), a, a + 1, a AS b FROM t GROUP BY a",
        [(1, 1, 2, 1)],
        ["bigint", "integer", "integer", "integer"],
        ["_col0", "a", "_col2", "b"],
    ),
    Case(
        "approx_distinct_is_exact_locally",
        "functions/aggregate.md, approx_distinct (standard error 2.3%): the exact count is within its bound",
        "SELECT v FROM (VALUES (1), (2), (2), (3), (NULL)) x(v)",
        "SELECT approx_distinct(v), approx_percentile(v, 0.5) FROM t",
        [(3, 2)],
        ["bigint", "integer"],
    ),
]


@pytest.fixture(scope="module")
def con():
    c = connect()
    yield c
    c.close()


def answer(con, table: str, query: str):
    con.execute(f"CREATE OR REPLACE TABLE t AS {table}")
    return run(con, query, "main")


def _comparable(value):
    """Timestamps with a zone compare by their printed form (value and zone), like Athena shows them."""
    if isinstance(value, datetime) and value.tzinfo is not None and not isinstance(value, str):
        return cell(value)
    return value


@pytest.mark.parametrize("case", EXACT, ids=[c.id for c in EXACT])
def test_exact_answer(con, case: Case):
    result = answer(con, case.table, case.query)
    expected_rows = [tuple(_comparable(v) for v in row) for row in case.rows]
    got_rows = [tuple(_comparable(v) for v in row) for row in result.rows]
    for got, want in zip(got_rows, expected_rows, strict=True):
        for g, w in zip(got, want, strict=True):
            assert type(g) is type(w) or (w is None), (case.doc, got, want)
    assert got_rows == expected_rows, case.doc
    assert result.types == case.types, case.doc
    if case.columns is not None:
        assert result.columns == case.columns, case.doc


def test_approximate_aggregates_say_they_are_exact_locally(con):
    result = answer(con, "SELECT 1 AS v", "SELECT approx_distinct(v), approx_percentile(v, 0.5) FROM t")
    assert any("approx_distinct computed exactly locally" in n for n in result.notes)
    assert any("approx_percentile computed exactly locally" in n for n in result.notes)


# -- where Athena fails, the local engine fails too ---------------------------------------------------

FAILS = [
    Case(
        "integer_division_by_zero_fails",
        "functions/conditional.md, try: `total_cost / packages` with packages = 0 fails with 'Division by zero'",
        "SELECT 10 AS a, 0 AS b",
        "SELECT a / b FROM t",
        [("Division by zero",)],
    ),
    Case(
        "decimal_division_by_zero_fails",
        "functions/decimal.md: decimal division by zero fails with 'Division by zero'",
        "SELECT CAST(1.5 AS DECIMAL(10,2)) AS p",
        "SELECT p / 0 FROM t",
        [("Division by zero",)],
    ),
    Case(
        "map_subscript_of_an_absent_key_fails",
        "functions/map.md, subscript operator []: fails when the key is absent (element_at returns NULL)",
        "SELECT MAP(['a'], [1]) AS m",
        "SELECT m['zz'] FROM t",
        [("Key not present in map: zz",)],
    ),
    Case(
        "array_subscript_out_of_range_fails",
        "functions/array.md, subscript operator []: 1-based; past the end fails (element_at returns NULL)",
        "SELECT [10, 20] AS arr",
        "SELECT arr[3] FROM t",
        [("Array subscript must be less than or equal to array length: 3 > 2",)],
    ),
    Case(
        "date_compared_with_a_string_literal_fails",
        "language/types.md + functions/comparison.md: no implicit varchar -> date coercion "
        "(Cannot apply operator: date = varchar(10))",
        "SELECT DATE '2024-01-01' AS d",
        "SELECT count(*) FROM t WHERE d = '2024-01-01'",
        [("Cannot apply operator: date = varchar(10)",)],
    ),
    Case(
        "number_compared_with_a_string_literal_fails",
        "functions/comparison.md: operands must be comparable types (Cannot apply operator: integer > varchar(1))",
        "SELECT 5 AS n",
        "SELECT n FROM t WHERE n > '3'",
        [("Cannot apply operator: integer > varchar(1)",)],
    ),
    Case(
        "cast_of_a_non_integer_string_to_integer_fails",
        "functions/conversion.md, cast: fails when the value cannot be converted ('1.5' is not an integer)",
        "SELECT '1.5' AS s",
        "SELECT CAST(s AS integer) FROM t",
        [("Cannot cast '1.5' to an integer type",)],
    ),
    Case(
        "concatenating_a_number_fails",
        "functions/string.md, || concatenates strings (varchar, char, varbinary), not integers",
        "SELECT 'a' AS s, 1 AS n",
        "SELECT s || n FROM t",
        [("Cannot apply operator: varchar || integer",)],
    ),
    Case(
        "concat_of_a_number_fails",
        "functions/string.md, concat takes strings (or arrays): concat(varchar, integer) has no signature",
        "SELECT 'a' AS s, 1 AS n",
        "SELECT concat(s, n) FROM t",
        [("Unexpected parameters (integer) for function concat",)],
    ),
    Case(
        "date_add_of_hours_to_a_date_fails",
        "functions/datetime.md, date_add on a date takes date units only ('hour' is not a valid DATE field)",
        "SELECT DATE '2024-01-01' AS d",
        "SELECT date_add('hour', 1, d) FROM t",
        [("'hour' is not a valid DATE field",)],
    ),
]


@pytest.mark.parametrize("case", FAILS, ids=[c.id for c in FAILS])
def test_fails_like_athena(con, case: Case):
    with pytest.raises(QueryError) as err:
        answer(con, case.table, case.query)
    assert not isinstance(err.value, NotSupportedLocally)
    assert case.rows[0][0] in str(err.value), case.doc
    assert "\n" not in str(err.value)


def test_try_cast_and_try_subscripts_return_null(con):
    """functions/conversion.md try_cast -> NULL on failure; functions/conditional.md try -> NULL on error."""
    result = answer(
        con,
        "SELECT '1.5' AS s, MAP(['a'], [1]) AS m, [1] AS arr",
        "SELECT try_cast(s AS integer), try(m['zz']), try(arr[2]), try(split_part('a', ',', 0)) FROM t",
    )
    assert result.rows == [(None, None, None, None)]
    assert result.types == ["integer", "integer", "integer", "varchar"]


# -- refused: one line, what and what Athena would do -------------------------------------------------

REFUSED = [
    (
        "unknown_function",
        "SELECT 1 AS a",
        "SELECT levenshtein_distance('a', 'b') FROM t",
        "not supported locally: function levenshtein_distance() "
        "(Athena would run Trino's levenshtein_distance(), which has no checked local equivalent)",
    ),
    (
        "double_to_varchar",
        "SELECT CAST(1.5 AS DOUBLE) AS x",
        "SELECT CAST(x AS varchar) FROM t",
        "not supported locally: CAST of a double or real to varchar "
        "(Athena would print it in scientific notation, e.g. 1.5E0)",
    ),
    (
        "regexp_extract_optional_group",
        "SELECT 'ab' AS s",
        "SELECT regexp_extract(s, 'a(x)?b', 1) FROM t",
        "not supported locally: regexp_extract of a group in a pattern with |, ?, * or {0, "
        "(Athena would return NULL when that group takes no part in the match)",
    ),
    (
        "named_group_reference",
        "SELECT 'ab' AS s",
        "SELECT regexp_replace(s, '(?<x>a)', '${x}') FROM t",
        "not supported locally: regexp_replace replacement '${x}' (Athena would expand named group references)",
    ),
    (
        "format_datetime_zone_letters",
        "SELECT TIMESTAMP '2020-01-01 00:00:00' AS ts",
        "SELECT format_datetime(ts, 'yyyy ZZ') FROM t",
        "not supported locally: format_datetime pattern letters 'ZZ' (Athena would format them with Joda-Time)",
    ),
    (
        "json_path_wildcard",
        "SELECT '{\"a\": [1]}' AS j",
        "SELECT json_extract_scalar(j, '$.a[*]') FROM t",
        "not supported locally: JSON path with a subscript step "
        "(Athena would evaluate Trino's JSONPath (wildcards, slices, recursion))",
    ),
    (
        "date_minus_date",
        "SELECT TIMESTAMP '2020-01-02 00:00:00' AS a, TIMESTAMP '2020-01-01 00:00:00' AS b",
        "SELECT a - b FROM t",
        "not supported locally: subtracting dates or timestamps (Athena would return an interval day to second)",
    ),
    (
        "date_trunc_in_a_zone",
        "SELECT TIMESTAMP '2020-01-01 00:00:00' AS ts",
        "SELECT date_trunc('day', ts AT TIME ZONE 'America/New_York') FROM t",
        "not supported locally: date_trunc of a timestamp with time zone other than UTC "
        "(Athena would truncate in that zone)",
    ),
    (
        "timestamp_text_with_a_t",
        "SELECT 1 AS one",
        "SELECT CAST('2024-01-01T10:00' AS timestamp) FROM t",
        "not supported locally: timestamp text '2024-01-01T10:00' "
        "(Athena would parse it with Trino's timestamp rules or fail)",
    ),
    (
        "date_format_iso_week",
        "SELECT TIMESTAMP '2024-01-01 00:00:00' AS ts",
        "SELECT date_format(ts, '%v') FROM t",
        "not supported locally: date_format format code '%v' (as sqlglot maps it) "
        "(Athena would apply MySQL's specifier or fail)",
    ),
    (
        "run_time_check_inside_try",
        "SELECT '{\"a\": 1.50}' AS j",
        "SELECT try(json_extract_scalar(j, '$.a')) FROM t",
        "not supported locally: json_extract_scalar inside TRY "
        "(Athena would evaluate it, returning NULL only on an error)",
    ),
    (
        "json_number_with_a_fraction",
        "SELECT '{\"a\": 1.50}' AS j",
        "SELECT json_extract_scalar(j, '$.a') FROM t",
        "not supported locally: json_extract_scalar of a JSON number with a fraction or exponent "
        "(Athena would return its text exactly as written)",
    ),
    (
        "information_schema",
        "SELECT 1 AS one",
        "SELECT table_name FROM information_schema.tables",
        "not supported locally: information_schema.tables "
        "(Athena would list the Glue catalog (locally: SHOW TABLES, DESCRIBE))",
    ),
    (
        "decimal_modulus",
        "SELECT CAST(5.5 AS DECIMAL(4,1)) AS p",
        "SELECT p % 2 FROM t",
        "not supported locally: `%` on decimal operands (Athena would return a decimal remainder of Trino's type)",
    ),
    (
        "unnest_with_ordinality",
        "SELECT [1, 2] AS arr",
        "SELECT x, n FROM t CROSS JOIN UNNEST(arr) WITH ORDINALITY AS u(x, n)",
        "not supported locally: UNNEST ... WITH ORDINALITY (Athena would number the elements)",
    ),
    (
        "approx_percentile_with_weight",
        "SELECT 1 AS v, 2 AS w",
        "SELECT approx_percentile(v, w, 0.5) FROM t",
        "not supported locally: approx_percentile with a weight or accuracy "
        "(Athena would weigh the values in its estimate)",
    ),
    (
        "url_path_with_escapes",
        "SELECT 'http://a.com/x%20y' AS u",
        "SELECT url_extract_path(u) FROM t",
        "not supported locally: url_extract_path of a URL with %-escapes (Athena would decode them)",
    ),
]


@pytest.mark.parametrize(("table", "query", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_in_one_line(con, table, query, message):
    with pytest.raises(NotSupportedLocally) as err:
        answer(con, table, query)
    assert str(err.value) == message


def test_pytz_is_pinned_for_time_zone_results():
    """DuckDB needs pytz to return a timestamp with time zone (from_unixtime, now()): pinned in both places."""
    import re
    import tomllib

    from tests.plugin import REPO

    local = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["local"]
    pin = next(d for d in local if d.startswith("pytz=="))
    assert re.fullmatch(r"pytz==\d+\.\d+", pin)
    assert pin in (REPO / "constraints.txt").read_text().splitlines()
