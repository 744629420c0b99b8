"""`lakehouse query` output: Athena's column names and text in every format, notes, and one-line refusals.

The command runs against an in-memory DuckDB set up as the local Athena (no endpoint): `_engine` is
replaced by an engine over tiny tables, so only the query path and the formatting are exercised.
"""

from __future__ import annotations

import json

import pytest

from lakehouse.cli import commands as cli
from lakehouse.engine.local import connect, run


class MemoryEngine:
    def __init__(self):
        self.con = connect()
        self.con.execute(
            "CREATE TABLE t AS SELECT 1 AS a, TIMESTAMP '2024-03-01 08:09:10.5' AS ts, "
            "CAST(12.30 AS DECIMAL(10,2)) AS amount, true AS ok, [1, 2] AS arr, MAP(['k'], [1]) AS m"
        )

    def query(self, sql):
        return run(self.con, sql, "main")

    def close(self):
        self.con.close()


@pytest.fixture
def query(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_engine", lambda settings, target: MemoryEngine())

    def _query(sql, *args):
        code = cli.main(["query", sql, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return _query


def test_timestamps_print_with_three_digits_in_every_format(query):
    sql = "SELECT ts, ts AT TIME ZONE 'America/New_York' AS ny, from_unixtime(0) AS epoch FROM t"
    code, out, _ = query(sql, "--format", "csv")
    assert code == 0
    assert out.splitlines() == [
        "ts,ny,epoch",
        "2024-03-01 08:09:10.500,2024-03-01 03:09:10.500 America/New_York,1970-01-01 00:00:00.000 UTC",
    ]
    code, out, _ = query(sql, "--format", "json")
    assert json.loads(out) == [
        {
            "ts": "2024-03-01 08:09:10.500",
            "ny": "2024-03-01 03:09:10.500 America/New_York",
            "epoch": "1970-01-01 00:00:00.000 UTC",
        }
    ]
    code, out, _ = query(sql)
    assert "2024-03-01 08:09:10.500" in out and "2024-03-01 03:09:10.500 America/New_York" in out


def test_values_print_as_athena_shows_them(query):
    code, out, _ = query("SELECT amount, ok, arr, m, CAST(NULL AS integer) AS n FROM t", "--format", "csv")
    assert code == 0
    assert out.splitlines() == ["amount,ok,arr,m,n", '12.30,true,"[1, 2]",{k=1},']
    code, out, _ = query("SELECT amount, ok, arr, m FROM t", "--format", "json")
    assert json.loads(out) == [{"amount": "12.30", "ok": True, "arr": [1, 2], "m": {"k": 1}}]


def test_unaliased_columns_are_col_n_and_json_keeps_duplicate_names(query):
    code, out, err = query("SELECT a, count(*), a, a + 1 FROM t GROUP BY a", "--format", "json")
    assert code == 0
    assert json.loads(out) == [{"a": 1, "_col1": 1, "a_2": 1, "_col3": 2}]
    assert err == "note: column 'a' appears more than once; its repeat is 'a_2' in the JSON\n"
    code, out, _ = query("SELECT a, count(*), a FROM t GROUP BY a", "--format", "csv")
    assert out.splitlines()[0] == "a,_col1,a"


def test_refusal_is_one_line_and_exit_1(query):
    code, out, err = query("SELECT CAST(1.5E0 AS varchar) FROM t")
    assert code == 1 and out == ""
    assert err == (
        "not supported locally: CAST of a double or real to varchar "
        "(Athena would print it in scientific notation, e.g. 1.5E0)\n"
    )
    code, _, err = query("SELECT url_extract_path('http://a.com/x%20y') FROM t")
    assert code == 1
    assert err == (
        "not supported locally: url_extract_path of a URL with %-escapes (Athena would decode them)\n"
    )


def test_athena_errors_stay_query_failures(query):
    code, _, err = query("SELECT a / 0 FROM t")
    assert code == 1 and err == "query failed: Division by zero\n"
    code, _, err = query("SELECT m['x'] FROM t")
    assert code == 1 and err == "query failed: Key not present in map: x\n"


def test_exact_local_approximations_are_noted(query):
    code, out, err = query("SELECT approx_distinct(a) AS n FROM t", "--format", "json")
    assert code == 0 and json.loads(out) == [{"n": 1}]
    assert err.startswith("note: approx_distinct computed exactly locally")


def test_order_by_the_position_of_an_unnamed_column(query):
    """Trino: ORDER BY 1 sorts by the first output column, named _col0 when unaliased (SELECT, ORDER BY
    clause). qualify had rewritten the ordinal to its own alias `_col_0`, which the renaming orphaned."""
    code, out, _ = query(
        "SELECT concat('x', CAST(a AS varchar)), a FROM t ORDER BY 1 DESC", "--format", "csv"
    )
    assert code == 0
    assert out.splitlines() == ["_col0,a", "x1,1"]


def test_reason_codes_print_as_written_not_as_emoji(capsys):
    """`email_format:email:regex` (rule:column:kind) once printed as `email_format✉regex`."""
    from lakehouse.cli.output import console

    console().print("quarantined 2: email_format:email:regex")
    assert capsys.readouterr().out.strip() == "quarantined 2: email_format:email:regex"
