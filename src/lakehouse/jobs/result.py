"""What a stage run reports: the result every caller sees, the audit record, and the quality rows.

`quality` and `warnings` count quality codes (lakehouse.contract.quality: rule:column:kind), never distinct
values, so they stay small whatever the data; `examples` holds a few source locations per code
(file:line), never the values themselves.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from lakehouse.contract import quality as q


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class StageResult:
    stage: str
    dataset: str
    run_id: str
    started_at: str
    mode: str = "incremental"
    inputs: int = 0
    input_files: list[str] = field(default_factory=list)
    ignored_inputs: list[str] = field(default_factory=list)  # objects under the raw prefix not processed
    rows_read: int = 0
    rows_written: int = 0
    duplicates_removed: int = 0
    rows_quarantined: int = 0
    rows_replaced: int = 0  # earlier rows displaced by an earlier-ordered copy of their key
    quality: dict[str, int] = field(default_factory=dict)  # quarantine code -> rows
    warnings: dict[str, int] = field(default_factory=dict)  # warn-rule code -> rows
    examples: dict[str, list[str]] = field(default_factory=dict)  # code -> a few "file:line"
    messages: dict[str, str] = field(default_factory=dict)  # code -> human message
    new_fields: dict[str, int] = field(default_factory=dict)  # undeclared source field -> rows carrying it
    tables: dict[str, int] = field(default_factory=dict)  # rows in the files written per table
    partitions: dict[str, int] = field(default_factory=dict)  # partitions published per table
    recovered: list[str] = field(default_factory=list)  # runs whose publish this run completed
    removed: list[str] = field(default_factory=list)  # superseded run directories deleted by retention
    rule_results: list[dict[str, Any]] = field(default_factory=list)  # rows of the quality_results table
    status: str = "running"
    error: str = ""
    finished_at: str = ""
    duration_s: float = 0.0

    @property
    def reconciled(self) -> bool:
        return self.rows_read == self.rows_written + self.duplicates_removed + self.rows_quarantined

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"reconciled": self.reconciled}

    def audit_record(self) -> dict[str, Any]:
        keys = (
            "run_id",
            "dataset",
            "stage",
            "status",
            "started_at",
            "finished_at",
            "duration_s",
            "mode",
            "inputs",
            "input_files",
            "rows_read",
            "rows_written",
            "duplicates_removed",
            "rows_quarantined",
            "rows_replaced",
            "error",
        )
        return {k: getattr(self, k) for k in keys} | {
            "reconciled": self.reconciled,
            "quality": json.dumps(
                self.quality | {f"warn:{k}": v for k, v in self.warnings.items()}, sort_keys=True
            ),
            "new_fields": json.dumps(self.new_fields, sort_keys=True),
        }


def rule_row(
    code: q.Code, failed: int, total: int, critical: bool = False, threshold: float = 0.0, check: str = ""
) -> dict[str, Any]:
    """One row of quality_results: a rule, how many rows failed it, and whether the run passed it."""
    ratio = q.share(failed, total)
    return {
        "rule": code.rule,
        "check": check or q.check_of(code),
        "column": "" if code.column == q.RECORD else code.column,
        "critical": critical,
        "threshold": threshold,
        "failed_rows": failed,
        "total_rows": total,
        "failed_ratio": ratio,
        "passed": ratio <= threshold if critical else failed == 0,
    }
