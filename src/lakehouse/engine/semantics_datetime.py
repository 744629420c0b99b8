"""Dates, timestamps and time zones in the local Athena.

Trino's `date_diff` is a `bigint` (the whole-unit count itself is `DuckDBLocal`'s `datesub`),
`date_add` and `date ± INTERVAL` keep the input type (`_date_result`, called for `+` and `-` by
`TrinoSemantics`), `date_trunc` keeps it too, `extract` fields are ISO (`EXTRACT_FIELDS`), `sequence`
of dates is `array(date)`, `AT TIME ZONE` and `at_timezone` mark a value with its zone (read as that
zone's wall clock, compared as the instant), `format_datetime` takes Joda-Time letters (`JODA`,
`joda_to_strftime`) and `date_format`/`date_parse` MySQL specifiers (`MYSQL_FORMAT_CODES`).
`date_diff`, `date_trunc` and date arithmetic on a timestamp in a zone other than UTC are refused.
"""

from __future__ import annotations

import re
from typing import cast

from sqlglot import exp

from lakehouse.engine.refusals import NotSupportedLocally
from lakehouse.engine.semantics_base import ZONE, SemanticsBase
from lakehouse.engine.sqlglot_dialects import tpl
from lakehouse.engine.trino_types import (
    DATE_UNITS,
    INTEGERS,
    SESSION_ZONE,
    TIMESTAMPS,
    TZ_TIMESTAMPS,
    T,
    _is,
    _unit,
    dtype,
    trino_type_name,
)
from lakehouse.errors import QueryError

# extract() fields whose DuckDB name means something else (Trino's DOW is ISO: Monday 1 .. Sunday 7)
EXTRACT_FIELDS = {
    "DOW": "ISODOW",
    "DAYOFWEEK": "ISODOW",
    "DAY_OF_WEEK": "ISODOW",
    "DOY": "DOY",
    "DAYOFYEAR": "DOY",
    "DAY_OF_YEAR": "DOY",
    "YOW": "ISOYEAR",
    "YEAR_OF_WEEK": "ISOYEAR",
    "WEEK": "WEEK",
    "YEAR": "YEAR",
    "QUARTER": "QUARTER",
    "MONTH": "MONTH",
    "DAY": "DAY",
    "HOUR": "HOUR",
    "MINUTE": "MINUTE",
    "SECOND": "SECOND",
}

# Joda-Time pattern letters (format_datetime) -> strftime; anything else is refused
JODA = {
    "yyyy": "%Y",
    "yy": "%y",
    "y": "%Y",
    "MMMM": "%B",
    "MMM": "%b",
    "MM": "%m",
    "M": "%-m",
    "dd": "%d",
    "d": "%-d",
    "HH": "%H",
    "H": "%-H",
    "hh": "%I",
    "h": "%-I",
    "mm": "%M",
    "m": "%-M",
    "ss": "%S",
    "s": "%-S",
    "SSS": "%g",
    "a": "%p",
    "EEEE": "%A",
    "EEE": "%a",
    "DDD": "%j",
}


