"""The local Athena dialect: Athena (Trino) SQL in, DuckDB SQL out, with Trino's answers or a refusal.

Guarantee: a query either gets Athena's answer (value and type) or fails with one line
`not supported locally: <construct> (Athena would <do what>)`. Nothing is guessed.

How: sqlglot parses with its Athena dialect, qualifies the query and annotates every expression with
its type against the schema of the DuckDB connection (the catalog's tables and views). `TrinoSemantics`
then walks the tree bottom-up and rewrites each construct whose DuckDB meaning differs from Trino's
(integer and decimal division, date arithmetic result types, NULL-versus-empty results, map and array
subscripts, regex replacement syntax, JSON functions, time zones, ...) into DuckDB expressions or
`lh_*` macros (`lakehouse.engine.macros`); a construct whose meaning depends on a type that cannot be
known, or that has no exact DuckDB equivalent, raises `NotSupportedLocally`. `DuckDBLocal` is the
generator, with a few overrides. docs/local-athena.md lists what is exact and what is refused.

Where: this module is the assembly, `translate` and its `Translation`, and re-exports the names the
rest of the kit uses. The parts, each under 600 lines: `sqlglot_dialects` (`AthenaLocal`,
`DuckDBLocal`, `tpl`), `trino_types` (type families and names), `refusals` (`NotSupportedLocally`
and the lists of what passes unchanged), `semantics` (`TrinoSemantics`, the walk) with its rewrite
families `semantics_numbers`, `semantics_datetime`, `semantics_text`, `semantics_collections`,
`semantics_casts` on `semantics_base`, and `passes` (table check, decimal literals, `_colN` names).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from lakehouse.engine.passes import (
    UnknownTable,
    _carry_unnamed,
    _check_tables,
    _decimal_literals_to_casts,
    _mark_unnamed,
    _name_outputs,
)
from lakehouse.engine.refusals import HANDLED_ANONYMOUS, SAME_IN_DUCKDB, NotSupportedLocally
from lakehouse.engine.semantics import TrinoSemantics
from lakehouse.engine.semantics_base import ZONE
from lakehouse.engine.semantics_datetime import joda_to_strftime
from lakehouse.engine.semantics_text import trino_replacement_to_re2
from lakehouse.engine.sqlglot_dialects import AthenaLocal, DuckDBLocal, tpl
from lakehouse.engine.trino_types import dtype, trino_type_name
from lakehouse.errors import QueryError

__all__ = [
    "HANDLED_ANONYMOUS",
    "SAME_IN_DUCKDB",
    "AthenaLocal",
    "DuckDBLocal",
    "NotSupportedLocally",
    "Translation",
    "TrinoSemantics",
    "UnknownTable",
    "dtype",
    "joda_to_strftime",
    "tpl",
    "translate",
    "trino_replacement_to_re2",
    "trino_type_name",
]


@dataclass
class Translation:
    sql: str
    zones: dict[int, str] = field(default_factory=dict)  # output column -> time zone of its values
    notes: list[str] = field(default_factory=list)


def translate(tree: exp.Expr, schema: dict, default_db: str | None) -> Translation:
    """Rewrite a parsed Athena query for DuckDB (see the module docstring)."""
    tree = tree.copy()
    _check_tables(tree, schema, default_db)
    _mark_unnamed(tree)
    _decimal_literals_to_casts(tree)
    try:
        tree = qualify(
            tree,
            dialect=AthenaLocal,
            schema=schema,
            db=default_db,
            quote_identifiers=False,
            identify=False,
            validate_qualify_columns=True,
        )
    except OptimizeError as exc:
        raise QueryError(str(exc).splitlines()[0]) from None
    except SqlglotError as exc:
        raise QueryError(f"cannot analyse the query locally: {str(exc).splitlines()[0]}") from None
    _carry_unnamed(tree)
    tree = annotate_types(tree, schema=schema, dialect=AthenaLocal)
    semantics = TrinoSemantics()
    tree = semantics.rewrite(tree)
    select = _name_outputs(tree)
    zones = {}
    if select is not None:
        for i, p in enumerate(select.expressions):
            inner = p.this if isinstance(p, exp.Alias) else p
            zone = inner.meta.get(ZONE)
            if zone:
                zones[i] = zone
    return Translation(tree.sql(dialect=DuckDBLocal), zones, semantics.notes)
