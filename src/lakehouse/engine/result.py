"""The answer type shared by the query engines (local DuckDB, Athena) and their callers, with no engine imports."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Result:
    """A query's answer: column names and Trino type names as Athena reports them, rows, and notes
    (e.g. that an approximate aggregate was computed exactly)."""

    columns: list[str]
    types: list[str]
    rows: list[tuple]
    notes: list[str] = field(default_factory=list)