class DateTimeRules(SemanticsBase):
    """Rewrites of date, timestamp and time zone functions (see the module docstring)."""

    # dates and times --------------------------------------------------------------------------------
    def visit_datediff(self, node: exp.DateDiff) -> exp.Expr | None:
        for arg in (node.this, node.expression):
            if arg.meta.get(ZONE, SESSION_ZONE) != SESSION_ZONE:
                raise NotSupportedLocally(
                    "date_diff of a timestamp with time zone other than UTC", "count units in that zone"
                )
        return self.typed(node, "bigint")

    def _date_result(self, node: exp.Expr, base: exp.Expr, unit: str) -> exp.Expr:
        t = self.type_of(base)
        if t is None:
            raise NotSupportedLocally(
                f"date arithmetic on `{base.sql(dialect='trino')}`, whose type is not known locally",
                "return a value of the argument's type",
            )
        if t.this == T.DATE:
            if unit not in DATE_UNITS:
                raise QueryError(f"'{unit.lower()}' is not a valid DATE field")
            return self.typed(exp.Cast(this=node.copy(), to=dtype("date")), "date")
        if t.this in TIMESTAMPS:
            return self.typed(exp.Cast(this=node.copy(), to=dtype("timestamp")), "timestamp")
        if t.this in TZ_TIMESTAMPS and base.meta.get(ZONE, SESSION_ZONE) == SESSION_ZONE:
            return self.typed(node, "timestamp with time zone")  # UTC: the session zone's calendar
        raise NotSupportedLocally(
            f"date arithmetic on {trino_type_name(t)} in a zone other than UTC",
            "use the calendar of that zone",
        )

    def visit_dateadd(self, node: exp.DateAdd) -> exp.Expr:
        return self._date_result(node, node.this, _unit(node))

    def _interval_unit(self, e: exp.Expr) -> str | None:
        if isinstance(e, exp.Interval):
            unit = e.args.get("unit")
            return _unit(e) if unit is not None else None
        return None

    def visit_timestamptrunc(self, node: exp.Expr) -> exp.Expr:
        t = self.type_of(node.this)
        if t is None:
            raise NotSupportedLocally(
                f"date_trunc of `{node.this.sql(dialect='trino')}`, whose type is not known locally",
                "return a value of the argument's type",
            )
        if node.this.meta.get(ZONE, SESSION_ZONE) != SESSION_ZONE:
            raise NotSupportedLocally(
                "date_trunc of a timestamp with time zone other than UTC", "truncate in that zone"
            )
        name = "date" if t.this == T.DATE else "timestamp" if t.this in TIMESTAMPS else None
        if name is None:
            return node
        return self.typed(exp.Cast(this=node.copy(), to=dtype(name)), name)

    visit_datetrunc = visit_timestamptrunc

    def visit_extract(self, node: exp.Extract) -> exp.Expr:
        name = node.this.name.upper()
        if name not in EXTRACT_FIELDS:
            raise NotSupportedLocally(f"extract({name} FROM ...)", "return Trino's field")
        node.set("this", exp.var(EXTRACT_FIELDS[name]))
        return self.typed(node, "bigint")

    def visit_generateseries(self, node: exp.GenerateSeries) -> exp.Expr:
        # start and end are required arguments of GenerateSeries: args.get() is typed looser than that
        start = cast(exp.Expr, node.args.get("start"))
        end = cast(exp.Expr, node.args.get("end"))
        step = node.args.get("step")
        t, _ = self.known_types(start, end, what="sequence")
        if t.this in INTEGERS:
            args = [start, end] + ([step] if step else [])
            series: exp.Expr = exp.Anonymous(this="generate_series", expressions=[a.copy() for a in args])
            return self.typed(tpl("lh_sequence_check(_s_)", s=series), "array(bigint)")
        if t.this == T.DATE:
            step = step or tpl("INTERVAL 1 DAY")
            series = tpl(
                "list_transform(generate_series(CAST(_a_ AS TIMESTAMP), CAST(_b_ AS TIMESTAMP), _c_), "
                "x -> CAST(x AS DATE))",
                a=start,
                b=end,
                c=step,
            )
            return self.typed(tpl("lh_sequence_check(_s_)", s=series), "array(date)")
        raise NotSupportedLocally(f"sequence of {trino_type_name(t)}", "step through that type")

    def visit_unixtotime(self, node: exp.UnixToTime) -> exp.Expr:
        if node.args.get("zone") is not None or node.args.get("hours") is not None:
            raise NotSupportedLocally("from_unixtime with a time zone", "return a timestamp with that zone")
        return self.typed(node, "timestamp with time zone")

    def visit_currenttimestamp(self, node: exp.Expr) -> exp.Expr:
        return self.typed(node, "timestamp with time zone")

    def visit_attimezone(self, node: exp.AtTimeZone) -> exp.Expr:
        return self._at_zone(node, node.this, node.args.get("zone"))

    def _at_zone(self, node, value: exp.Expr, zone: exp.Expr | None) -> exp.Expr:
        if not isinstance(zone, exp.Literal) or not zone.is_string:
            raise NotSupportedLocally(
                "AT TIME ZONE with a zone that is not a literal", "convert to each row's zone"
            )
        t = self.type_of(value)
        if _is(t, TIMESTAMPS):
            # a plain timestamp is read in the session zone (UTC) and shown in the given zone
            instant: exp.Expr = exp.Anonymous(
                this="timezone", expressions=[exp.Literal.string(SESSION_ZONE), value.copy()]
            )
        elif _is(t, TZ_TIMESTAMPS):
            instant = value.copy()
        else:
            raise NotSupportedLocally(
                f"AT TIME ZONE on `{value.sql(dialect='trino')}` of type {trino_type_name(t) or 'unknown here'}",
                "convert a timestamp",
            )
        instant.meta[ZONE] = zone.name
        return self.typed(instant, "timestamp with time zone")

    def visit_timetostr(self, node: exp.TimeToStr) -> exp.Expr:
        _check_mysql_format(node.args.get("format"), "date_format")
        node.set("this", self._wall_clock(node.this))
        return self.typed(node, "varchar")

    def visit_strtotime(self, node: exp.StrToTime) -> exp.Expr:
        _check_mysql_format(node.args.get("format"), "date_parse")
        return self.typed(node, "timestamp")

    def visit_parsedatetime(self, node: exp.Expr) -> exp.Expr:
        raise NotSupportedLocally(
            "parse_datetime", "parse a Joda-Time pattern into a timestamp with time zone"
        )

    def visit_date(self, node: exp.Date) -> exp.Expr:
        node.set("this", self._wall_clock(node.this))
        return self.typed(node, "date")


