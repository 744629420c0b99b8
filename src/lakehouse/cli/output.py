"""How the CLI shows things: rich tables, run reconciliations, handler outcomes and file checks.

Everything here renders structured results (StageResult, handler Outcomes, CheckReport): nothing
parses text.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from typing import Any

from lakehouse.automation.actions import render
from lakehouse.settings import env_int

RECONCILIATION_COLUMNS = [
    "stage",
    "mode",
    "inputs",
    "rows read",
    "rows written",
    "duplicates removed",
    "quarantined",
    "reconciled",
    "time",
]


def console(stderr: bool = False):
    """A rich console; when output is not a terminal (CI, pipes), wide enough that tables are not cut."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else env_int("COLUMNS")
    # emoji=False: a reason code such as `email_format:email:regex` is text, not the :email: emoji
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width, emoji=False)


def table(title: str, columns: list[str], rows: list[tuple]):
    from rich.table import Table

    out = Table(title=title, title_justify="left", title_style="bold")
    for c in columns:
        out.add_column(c)
    for row in rows:
        out.add_row(*["" if v is None else str(v) for v in row])
    return out


def print_result(result, fmt: str, title: str = "") -> None:
    """A query result in Athena's text forms (timestamps with 3 fractional digits in every format)."""
    from lakehouse.engine.output import cell, json_rows

    if fmt == "json":
        rows, renamed = json_rows(result.columns, result.rows)
        for old, new in renamed:
            print(
                f"note: column {old!r} appears more than once; its repeat is {new!r} in the JSON",
                file=sys.stderr,
            )
        print(json.dumps(rows, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows([cell(v) for v in row] for row in result.rows)
    else:
        texts = [tuple(cell(v) for v in row) for row in result.rows]
        console().print(table(title or f"{len(result.rows)} rows", result.columns, texts))
    for note in getattr(result, "notes", []):
        print(f"note: {note}", file=sys.stderr)


def _reconciliation_rows(results) -> list[tuple]:
    return [
        (
            f"{r.dataset}: {r.stage}",
            r.mode,
            r.inputs,
            r.rows_read,
            r.rows_written,
            r.duplicates_removed,
            r.rows_quarantined,
            "yes" if r.reconciled else "NO",
            f"{r.duration_s:.1f}s",
        )
        for r in results
    ]


def print_reconciliation(dataset: str, results) -> None:
    out = console()
    out.print(
        table(
            f"{dataset}: reconciliation (rows read = written + duplicates + quarantined)",
            RECONCILIATION_COLUMNS,
            _reconciliation_rows(results),
        )
    )
    for r in results:
        if not r.inputs:
            out.print(f"  {r.stage}: nothing new to process")
        if r.ignored_inputs:
            out.print(
                f"  {r.dataset} {r.stage}: NOT PROCESSED {len(r.ignored_inputs)} object(s) under the raw prefix "
                f"whose name does not match the contract's file_pattern: {', '.join(r.ignored_inputs[:3])}"
            )
        for run in r.recovered:
            out.print(f"  {r.stage}: completed the publish of interrupted run {run}")
        for name, n in r.tables.items():
            out.print(f"  {r.stage}: {name} {n:,} rows in the rebuilt files")
        if r.rows_replaced:
            out.print(
                f"  {r.stage}: {r.rows_replaced:,} earlier rows replaced by an earlier copy of their key"
            )
        for what, counts in (("quarantined", r.quality), ("warning", r.warnings)):
            for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
                if n:
                    examples = ", ".join(r.examples.get(code, []))
                    out.print(
                        f"  {r.stage}: {what} {n:,}: {code} ({r.messages.get(code, '')})"
                        + (f"; e.g. {examples}" if examples else "")
                    )
        for name, n in sorted(r.new_fields.items()):
            out.print(
                f"  {r.stage}: new source field {name!r} in {n:,} rows: kept in _extra_fields; "
                f"declare it in the contract to type it"
            )


def summarize(outcomes: list[dict[str, Any]], malformed: int = 0) -> str:
    """Many per-object outcomes in one line: 'partition registered x10; run already requested x9'."""
    phrases = Counter(render(o) for o in outcomes)
    if malformed:
        phrases[f"{malformed} malformed -> dead-letter queue"] += 1
    return "; ".join(f"{p} x{n}" if n > 1 else p for p, n in phrases.items())


def print_check(report) -> None:
    rows = []
    for c in report.columns:
        parsed = ", ".join(f"{fmt}: {n:,}" for fmt, n in c.formats.most_common())
        rows.append((c.name, c.type, parsed, c.unparseable, c.missing))
    out = console()
    out.print(
        table(
            f"{report.dataset}: {report.file}, {report.rows:,} records",
            ["column", "type", "parsed with", "unparseable", "missing"],
            rows,
        )
    )
    for code, n in sorted(report.parse_failures.items()):
        out.print(f"  {n:,} records not readable: {code}")
    verdict = "within" if report.within_limit else "OVER"
    out.print(
        f"would quarantine {report.quarantined:,} of {report.rows:,} records ({report.share:.1%}) for parse, "
        f"required and type checks: {verdict} the quarantine limit {report.limit:.1%}"
    )
