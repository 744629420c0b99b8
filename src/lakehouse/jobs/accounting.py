"""Quality accounting of a run: tallies by code, quality_results rows, and the limits that fail a run.

A run fails before it publishes anything when a critical rule fails beyond its threshold
(`QualityError`), when more of its rows are quarantined than the contract's `quarantine_limit`
(default: LAKEHOUSE_QUARANTINE_LIMIT, whose own default is
lakehouse.contract.quality.DEFAULT_QUARANTINE_LIMIT) allows (`QuarantineLimitError`), or when its
rows do not add up (`ReconciliationError`). Each says so in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.contract import quality as q
from lakehouse.contract.dataset import Contract
from lakehouse.errors import QualityError, QuarantineLimitError
from lakehouse.jobs.result import StageResult, rule_row
from lakehouse.settings import env_float

EXAMPLES = 3  # source locations shown per code


def tally(df: DataFrame, codes: str | Column) -> tuple[dict[str, int], dict[str, list[str]]]:
    """(rows per code, a few `file:line` per code) of an array column of codes."""
    exploded = df.select(F.explode(codes).alias("code"), "_source_file", "_source_line")
    where = F.concat_ws(":", F.col("_source_file"), F.col("_source_line").cast("string"))
    rows = (
        exploded.groupBy("code")
        .agg(
            F.count(F.lit(1)).alias("n"), F.slice(F.sort_array(F.collect_set(where)), 1, EXAMPLES).alias("ex")
        )
        .collect()
    )
    return {r["code"]: r["n"] for r in rows}, {r["code"]: list(r["ex"]) for r in rows}


def checked_cache(records: DataFrame) -> DataFrame:
    """Validated records, cached for the passes of the run; the raw line is kept only where it goes to
    quarantine, so the cache holds typed columns rather than a second copy of the input text."""
    return records.withColumn("_record", F.when(F.size("_reasons") > 0, F.col("_record"))).cache()


@dataclass
class Profile:
    """What one pass over a run's checked records finds (see `profile`)."""

    read: int = 0
    rejected: int = 0
    files: set[str] = field(default_factory=set)
    reasons: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    new_fields: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def merged(self, other: Profile) -> Profile:
        """The profile of both sets of records (each profiled once, never the union again)."""

        def add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
            return {k: a.get(k, 0) + b.get(k, 0) for k in {*a, *b}}

        codes = {*self.examples, *other.examples}
        return Profile(
            read=self.read + other.read,
            rejected=self.rejected + other.rejected,
            files=self.files | other.files,
            reasons=add(self.reasons, other.reasons),
            warnings=add(self.warnings, other.warnings),
            new_fields=add(self.new_fields, other.new_fields),
            examples={
                c: sorted({*self.examples.get(c, ()), *other.examples.get(c, ())})[:EXAMPLES] for c in codes
            },
        )


def profile(checked: DataFrame, extra_fields: str) -> Profile:
    """Rows read and rejected, reasons and warnings (with a few `file:line` each), undeclared fields of
    good records and the source files seen: one pass.

    One aggregation by (file, reasons, warnings, undeclared field names) leaves a few rows per file;
    the tallies are summed from those on the driver. The examples are the same as `tally`'s: the
    first EXAMPLES of each code in sorted order are among the first EXAMPLES of some group.
    """
    rejected = F.size("_reasons") > 0
    flagged = rejected | (F.size("_warnings") > 0)
    where = F.concat_ws(":", F.col("_source_file"), F.col("_source_line").cast("string"))
    new_fields = F.when(~rejected, F.map_keys(extra_fields))
    groups = (
        checked.groupBy(F.col("_source_file"), F.col("_reasons"), F.col("_warnings"), new_fields.alias("nf"))
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.slice(F.sort_array(F.collect_set(F.when(flagged, where))), 1, EXAMPLES).alias("ex"),
        )
        .collect()
    )
    out = Profile()

    def add(counts: dict[str, int], keys: list[str] | None, n: int) -> None:
        for k in keys or ():
            counts[k] = counts.get(k, 0) + n

    seen: dict[str, set[str]] = {}
    for file, reasons, warnings, fields, n, ex in groups:
        out.read += n
        out.rejected += n if reasons else 0
        out.files.add(file)
        add(out.reasons, reasons, n)
        add(out.warnings, warnings, n)
        add(out.new_fields, fields, n)
        for code in {*(reasons or ()), *(warnings or ())}:
            seen.setdefault(code, set()).update(ex or ())
    out.examples = {code: sorted(found)[:EXAMPLES] for code, found in seen.items()}
    return out


def raw_rule_results(contract: Contract, result: StageResult) -> list[dict[str, Any]]:
    """Quality results of a raw->silver run: every code the contract can produce, failed or not."""
    total, out = result.rows_read, []
    parse_failed = sum(n for k, n in result.quality.items() if q.Code.parse(k).rule == q.PARSE_RULE)
    out.append(rule_row(q.parse_code("any"), parse_failed, total))
    rules = {r.name: r for r in contract.quality}
    for code in q.codes_of(contract):
        if code.rule == q.PARSE_RULE:
            continue
        rule = rules.get(code.rule)
        failed = result.warnings if rule is not None and rule.action == "warn" else result.quality
        out.append(
            rule_row(
                code,
                failed.get(str(code), 0),
                total,
                rule.critical if rule else False,
                rule.threshold if rule else 0.0,
            )
        )
    return out


def check_limits(contract: Contract, result: StageResult) -> None:
    """Fail the run (before it publishes) on a critical rule beyond its threshold or too much quarantine."""
    failing = [r for r in result.rule_results if r["critical"] and not r["passed"]]
    if failing:
        worst = failing[0]
        raise QualityError(
            f"critical quality rule {worst['rule']} failed for {worst['failed_rows']} of {worst['total_rows']} "
            f"rows ({worst['failed_ratio']:.1%} > threshold {worst['threshold']:.1%}): nothing was published"
        )
    limit = quarantine_limit(contract)
    if result.rows_read and result.rows_quarantined / result.rows_read > limit:
        top = max(result.quality.items(), key=lambda kv: (kv[1], kv[0]))[0] if result.quality else ""
        raise QuarantineLimitError(
            f"{contract.name}: {result.rows_quarantined:,} of {result.rows_read:,} rows quarantined "
            f"({result.rows_quarantined / result.rows_read:.1%} > quarantine_limit {limit:.1%}), most for "
            f"{q.describe(top, contract)}: nothing was published (`lakehouse check {contract.name} FILE` "
            f"shows why before a run)"
        )


def quarantine_limit(contract: Contract) -> float:
    """The contract's limit, else the project's (LAKEHOUSE_QUARANTINE_LIMIT, default 5%)."""
    if contract.quarantine_limit is not None:
        return contract.quarantine_limit
    return env_float("LAKEHOUSE_QUARANTINE_LIMIT")
