"""Query results as text, the way Athena prints them, in every output format (table, csv, json).

Timestamps carry exactly 3 fractional digits (Athena's timestamp(3)); a timestamp with time zone is
followed by its zone; booleans are `true`/`false`; arrays print as `[1, 2]`, maps and rows as
`{k=v}`. In JSON, column names stay distinct: a repeated name gets a `_2`, `_3`, ... suffix (and the
CLI says so) instead of one value silently overwriting another.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal


def _millis(v: datetime | time) -> str:
    return f"{v.microsecond // 1000:03d}"


def _zone_name(v: datetime) -> str:
    tz = v.tzinfo
    key = getattr(tz, "key", None) or getattr(tz, "zone", None) or str(tz)
    return "UTC" if key in ("UTC", "Etc/UTC", "utc") else key


def scalar_text(v) -> str | None:
    """Athena's text for a scalar value, or None when it is not a scalar handled here."""
    if isinstance(v, datetime):
        text = v.strftime("%Y-%m-%d %H:%M:%S.") + _millis(v)
        return f"{text} {_zone_name(v)}" if v.tzinfo is not None else text
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.strftime("%H:%M:%S.") + _millis(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, (bytes, bytearray)):
        return " ".join(f"{b:02x}" for b in v)
    return None


def cell(v) -> str:
    """One value as text (table and csv); NULL is the empty string."""
    if v is None:
        return ""
    return _text(v)


def _text(v) -> str:
    if v is None:
        return "NULL"
    s = scalar_text(v)
    if s is not None:
        return s
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_text(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_text(k)}={_text(x)}" for k, x in v.items()) + "}"
    return str(v)


def json_value(v):
    """One value for JSON: numbers and booleans as such, decimals and timestamps as exact text."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    s = scalar_text(v)
    if s is not None:
        return s
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    if isinstance(v, dict):
        return {_text(k): json_value(x) for k, x in v.items()}
    return str(v)


def distinct_names(columns: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Column names made distinct for JSON objects, and the (old, new) renames that took."""
    seen = set(columns)
    counts: dict[str, int] = {}
    out, renamed = [], []
    for name in columns:
        counts[name] = counts.get(name, 0) + 1
        if counts[name] == 1:
            out.append(name)
            continue
        n = counts[name]
        new = f"{name}_{n}"
        while new in seen:
            n += 1
            new = f"{name}_{n}"
        seen.add(new)
        out.append(new)
        renamed.append((name, new))
    return out, renamed


def json_rows(columns: list[str], rows: list[tuple]) -> tuple[list[dict], list[tuple[str, str]]]:
    names, renamed = distinct_names(columns)
    return [{n: json_value(v) for n, v in zip(names, row, strict=True)} for row in rows], renamed
