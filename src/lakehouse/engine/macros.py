"""DuckDB macros for Trino functions DuckDB lacks or answers differently (installed on every local connection).

Each macro is named `lh_<what>`, documented with the Trino behaviour it reproduces, and used only by
the dialect (`lakehouse.engine.dialect`), never written by users. A macro that must fail the way Trino
fails calls `error(...)` with Trino's message; DuckDB refuses `error()` inside `TRY(...)`, so those
macros have a `lh_try_...` twin returning NULL, which the dialect picks inside TRY.
"""

from __future__ import annotations

import duckdb

MACROS: dict[str, str] = {
    # integer `/` and `%`: truncate toward zero (DuckDB's `//` and `%` do), fail on zero (DuckDB: NULL)
    "lh_idiv": "(a, b) AS CASE WHEN b = 0 THEN error('Division by zero') ELSE a // b END",
    "lh_try_idiv": "(a, b) AS CASE WHEN b = 0 THEN NULL ELSE a // b END",
    "lh_imod": "(a, b) AS CASE WHEN b = 0 THEN error('Division by zero') ELSE a % b END",
    "lh_try_imod": "(a, b) AS CASE WHEN b = 0 THEN NULL ELSE a % b END",
    # n / d of two HUGEINTs rounded half away from zero (Trino's decimal division rounds HALF_UP)
    "lh_div_half_up": (
        "(n, d) AS CASE WHEN n IS NULL OR d IS NULL THEN NULL "
        "WHEN d = 0 THEN error('Division by zero') "
        "WHEN (n < 0) = (d < 0) THEN (abs(n) * 2 + abs(d)) // (2 * abs(d)) "
        "ELSE -((abs(n) * 2 + abs(d)) // (2 * abs(d))) END"
    ),
    "lh_try_div_half_up": (
        "(n, d) AS CASE WHEN n IS NULL OR d IS NULL OR d = 0 THEN NULL "
        "WHEN (n < 0) = (d < 0) THEN (abs(n) * 2 + abs(d)) // (2 * abs(d)) "
        "ELSE -((abs(n) * 2 + abs(d)) // (2 * abs(d))) END"
    ),
    # split_part: NULL past the last field (DuckDB: ''), index < 1 fails
    "lh_split_part": (
        "(s, d, i) AS CASE WHEN i < 1 THEN error('Index must be greater than zero') "
        "WHEN i > len(string_split(s, d)) THEN NULL ELSE split_part(s, d, i) END"
    ),
    "lh_try_split_part": (
        "(s, d, i) AS CASE WHEN i < 1 THEN NULL "
        "WHEN i > len(string_split(s, d)) THEN NULL ELSE split_part(s, d, i) END"
    ),
    # regexp_extract: NULL when the pattern does not match (DuckDB: '')
    "lh_regexp_extract": "(s, p, g) AS CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p, g) END",
    # json_extract_scalar: NULL for objects, arrays and text that is not JSON (DuckDB: the JSON text).
    # Trino returns a number's text as written (1.50), DuckDB re-prints it (1.5): numbers with a fraction
    # or exponent are refused at run time, integers are the same in both
    "lh_json_extract_scalar": (
        "(j, p) AS CASE WHEN NOT json_valid(j) THEN NULL "
        "WHEN json_type(j, p) IN ('OBJECT', 'ARRAY') THEN NULL "
        "WHEN json_type(j, p) = 'DOUBLE' THEN error('not supported locally: json_extract_scalar of a JSON number "
        "with a fraction or exponent (Athena would return its text exactly as written)') "
        "ELSE json_extract_string(j, p) END"
    ),
    "lh_json_extract": (
        "(j, p) AS CASE WHEN NOT json_valid(j) THEN NULL "
        "WHEN regexp_matches(CAST(json_extract(j, p) AS VARCHAR), '[0-9][.eE]') THEN "
        "error('not supported locally: json_extract of JSON holding numbers with a fraction or exponent "
        "(Athena would keep their text as written)') ELSE json_extract(j, p) END"
    ),
    "lh_json_array_length": (
        "(j) AS CASE WHEN json_valid(j) AND json_type(j) = 'ARRAY' THEN CAST(json_array_length(j) AS BIGINT) END"
    ),
    # map[key] fails on an absent key (DuckDB: NULL); element_at(map, key) is NULL
    "lh_map_get": (
        "(m, k) AS CASE WHEN m IS NULL OR k IS NULL THEN NULL WHEN map_contains(m, k) THEN m[k] "
        "ELSE error('Key not present in map: ' || CAST(k AS VARCHAR)) END"
    ),
    # array[i]: 1-based, fails outside 1..cardinality (DuckDB: NULL, and negative counts from the end)
    "lh_array_get": (
        "(a, i) AS CASE WHEN a IS NULL OR i IS NULL THEN NULL "
        "WHEN i = 0 THEN error('SQL array indices start at 1') "
        "WHEN i < 0 THEN error('Array subscript is negative: ' || CAST(i AS VARCHAR)) "
        "WHEN i > len(a) THEN error('Array subscript must be less than or equal to array length: ' "
        "|| CAST(i AS VARCHAR) || ' > ' || CAST(len(a) AS VARCHAR)) ELSE a[i] END"
    ),
    "lh_try_array_get": "(a, i) AS CASE WHEN i BETWEEN 1 AND len(a) THEN a[i] END",
    # CAST(varchar AS integer types): Trino accepts an optionally signed run of digits (DuckDB rounds
    # '1.5' to 2); text with surrounding spaces is refused rather than guessed
    "lh_check_int_text": (
        "(s) AS CASE WHEN s IS NULL OR regexp_matches(s, '^[+-]?[0-9]+$') THEN s "
        "WHEN regexp_matches(s, '^\\s*[+-]?[0-9]+\\s*$') THEN "
        "error('not supported locally: CAST of text with surrounding spaces to an integer type "
        "(Athena would parse or reject it depending on its engine version)') "
        "ELSE error('Cannot cast ''' || s || ''' to an integer type') END"
    ),
    "lh_try_int_text": (
        "(s) AS CASE WHEN s IS NULL OR regexp_matches(s, '^[+-]?[0-9]+$') THEN s "
        "WHEN regexp_matches(s, '^\\s*[+-]?[0-9]+\\s*$') THEN "
        "error('not supported locally: CAST of text with surrounding spaces to an integer type "
        "(Athena would parse or reject it depending on its engine version)') END"
    ),
    # CAST(varchar AS date / timestamp): the canonical forms both engines read alike; others refused
    "lh_check_date_text": (
        "(s) AS CASE WHEN s IS NULL OR regexp_full_match(s, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN s "
        "ELSE error('not supported locally: date text ' || s || ' (Athena would parse it with "
        "Trino''s date rules or fail)') END"
    ),
    "lh_check_timestamp_text": (
        "(s) AS CASE WHEN s IS NULL OR regexp_full_match(s, "
        "'[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)?') THEN s "
        "ELSE error('not supported locally: timestamp text ' || s || ' (Athena would parse it with "
        "Trino''s timestamp rules or fail)') END"
    ),
    # map_agg: rows with a NULL key are skipped; DuckDB fails on duplicate keys rather than pick one
    "lh_map_agg": "(k, v) AS map_from_entries(list({'k': k, 'v': v}) FILTER (WHERE k IS NOT NULL))",
    # url_extract_host / url_extract_path (java.net.URI): NULL for text that is not a URI
    "lh_url_ok": (
        "(u) AS u IS NOT NULL AND regexp_matches(u, '^[A-Za-z][A-Za-z0-9+.-]*:[^ \"<>\\\\^`{|}]*$')"
    ),
    "lh_url_extract_host": (
        "(u) AS CASE WHEN lh_url_ok(u) AND regexp_matches(u, '^[A-Za-z][A-Za-z0-9+.-]*://') THEN "
        "nullif(regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?"
        "([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)"
        "(?::[0-9]*)?(?:[/?#]|$)', 1), '') END"
    ),
    "lh_url_extract_path": (
        "(u) AS CASE WHEN NOT lh_url_ok(u) THEN NULL "
        "WHEN contains(u, '%') THEN error('not supported locally: url_extract_path of a URL with "
        "%-escapes (Athena would decode them)') "
        "WHEN regexp_matches(u, '^[A-Za-z][A-Za-z0-9+.-]*://') THEN "
        "regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*([^?#]*)', 1) "
        "WHEN regexp_matches(u, '^[A-Za-z][A-Za-z0-9+.-]*:/') THEN regexp_extract(u, '^[^:]*:([^?#]*)', 1) "
        "ELSE NULL END"
    ),
    # sequence(): Trino refuses more than 10000 entries
    "lh_sequence_check": (
        "(a) AS CASE WHEN len(a) > 10000 THEN "
        "error('result of sequence function must not have more than 10000 entries') ELSE a END"
    ),
}


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) every macro on a connection."""
    for name, body in MACROS.items():
        con.execute(f"CREATE OR REPLACE MACRO {name}{body}")
