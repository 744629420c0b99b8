"""`TrinoSemantics`: the one tree walk that rewrites a Trino query into DuckDB terms, or refuses it.

The walk goes scope by scope, innermost first, and bottom-up within each; every node goes to its
`visit_<nodeclass>` method. Those methods live in the rewrite families it combines
(`semantics_numbers`, `semantics_datetime`, `semantics_text`, `semantics_collections`,
`semantics_casts`, on the shared `semantics_base`); a function with no method that is not in
`SAME_IN_DUCKDB` (`lakehouse.engine.refusals`) is refused. This module holds the walk itself and the
visits that dispatch across families: `+` and `-` (date ± interval, else decimal arithmetic),
functions sqlglot does not know (`visit_anonymous`), and the final checks for time zones and TRY.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from lakehouse.engine.passes import _outer_select
from lakehouse.engine.refusals import (
    HANDLED_ANONYMOUS,
    INSTANT_USERS,
    RAISES_AT_RUN_TIME,
    SAME_IN_DUCKDB,
    WALL_CLOCK_READERS,
    NotSupportedLocally,
)
from lakehouse.engine.semantics_base import DONE, ZONE
from lakehouse.engine.semantics_casts import CastRules
from lakehouse.engine.semantics_collections import CollectionRules
from lakehouse.engine.semantics_datetime import DateTimeRules, joda_to_strftime
from lakehouse.engine.semantics_numbers import NumberRules
from lakehouse.engine.semantics_text import TextRules
from lakehouse.engine.sqlglot_dialects import AthenaLocal, tpl
from lakehouse.engine.trino_types import SESSION_ZONE, TIMESTAMPS, T, _is


class TrinoSemantics(NumberRules, DateTimeRules, TextRules, CollectionRules, CastRules):
    """Rewrites one qualified, type-annotated Trino query into DuckDB terms (see the module docstring)."""

    # entry point ------------------------------------------------------------------------------------
    def rewrite(self, tree: exp.Expr) -> exp.Expr:
        """Rewrite scope by scope, innermost first, so a CTE's or subquery's Trino output types are
        known where the outer query reads its columns."""
        for scope in traverse_scope(tree):
            self._type_columns_from_inner_scopes(scope)
            self._rewrite_nodes(scope.expression)
        tree = self._rewrite_nodes(tree)
        self._check_zones(tree)
        self._check_try(tree)
        return tree

    def _check_try(self, tree: exp.Expr) -> None:
        """DuckDB refuses `error()` inside TRY: a check that can only fail at run time is refused there."""
        for try_node in tree.find_all(exp.Try):
            for fn in try_node.find_all(exp.Anonymous):
                construct = RAISES_AT_RUN_TIME.get(fn.name.lower())
                if construct:
                    raise NotSupportedLocally(
                        f"{construct} inside TRY", "evaluate it, returning NULL only on an error"
                    )

    def _type_columns_from_inner_scopes(self, scope: Scope) -> None:
        for col in scope.columns:
            source = scope.sources.get(col.table)
            if not isinstance(source, Scope):
                continue
            select = _outer_select(source.expression)
            for p in select.expressions if select else []:
                if p.alias_or_name == col.name:
                    t = self.type_of(p)
                    if t is not None:
                        col.meta["lh_type"] = t
                    zone = (p.this if isinstance(p, exp.Alias) else p).meta.get(ZONE)
                    if zone:
                        col.meta[ZONE] = zone
                    break

    def _rewrite_nodes(self, root: exp.Expr) -> exp.Expr:
        for node in reversed(list(root.walk(bfs=False))):
            if node.meta.get(DONE) or (node.parent is None and node is not root):
                continue  # rewritten with an inner scope, or detached by an earlier rewrite
            new = self.visit(node)
            if new is not None and new is not node:
                if node is root:
                    root = new
                else:
                    node.replace(new)
            for n in (new if new is not None else node).walk():
                n.meta[DONE] = True
        return root

    def visit(self, node: exp.Expr) -> exp.Expr | None:
        method = getattr(self, f"visit_{type(node).__name__.lower()}", None)
        if method:
            return method(node)
        if isinstance(node, exp.Func) and not isinstance(node, SAME_IN_DUCKDB):
            name = node.sql(dialect=AthenaLocal).split("(", 1)[0].strip().lower() or type(node).__name__
            raise NotSupportedLocally(
                f"function {name}()", f"run Trino's {name}(), which has no checked local equivalent"
            )
        return None

    # + and -: date arithmetic, else decimal arithmetic ------------------------------------------------
    def visit_add(self, node: exp.Add) -> exp.Expr | None:
        for base, other in ((node.left, node.right), (node.right, node.left)):
            unit = self._interval_unit(other)
            if unit:
                return self._date_result(node, base, unit)
        return self._decimal_arith(node)

    def visit_sub(self, node: exp.Sub) -> exp.Expr | None:
        unit = self._interval_unit(node.right)
        if unit:
            return self._date_result(node, node.left, unit)
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        if _is(lt, TIMESTAMPS | {T.DATE}) or _is(rt, TIMESTAMPS | {T.DATE}):
            raise NotSupportedLocally("subtracting dates or timestamps", "return an interval day to second")
        return self._decimal_arith(node)

    # functions sqlglot does not know -----------------------------------------------------------------
    def visit_anonymous(self, node: exp.Anonymous) -> exp.Expr | None:
        name = node.name.lower()
        args = node.expressions
        if name not in HANDLED_ANONYMOUS:
            raise NotSupportedLocally(
                f"function {name}()", f"run Trino's {name}(), which has no checked local equivalent"
            )
        if name == "at_timezone":
            return self._at_zone(node, args[0], args[1])
        if name == "format_datetime":
            value, fmt = args
            if not (isinstance(fmt, exp.Literal) and fmt.is_string):
                raise NotSupportedLocally(
                    "format_datetime with a format that is not a literal", "format with each row's pattern"
                )
            return self.typed(
                exp.Anonymous(
                    this="strftime",
                    expressions=[self._wall_clock(value), exp.Literal.string(joda_to_strftime(fmt.name))],
                ),
                "varchar",
            )
        if name == "map_agg":
            kt, vt = self.type_of(args[0]), self.type_of(args[1])
            agg = tpl("lh_map_agg(_k_, _v_)", k=args[0], v=args[1])
            if kt is not None and vt is not None:
                self.typed(agg, exp.DataType.build(exp.DType.MAP, expressions=[kt, vt]))
            return agg
        if name in ("any_match", "all_match", "none_match"):
            arr, fn = args
            r = exp.Anonymous(this="list_transform", expressions=[arr.copy(), fn.copy()])
            body = {
                "any_match": "CASE WHEN _a_ IS NULL THEN NULL WHEN list_bool_or(_r_) THEN true "
                "WHEN list_count(_r_) < len(_a_) THEN NULL ELSE false END",
                "all_match": "CASE WHEN _a_ IS NULL THEN NULL WHEN list_contains(_r_, false) THEN false "
                "WHEN list_count(_r_) < len(_a_) THEN NULL ELSE true END",
                "none_match": "CASE WHEN _a_ IS NULL THEN NULL WHEN list_bool_or(_r_) THEN false "
                "WHEN list_count(_r_) < len(_a_) THEN NULL ELSE true END",
            }[name]
            return self.typed(tpl(body, a=arr, r=r), "boolean")
        if name in ("url_extract_host", "url_extract_path"):
            return self.typed(tpl(f"lh_{name}(_u_)", u=args[0]), "varchar")
        if name == "json_array_length":
            return self.typed(tpl("lh_json_array_length(_j_)", j=args[0]), "bigint")
        return None

    # time zones: where a value in a zone other than UTC flows ---------------------------------------------
    def _check_zones(self, tree: exp.Expr) -> None:
        for node in tree.walk():
            zone = node.meta.get(ZONE)
            if not zone or zone == SESSION_ZONE:
                continue
            parent = node.parent
            if parent is None or isinstance(parent, INSTANT_USERS):
                continue
            if isinstance(parent, exp.Anonymous) and parent.name.lower() == "timezone":
                continue  # already converted to the wall clock of its zone
            if isinstance(parent, WALL_CLOCK_READERS):
                node.replace(self._wall_clock(node))
                continue
            raise NotSupportedLocally(
                f"{type(parent).__name__.lower()} of a timestamp with time zone {zone}",
                "compute it in that zone",
            )
