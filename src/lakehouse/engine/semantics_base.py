"""The state and helpers every rewrite of the local Athena shares: an expression's Trino type.

`SemanticsBase` is the base of the rewrite families (`semantics_numbers`, `semantics_datetime`,
`semantics_text`, `semantics_collections`, `semantics_casts`), which `TrinoSemantics`
(`lakehouse.engine.semantics`) combines into the one tree walk. It holds what they all use: `type_of`
(Trino's type of an expression, from the annotations, literals and arithmetic), `typed` (record the
Trino type of a replacement), `known_types` (refuse when a type is not known), `in_try`, `_wall_clock`
(a zoned timestamp as its zone's wall clock) and the notes of the query. `ZONE` and `DONE` are the
keys of the marks the walk leaves on nodes.
"""

from __future__ import annotations

from sqlglot import exp

from lakehouse.engine.refusals import NotSupportedLocally
from lakehouse.engine.trino_types import (
    FLOATS,
    INTEGER_ORDER,
    INTEGERS,
    SESSION_ZONE,
    TZ_TIMESTAMPS,
    T,
    _decimal_ps,
    _is,
    _literal_type,
    dtype,
)

DONE = "lh_done"
ZONE = "lh_zone"


class SemanticsBase:
    """What every rewrite family of `TrinoSemantics` uses: Trino types of expressions, the notes."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    # types ------------------------------------------------------------------------------------------
    def type_of(self, node: exp.Expr) -> exp.DataType | None:
        """Trino's type of an expression, or None when it cannot be known."""
        if "lh_type" in node.meta:
            return node.meta["lh_type"]
        if isinstance(node, (exp.Paren, exp.Alias)):
            return self.type_of(node.this)
        if isinstance(node, exp.Literal):
            return _literal_type(node)
        if isinstance(node, exp.Neg):
            return self.type_of(node.this)
        if isinstance(node, exp.Cast):
            return node.to
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
            return self._arith_type(node)
        t = node.type
        if t is None or t.this == T.UNKNOWN:
            return None
        return t

    def _arith_type(self, node: exp.Binary) -> exp.DataType | None:
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        if lt is None or rt is None:
            return None
        if lt.this in INTEGERS and rt.this in INTEGERS:
            return exp.DataType.build(max(lt.this, rt.this, key=INTEGER_ORDER.index))
        if _is(lt, FLOATS) or _is(rt, FLOATS):
            if lt.this in FLOATS | INTEGERS.keys() | {T.DECIMAL} and rt.this in FLOATS | INTEGERS.keys() | {
                T.DECIMAL
            }:
                return dtype("double") if T.DOUBLE in (lt.this, rt.this) else dtype("real")
            return node.type if node.type and node.type.this != T.UNKNOWN else None
        lps, rps = _decimal_ps(lt), _decimal_ps(rt)
        if lps and rps:
            (p1, s1), (p2, s2) = lps, rps
            if isinstance(node, exp.Mul):
                return dtype(f"decimal({min(38, p1 + p2)},{s1 + s2})")
            s = max(s1, s2)
            return dtype(f"decimal({min(38, 1 + s + max(p1 - s1, p2 - s2))},{s})")
        t = node.type
        return None if t is None or t.this == T.UNKNOWN else t

    def typed(self, node: exp.Expr, t: exp.DataType | str | None) -> exp.Expr:
        if isinstance(t, str):
            t = dtype(t)
        node.meta["lh_type"] = t
        return node

    def in_try(self, node: exp.Expr) -> bool:
        return node.find_ancestor(exp.Try) is not None

    def known_types(self, *operands: exp.Expr, what: str) -> list[exp.DataType]:
        """The operands' Trino types, refusing the operation when one is not known."""
        types = []
        for o in operands:
            t = self.type_of(o)
            if t is None:
                raise NotSupportedLocally(
                    f"{what} on `{o.sql(dialect='trino')}`, whose type is not known locally",
                    "pick the operation by the operand's type",
                )
            types.append(t)
        return types

    def _wall_clock(self, value: exp.Expr) -> exp.Expr:
        """A timestamp with time zone as the wall-clock timestamp of its zone; other values unchanged."""
        zone = value.meta.get(ZONE)
        t = self.type_of(value)
        if _is(t, TZ_TIMESTAMPS):
            wall = exp.Anonymous(
                this="timezone", expressions=[exp.Literal.string(zone or SESSION_ZONE), value.copy()]
            )
            return self.typed(wall, "timestamp")
        return value