# strftime codes sqlglot produces from the MySQL-style specifiers Trino's date_format/date_parse accept
# (%a %b %c %d %e %f %H %h %I %i %j %k %l %M %m %p %r %S %s %T %W %w %x %Y %y %%), each with the
# same meaning in DuckDB; Trino fails on the others (%D %U %u %V %X), %v has no DuckDB equal
MYSQL_FORMAT_CODES = {
    "%a", "%b", "%-m", "%d", "%-d", "%f", "%H", "%I", "%M", "%j", "%-H", "%-I", "%B", "%m", "%p",
    "%S", "%A", "%w", "%G", "%Y", "%y", "%%",
}  # fmt: skip


def _check_mysql_format(fmt: exp.Expr | None, function: str) -> None:
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise NotSupportedLocally(
            f"{function} with a format that is not a literal", "apply each row's format"
        )
    for code in re.findall(r"%-?.", fmt.name):
        if code not in MYSQL_FORMAT_CODES:
            raise NotSupportedLocally(
                f"{function} format code {code!r} (as sqlglot maps it)", "apply MySQL's specifier or fail"
            )


def joda_to_strftime(pattern: str) -> str:
    """A Joda-Time pattern (Trino's format_datetime) as strftime; refuses letters without an exact match."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            end = pattern.find("'", i + 1)
            if end == -1:
                raise QueryError(f"format_datetime: unterminated quote in {pattern!r}")
            literal = pattern[i + 1 : end] or "'"
            out.append(literal.replace("%", "%%"))
            i = end + 1
            continue
        if c.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == c:
                j += 1
            token = pattern[i:j]
            if token not in JODA:
                raise NotSupportedLocally(
                    f"format_datetime pattern letters {token!r}", "format them with Joda-Time"
                )
            out.append(JODA[token])
            i = j
            continue
        out.append("%%" if c == "%" else c)
        i += 1
    return "".join(out)
