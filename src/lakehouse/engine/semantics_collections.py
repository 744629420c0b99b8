"""Maps, arrays and JSON in the local Athena.

Trino's `m[k]` fails on an absent key and `a[i]` outside `1..n` fails (`element_at` returns NULL),
`cardinality` is `bigint`, `UNNEST` of a map gives key and value columns, `array_position` is 0 when
absent, and the JSON functions take paths of keys and indexes only (`_json_path`); anything whose
type is not known, and `UNNEST ... WITH ORDINALITY` or of several arrays, is refused.
"""

from __future__ import annotations

import re

from sqlglot import exp

from lakehouse.engine.refusals import NotSupportedLocally
from lakehouse.engine.semantics_base import SemanticsBase
from lakehouse.engine.sqlglot_dialects import tpl
from lakehouse.engine.trino_types import T, _is, dtype


class CollectionRules(SemanticsBase):
    """Rewrites of subscripts, map, array and JSON functions (see the module docstring)."""

    # maps and arrays ----------------------------------------------------------------------------------
    def visit_arrayposition(self, node: exp.Expr) -> exp.Expr:
        found = tpl("coalesce(array_position(_a_, _x_), 0)", a=node.this, x=node.expression)
        return self.typed(exp.Cast(this=found, to=dtype("bigint")), "bigint")

    def visit_bracket(self, node: exp.Bracket) -> exp.Expr | None:
        t = self.type_of(node.this)
        if len(node.expressions) != 1:
            return None
        key = node.expressions[0]
        if node.args.get("safe"):  # element_at(): NULL for an absent key or an index out of range
            if _is(t, {T.ARRAY, T.LIST}) and t.expressions:
                return self.typed(node, t.expressions[0])
            if _is(t, {T.MAP}) and len(t.expressions) == 2:
                return self.typed(node, t.expressions[1])
            if t is None:
                raise NotSupportedLocally(
                    f"element_at on `{node.this.sql(dialect='trino')}`, whose type is not known locally",
                    "index an array or look up a map key",
                )
            return node
        if _is(t, {T.MAP}):
            if self.in_try(node):
                out: exp.Expr = exp.Bracket(this=node.this.copy(), expressions=[key.copy()], offset=1)
            else:
                out = tpl("lh_map_get(_m_, _k_)", m=node.this, k=key)
            return self.typed(out, t.expressions[1] if len(t.expressions) == 2 else None)
        if _is(t, {T.ARRAY, T.LIST}):
            macro = "lh_try_array_get" if self.in_try(node) else "lh_array_get"
            return self.typed(
                tpl(f"{macro}(_a_, _i_)", a=node.this, i=key), t.expressions[0] if t.expressions else None
            )
        raise NotSupportedLocally(
            f"subscript on `{node.this.sql(dialect='trino')}`, whose type is not known locally",
            "fail on a missing map key or an index out of range",
        )

    def visit_arraysize(self, node: exp.ArraySize) -> exp.Expr:
        t = self.type_of(node.this)
        if _is(t, {T.MAP}):
            return self.typed(tpl("CAST(cardinality(_m_) AS BIGINT)", m=node.this), "bigint")
        if _is(t, {T.ARRAY, T.LIST}):
            return self.typed(tpl("CAST(len(_a_) AS BIGINT)", a=node.this), "bigint")
        raise NotSupportedLocally(
            f"cardinality of `{node.this.sql(dialect='trino')}`, whose type is not known locally",
            "count array elements or map entries",
        )

    def visit_unnest(self, node: exp.Unnest) -> exp.Expr | None:
        if node.args.get("offset"):
            raise NotSupportedLocally("UNNEST ... WITH ORDINALITY", "number the elements")
        if len(node.expressions) != 1:
            raise NotSupportedLocally("UNNEST of several arrays", "zip them, padding with NULLs")
        value = node.expressions[0]
        t = self.type_of(value)
        alias = node.args.get("alias")
        if _is(t, {T.MAP}):
            columns = [c.name for c in alias.columns] if alias is not None else []
            if alias is None or len(columns) != 2:
                raise NotSupportedLocally(
                    "UNNEST of a map without two column names", "name the key and value columns"
                )
            select = exp.select(
                exp.alias_(exp.Unnest(expressions=[exp.func("map_keys", value.copy())]), columns[0]),
                exp.alias_(exp.Unnest(expressions=[exp.func("map_values", value.copy())]), columns[1]),
            )
            return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias.name or "_u")))
        if t is None:
            raise NotSupportedLocally(
                f"UNNEST of `{value.sql(dialect='trino')}`, whose type is not known locally",
                "expand an array or a map",
            )
        return None

    # JSON ---------------------------------------------------------------------------------------------
    def visit_jsonextractscalar(self, node: exp.JSONExtractScalar) -> exp.Expr:
        return self.typed(
            tpl("lh_json_extract_scalar(_j_, _p_)", j=node.this, p=self._json_path(node.expression)),
            "varchar",
        )

    def visit_jsonextract(self, node: exp.JSONExtract) -> exp.Expr:
        return self.typed(
            tpl("lh_json_extract(_j_, _p_)", j=node.this, p=self._json_path(node.expression)), "json"
        )

    def _json_path(self, path: exp.Expr) -> exp.Expr:
        """A JSON path of keys and array indexes as DuckDB's path text; anything else is refused."""
        if not isinstance(path, exp.JSONPath):
            raise NotSupportedLocally("a JSON path that is not a literal", "evaluate each row's path")
        text = "$"
        for part in path.expressions:
            if isinstance(part, exp.JSONPathRoot):
                continue
            if isinstance(part, exp.JSONPathKey) and isinstance(part.this, str):
                key = part.this
                text += f".{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else '."' + key + '"'
            elif isinstance(part, exp.JSONPathSubscript) and isinstance(part.this, int):
                text += f"[{part.this}]"
            else:
                shown = path.meta.get("source") or type(part).__name__.removeprefix("JSONPath").lower()
                raise NotSupportedLocally(
                    f"JSON path with a {shown} step",
                    "evaluate Trino's JSONPath (wildcards, slices, recursion)",
                )
        return exp.Literal.string(text)
