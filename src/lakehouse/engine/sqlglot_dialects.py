"""The two sqlglot dialects of the local Athena, and DuckDB expressions built from templates.

`AthenaLocal` reads Athena (Trino) SQL; `DuckDBLocal` writes DuckDB SQL, with the generator overrides
Trino semantics need; `tpl` builds a DuckDB expression from DuckDB SQL with `_name_` placeholders, so
the rewrites (`lakehouse.engine.semantics_*`) never paste strings.
"""

from __future__ import annotations

from typing import ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.trino import Trino
from sqlglot.generators.duckdb import DuckDBGenerator

from lakehouse.engine.trino_types import _unit


class AthenaLocal(Trino):
    """Reading side: Athena engine v3 runs queries with Trino's syntax (sqlglot's Athena dialect hands
    DML to its Trino parser); the semantics live in `TrinoSemantics`.

    INDEX_OFFSET 0: sqlglot would otherwise shift `x[1]` to a 0-based index whenever it cannot tell
    an array from a map (`m[1]` on a map with integer keys too); subscripts are rewritten with their
    original, 1-based index by `TrinoSemantics.visit_bracket`.
    """

    INDEX_OFFSET = 0


class DuckDBLocal(DuckDB):
    """Writing side: DuckDB, with the generator overrides Trino semantics need."""

    # DuckDB.Generator is DuckDBGenerator; named by its class, since mypy cannot subclass a class attribute
    class Generator(DuckDBGenerator):
        TRANSFORMS: ClassVar[dict] = {
            **DuckDBGenerator.TRANSFORMS,
            # Trino's date_diff counts whole units elapsed: DuckDB's datesub, not its date_diff
            exp.DateDiff: lambda self, e: self.func(
                "datesub", exp.Literal.string(_unit(e)), e.expression, e.this
            ),
        }


# templates: DuckDB SQL with `_a_`, `_b_`, ... standing for sub-expressions (no string patching)

_TEMPLATES: dict[str, exp.Expr] = {}


def tpl(sql: str, **parts: exp.Expr) -> exp.Expr:
    """A DuckDB expression from a template, its `_name_` columns replaced by the given expressions."""
    if sql not in _TEMPLATES:
        _TEMPLATES[sql] = sqlglot.parse_one(sql, read=DuckDBLocal)
    tree = _TEMPLATES[sql].copy()
    for col in list(tree.find_all(exp.Column)):
        name = col.name
        if not col.table and name.startswith("_") and name.endswith("_") and name.strip("_") in parts:
            col.replace(parts[name.strip("_")].copy())
    return tree
