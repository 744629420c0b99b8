"""Trino's types as sqlglot models them: the type families, Trino's names and decimal parameters.

Every rewrite of the local Athena (`lakehouse.engine.semantics`) picks DuckDB's operation by the
Trino type of its operands; the vocabulary for those types lives here, with no engine state: the type
families (`INTEGERS`, `FLOATS`, `TEXT`, `TIMESTAMPS`, ...), `dtype` (a Trino type by its name),
`trino_type_name` (the name Trino's typeof() prints), the decimal parameters of a type, the type of a
literal and the unit of a date function or interval.
"""

from __future__ import annotations

import re
from typing import TypeGuard, cast

from sqlglot import exp

T = exp.DType
INTEGERS = {T.TINYINT: 3, T.SMALLINT: 5, T.INT: 10, T.BIGINT: 19}  # Trino's decimal precision of each
INTEGER_ORDER = [T.TINYINT, T.SMALLINT, T.INT, T.BIGINT]
FLOATS = {T.DOUBLE, T.FLOAT}
TEXT = {T.VARCHAR, T.TEXT, T.CHAR}
TIMESTAMPS = {T.TIMESTAMP, T.TIMESTAMPNTZ, T.TIMESTAMP_MS, T.TIMESTAMP_S, T.TIMESTAMP_NS, T.DATETIME}
TZ_TIMESTAMPS = {T.TIMESTAMPTZ, T.TIMESTAMPLTZ}
DATE_UNITS = {"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"}
TIME_UNITS = {"MILLISECOND", "SECOND", "MINUTE", "HOUR"}
SESSION_ZONE = "UTC"  # Athena's session time zone; the local connection runs with TimeZone = 'UTC'


def _unit(e: exp.Expr) -> str:
    unit = e.args.get("unit")
    name = (unit.name if unit is not None else "DAY").upper()
    return name[:-1] if name.endswith("S") and name[:-1] in DATE_UNITS | TIME_UNITS else name


def dtype(text: str) -> exp.DataType:
    return exp.DataType.build(text, dialect="trino")


def _is(t: exp.DataType | None, kinds) -> TypeGuard[exp.DataType]:
    return t is not None and t.this in kinds


def _decimal_ps(t: exp.DataType) -> tuple[int, int] | None:
    """(precision, scale) of a decimal type, or of the decimal an integer type coerces to."""
    if t.this in INTEGERS:
        return INTEGERS[t.this], 0
    if t.this == T.DECIMAL:
        params = t.expressions
        if len(params) == 2:
            return int(params[0].name), int(params[1].name)
        if len(params) == 1:
            return int(params[0].name), 0
        return (38, 0) if not params else None
    return None


def trino_type_name(t: exp.DataType | None) -> str | None:
    """The name Trino's typeof() prints for a type (timestamps carry precision 3)."""
    if t is None or t.this in (T.UNKNOWN, T.NULL):
        return None
    if t.this in TIMESTAMPS:
        return "timestamp(3)"
    if t.this in TZ_TIMESTAMPS:
        return "timestamp(3) with time zone"
    if t.this in (T.VARCHAR, T.TEXT):
        return "varchar"
    if t.this == T.DECIMAL:
        ps = _decimal_ps(t)
        return f"decimal({ps[0]},{ps[1]})" if ps else None
    if t.this in (T.ARRAY, T.LIST):
        inner = trino_type_name(t.expressions[0]) if t.expressions else None
        return f"array({inner})" if inner else None
    if t.this == T.MAP:
        k, v = (trino_type_name(x) for x in t.expressions) if len(t.expressions) == 2 else (None, None)
        return f"map({k}, {v})" if k and v else None
    simple = {
        T.BOOLEAN: "boolean",
        T.TINYINT: "tinyint",
        T.SMALLINT: "smallint",
        T.INT: "integer",
        T.BIGINT: "bigint",
        T.DOUBLE: "double",
        T.FLOAT: "real",
        T.DATE: "date",
        T.JSON: "json",
        T.VARBINARY: "varbinary",
        T.BINARY: "varbinary",
        T.UUID: "uuid",
    }
    return simple.get(t.this)


def _decimal_params(t: exp.DataType) -> tuple[int, int]:
    """_decimal_ps of a type the caller has checked is a decimal: never None for one of 0 to 2
    parameters, all that Trino allows."""
    return cast("tuple[int, int]", _decimal_ps(t))


def _named_type(t: exp.DataType) -> str:
    """trino_type_name of a type the caller has checked is a number, date, timestamp or boolean type:
    never None for those."""
    return cast(str, trino_type_name(t))


def _literal_type(lit: exp.Literal) -> exp.DataType | None:
    if lit.is_string:
        return dtype(f"varchar({len(lit.name)})")
    text = lit.name
    if re.search(r"[eE]", text):
        return dtype("double")
    if "." in text:
        whole, frac = text.split(".", 1)
        digits = len(whole.lstrip("0")) + len(frac)
        return dtype(f"decimal({max(digits, 1)},{len(frac)})")
    value = int(text)
    if -(2**31) <= value < 2**31:
        return dtype("integer")
    if -(2**63) <= value < 2**63:
        return dtype("bigint")
    return dtype(f"decimal({len(text)},0)")
