"""Casts, comparisons and typeof in the local Athena: where values change or meet types.

`CAST` follows Trino: double to integer rounds half away from zero, text to integer fails on a
fraction, `varchar(n)` keeps n characters, timestamps print `.SSS`, text to date or timestamp takes
only the forms both engines parse (`DATE_TEXT`, `TIMESTAMP_TEXT`); comparisons do not coerce a string
literal to a date, timestamp, number or boolean (Trino fails); `typeof` prints Trino's type names.
"""

from __future__ import annotations

import re

from sqlglot import exp

from lakehouse.engine.refusals import NotSupportedLocally
from lakehouse.engine.semantics_base import ZONE, SemanticsBase
from lakehouse.engine.sqlglot_dialects import tpl
from lakehouse.engine.trino_types import (
    FLOATS,
    INTEGERS,
    SESSION_ZONE,
    TEXT,
    TIMESTAMPS,
    TZ_TIMESTAMPS,
    T,
    _is,
    _named_type,
    dtype,
    trino_type_name,
)
from lakehouse.errors import QueryError

# the text forms of dates and timestamps parsed the same way by Trino and DuckDB; others are refused
DATE_TEXT = r"\d{4}-\d{2}-\d{2}"
TIMESTAMP_TEXT = r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"


class CastRules(SemanticsBase):
    """Rewrites of casts, comparisons and typeof (see the module docstring)."""

    # casts ------------------------------------------------------------------------------------------
    def visit_cast(self, node: exp.Cast) -> exp.Expr | None:
        value, to = node.this, node.to
        t = self.type_of(value)
        safe = isinstance(node, exp.TryCast) or self.in_try(node)
        if to.this in TEXT:
            if value.meta.get(ZONE) or _is(t, TZ_TIMESTAMPS):
                zone = value.meta.get(ZONE, SESSION_ZONE)
                text = tpl(
                    "strftime(_w_, '%Y-%m-%d %H:%M:%S.%g') || ' ' || _z_",
                    w=self._wall_clock(value),
                    z=exp.Literal.string(zone),
                )
                return self.typed(text, "varchar")
            if _is(t, TIMESTAMPS):
                return self.typed(tpl("strftime(_v_, '%Y-%m-%d %H:%M:%S.%g')", v=value), "varchar")
            if _is(t, FLOATS):
                raise NotSupportedLocally(
                    "CAST of a double or real to varchar", "print it in scientific notation, e.g. 1.5E0"
                )
            if t is None and not isinstance(value, exp.Null):
                raise NotSupportedLocally(
                    f"CAST of `{value.sql(dialect='trino')}` to varchar, whose type is not known locally",
                    "format it by its type",
                )
        if to.this in INTEGERS and _is(t, FLOATS):
            # Trino rounds half away from zero (MathFunctions.round); DuckDB's cast rounds half to even
            node.set("this", exp.Round(this=value.copy()))
        if to.this in INTEGERS and _is(t, TEXT):
            check = tpl("lh_try_int_text(_s_)" if safe else "lh_check_int_text(_s_)", s=value)
            node.set("this", check)
        if to.this in TEXT and to.expressions:
            if not _is(t, TEXT):
                raise NotSupportedLocally(
                    f"CAST of {trino_type_name(t) or 'a value'} to {to.sql(dialect='trino').lower()}",
                    "fail when the text does not fit the length",
                )
            n = int(to.expressions[0].name)
            out = exp.Anonymous(this="left", expressions=[value.copy(), exp.Literal.number(n)])
            return self.typed(out, "varchar")
        if to.this in (T.DATE, *TIMESTAMPS) and _is(t, TEXT):
            kind = "date" if to.this == T.DATE else "timestamp"
            if isinstance(value, exp.Literal):
                if not re.fullmatch(DATE_TEXT if kind == "date" else TIMESTAMP_TEXT, value.name):
                    raise NotSupportedLocally(
                        f"{kind} text {value.name!r}", f"parse it with Trino's {kind} rules or fail"
                    )
            else:
                check_fn = "lh_check_date_text" if kind == "date" else "lh_check_timestamp_text"
                node.set("this", tpl(f"{check_fn}(_s_)", s=value))
        if to.this in (T.DATE, *TIMESTAMPS) and _is(t, TZ_TIMESTAMPS):
            node.set("this", self._wall_clock(value))
        if to.this in TIMESTAMPS:
            to = dtype("timestamp")
        return self.typed(node, to)

    visit_trycast = visit_cast

    # comparisons: Trino does not coerce a string literal to a date, timestamp or number -----------------
    def _no_string_coercion(self, op: str, left: exp.Expr, right: exp.Expr) -> None:
        for a, b in ((left, right), (right, left)):
            ta = self.type_of(a)
            not_text = {T.DATE, *TIMESTAMPS, *TZ_TIMESTAMPS, *INTEGERS, *FLOATS, T.DECIMAL, T.BOOLEAN}
            if isinstance(b, exp.Literal) and b.is_string and ta is not None and ta.this in not_text:
                raise QueryError(
                    f"Cannot apply operator: {trino_type_name(ta)} {op} varchar({len(b.name)}) "
                    f"(Athena fails too: write {_named_type(ta).split('(')[0].upper()} '{b.name}')"
                )

    def _compare(self, node: exp.Binary, op: str) -> exp.Expr:
        self._no_string_coercion(op, node.left, node.right)
        return self.typed(node, "boolean")

    def visit_eq(self, node):
        return self._compare(node, "=")

    def visit_neq(self, node):
        return self._compare(node, "<>")

    def visit_lt(self, node):
        return self._compare(node, "<")

    def visit_lte(self, node):
        return self._compare(node, "<=")

    def visit_gt(self, node):
        return self._compare(node, ">")

    def visit_gte(self, node):
        return self._compare(node, ">=")

    def visit_between(self, node: exp.Between) -> exp.Expr:
        self._no_string_coercion("BETWEEN", node.this, node.args["low"])
        self._no_string_coercion("BETWEEN", node.this, node.args["high"])
        return self.typed(node, "boolean")

    def visit_in(self, node: exp.In) -> exp.Expr:
        for item in node.expressions:
            self._no_string_coercion("IN", node.this, item)
        return self.typed(node, "boolean")

    # misc -------------------------------------------------------------------------------------------
    def visit_typeof(self, node: exp.Typeof) -> exp.Expr:
        t = self.type_of(node.this)
        name = trino_type_name(t)
        if _is(t, TEXT):
            # a literal has its length (varchar(3)); a catalog `string` column is unbounded; the length
            # Trino derives for other text expressions is not tracked here
            if isinstance(node.this, exp.Literal):
                name = f"varchar({len(node.this.name)})"
            elif not isinstance(node.this, exp.Column):
                name = None
        if name is None:
            raise NotSupportedLocally(
                f"typeof(`{node.this.sql(dialect='trino')}`)",
                "name the Trino type, which is not known locally",
            )
        return self.typed(exp.Literal.string(name), "varchar")
