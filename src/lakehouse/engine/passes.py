"""The passes `translate` runs around the semantic rewrite: tables, decimal literals, output names.

Before qualifying: every table must be in the local catalog (`UnknownTable`; `information_schema` is
refused), decimal literals get Trino's `decimal(p,s)` type, and the projections Trino names `_colN`
are flagged. After the rewrite the flagged projections are renamed (with the ORDER BY references to
them). `_outer_select` finds the SELECT whose columns a query (or a set operation) outputs.
"""

from __future__ import annotations

from sqlglot import exp

from lakehouse.engine.refusals import NotSupportedLocally
from lakehouse.engine.trino_types import T, _literal_type
from lakehouse.errors import QueryError

UNNAMED = "lh_unnamed"


def _mark_unnamed(tree: exp.Expr) -> None:
    """Flag the outermost projections Trino names `_colN` (anything but a column or an alias)."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.left
    if isinstance(select, exp.Subquery):
        select = select.unnest()
    if not isinstance(select, exp.Select):
        return
    for p in select.expressions:
        if not isinstance(p, (exp.Alias, exp.Column, exp.Star)) and not (
            isinstance(p, exp.Dot) and isinstance(p.expression, exp.Identifier)
        ):
            p.meta[UNNAMED] = True


def _outer_select(tree: exp.Expr) -> exp.Select | None:
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.left
    return select if isinstance(select, exp.Select) else None


def _carry_unnamed(tree: exp.Expr) -> None:
    """After qualify every projection is an alias: move the flag onto it (rewrites replace the inside)."""
    select = _outer_select(tree)
    for p in select.expressions if select else []:
        if isinstance(p, exp.Alias) and p.this.meta.get(UNNAMED):
            p.meta[UNNAMED] = True


def _name_outputs(tree: exp.Expr) -> exp.Select | None:
    """Trino's `_colN` names; ORDER BY refers to a projection by its alias after qualify (`ORDER BY 1`
    became `ORDER BY _col_0`), so those references are renamed with it."""
    select = _outer_select(tree)
    for i, p in enumerate(select.expressions if select else []):
        if p.meta.get(UNNAMED) and isinstance(p, exp.Alias):
            old, new = p.alias, f"_col{i}"
            p.set("alias", exp.to_identifier(new))
            order = select.args.get("order") if select else None
            for col in order.find_all(exp.Column) if order else []:
                if not col.table and col.name == old:
                    col.set("this", exp.to_identifier(new))
    return select


class UnknownTable(QueryError):
    """A table or view that is not in the local catalog."""

    def __init__(self, name: str):
        self.table = name
        super().__init__(f"Table {name} does not exist")


def _check_tables(tree: exp.Expr, schema, default_db: str | None) -> None:
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if (
            not table.name
            or isinstance(table.this, exp.Func)
            or (not table.db and table.name.lower() in ctes)
        ):
            continue
        db = table.db or default_db
        if (db or "").lower() == "information_schema":
            raise NotSupportedLocally(
                f"information_schema.{table.name}", "list the Glue catalog (locally: SHOW TABLES, DESCRIBE)"
            )
        found = schema.find(exp.table_(table.name, db=db), raise_on_missing=False) if db else None
        if found is None:
            raise UnknownTable(f"{db}.{table.name}" if db else table.name)


def _decimal_literals_to_casts(tree: exp.Expr) -> None:
    """Trino types `2.5` as DECIMAL(2,1); sqlglot's annotator says DOUBLE: make the type explicit."""
    for lit in list(tree.find_all(exp.Literal)):
        if lit.is_string or isinstance(lit.parent, (exp.DataTypeParam, exp.Interval, exp.Cast)):
            continue
        t = _literal_type(lit)
        if t is not None and t.this == T.DECIMAL:
            cast = exp.Cast(this=lit.copy(), to=t)
            lit.replace(cast)
