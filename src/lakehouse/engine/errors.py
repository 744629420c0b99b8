"""Types shared by the query engines (local DuckDB, Athena) and their callers, with no engine imports."""

from __future__ import annotations

from dataclasses import dataclass


class QueryError(ValueError):
    """A query that cannot run: syntax error, unknown table or column. One line, for the CLI."""


@dataclass
class Result:
    columns: list[str]
    types: list[str]
    rows: list[tuple]
