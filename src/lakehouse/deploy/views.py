"""Athena views and named queries kept as SQL files in each domain's views/ and queries/: one per file.

`create_views` puts every domain's views into the gold database: on AWS by running the file on
Athena, locally by storing it in the catalog exactly as Athena would (a VIRTUAL_VIEW), so the local
engine and Athena read the same definition.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlglot import exp

from lakehouse.aws.catalog import Catalog
from lakehouse.contract.domains import sql_files
from lakehouse.contract.model import load_models
from lakehouse.engine.sql import duckdb_to_glue_type, duckdb_to_trino_type, parse_athena
from lakehouse.errors import QueryError
from lakehouse.settings import Settings


@dataclass(frozen=True)
class ViewFile:
    name: str
    select_sql: str  # the view body, Athena SQL
    path: Path
    text: str  # the whole CREATE VIEW statement


_PLACEHOLDER = re.compile(r"\$\{(\w+)\.(\w+)\}")


def sql_literal(value: object) -> str | None:
    """A model parameter as a SQL literal (a number, TRUE/FALSE, or a quoted string with its quotes
    doubled), never as SQL text; None for a value that is none of these."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal) and math.isfinite(value):
        return repr(value) if not isinstance(value, Decimal) else str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


def render(text: str, path: Path, parameters: dict[str, dict]) -> str:
    """Replace ${model.parameter} with the model file's value (e.g. a segment threshold), bound as a
    SQL literal: a parameter is a value, never SQL."""

    def value(match: re.Match) -> str:
        model, name = match.groups()
        if name not in parameters.get(model, {}):
            raise QueryError(
                f"{path}: unknown parameter ${{{model}.{name}}} (see the model file {model}.yaml)"
            )
        literal = sql_literal(parameters[model][name])
        if literal is None:
            raise QueryError(f"{path}: parameter ${{{model}.{name}}} must be a number, boolean or string")
        return literal

    return _PLACEHOLDER.sub(value, text)


def load_views(paths: Iterable[Path], parameters: dict[str, dict] | None = None) -> list[ViewFile]:
    """Views from .sql files; each must be one CREATE [OR REPLACE] VIEW named like its file."""
    views = []
    for path in paths:
        text = render(path.read_text(encoding="utf-8"), path, parameters or {})
        try:
            tree = parse_athena(text)
        except QueryError as exc:
            raise QueryError(f"{path}: {exc}") from None
        if not isinstance(tree, exp.Create) or tree.kind != "VIEW":
            raise QueryError(f"{path}: expected one CREATE VIEW statement")
        name = tree.this.name
        if name != path.stem:
            raise QueryError(f"{path}: view {name!r} must be named like its file ({path.stem!r})")
        views.append(ViewFile(name, tree.expression.sql(dialect="athena", pretty=True), path, text))
    return views


def load_queries(paths: Iterable[Path]) -> dict[str, str]:
    """Named queries: <name>.sql -> SQL text."""
    return {p.stem: p.read_text(encoding="utf-8") for p in paths}


def create_views(
    settings: Settings, paths: Sequence[Path] | None = None, target: str = "local"
) -> list[tuple[str, str]]:
    """Create or update views in the gold database (default: every domain's); returns (view,
    created|updated|unchanged)."""
    parameters = {m.name: m.parameters for m in load_models(settings.domains).values()}
    views = load_views(sql_files(settings.domains, "views") if paths is None else paths, parameters)
    if target == "aws":
        from lakehouse.engine.athena import AthenaEngine

        athena = AthenaEngine(settings)
        for view in views:
            athena.query(view.text)
        return [(v.name, "applied") for v in views]

    from lakehouse.engine.local import LocalEngine

    catalog, db = Catalog(settings), settings.database("gold")
    out = []
    pending = list(views)
    while pending:  # a view may read another view: store those whose inputs already resolve first
        engine = LocalEngine(settings)
        done, error = [], None
        for view in pending:
            try:
                columns = engine.describe(view.select_sql)
            except Exception as exc:
                error = exc
                continue
            cols = [(n, duckdb_to_glue_type(t), duckdb_to_trino_type(t)) for n, t in columns]
            out.append((view.name, catalog.put_view(db, view.name, view.select_sql, cols)))
            done.append(view)
        engine.close()
        if not done:
            raise QueryError(f"{pending[0].path}: {error}")
        pending = [v for v in pending if v not in done]
    return out
