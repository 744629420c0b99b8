"""`lakehouse demo`: up, deploy, sample data for every domain, the automation loop, views, queries.

The sources ingested are the registry's: every dataset of every model, plus the datasets with their
own star mapping; nothing here names a sales source. Each sample file goes to the contract whose
file pattern matches it most specifically (`user_activity*.json*` over clickstream's `*.json*`).
Job log lines stay off the terminal unless `--verbose` (lakehouse.cli.quiet_job_logs).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from lakehouse.cli_output import console as make_console
from lakehouse.cli_output import print_reconciliation, print_result
from lakehouse.contracts import Contract
from lakehouse.settings import Settings


def claim(contracts: dict[str, Contract], landing: Path) -> dict[str, list[Path]]:
    """Landing files per dataset: each file to the contract whose pattern matches it most specifically
    (the longest pattern without its wildcards), so a catch-all `*.json*` takes only what no other takes."""
    claimed: dict[str, list[Path]] = {}
    for f in sorted(p for p in landing.rglob("*") if p.is_file()):
        matching = [c for c in contracts.values() if c.source.reads(f.name)]
        if matching:
            best = max(matching, key=lambda c: (len(c.source.file_pattern.replace("*", "")), c.name))
            claimed.setdefault(best.name, []).append(f)
    return claimed


def demo(args, settings: Settings) -> int:
    from lakehouse.cli import UsageError, _dispatch, _engine
    from lakehouse.generate.clickstream import generate_clickstream
    from lakehouse.generate.customer_features import generate_customer_features
    from lakehouse.generate.retail import generate_retail
    from lakehouse.generate.sales import generate_sales
    from lakehouse.generate.user_activity import generate_user_activity
    from lakehouse.ingest import IngestError, ingest
    from lakehouse.local import endpoint
    from lakehouse.local.terraform import deploy
    from lakehouse.registry import Project
    from lakehouse.views import create_views, load_queries

    console = make_console()
    if not settings.is_local:
        raise UsageError("lakehouse demo: runs on the local environment only")
    project = Project.load(settings.datasets_dir)
    t0 = time.monotonic()
    results = []

    def step(text: str) -> None:
        console.print(f"[bold cyan]==>[/] {text}  [dim]({time.monotonic() - t0:.1f}s)[/]")

    step(f"up: local AWS endpoint on {settings.endpoint_url}")
    ep = endpoint.up(args.port, reuse=getattr(args, "reuse", False))
    console.print(f"    {'started' if ep.started else 'reused'} {ep.url}")
    try:
        step("deploy: terraform apply of terraform/envs/local (the real AWS provider, on the endpoint)")
        line, _ = deploy(settings)
        console.print(f"    {line}")
        landing = Path(os.environ.get("LAKEHOUSE_STATE_DIR", ".lakehouse")) / "demo" / "landing"
        shutil.rmtree(landing, ignore_errors=True)
        step(
            f"generate: {args.days} days of clickstream, ~{args.events_per_hour} events/hour, seed {args.seed}"
        )
        stats = generate_clickstream(landing / "clickstream", args.days, args.events_per_hour, args.seed)
        console.print(
            f"    {stats.files} files, {stats.lines} lines: {stats.events} events, {stats.duplicates} "
            f"duplicates, {stats.late} late, {stats.bad} bad records"
        )
        generate_sales(landing / "sales", args.seed)
        console.print(
            "    sales: CRM exports, point-of-sale lines, fiscal calendar, and a messy order-line export "
            f"(cp1252, CRLF, two date formats, no DEALSIZE) in {landing / 'sales'}"
        )
        generate_user_activity(landing / "user_activity", args.seed)
        console.print(
            "    user_activity: three JSON deliveries with nested profiles (missing objects and fields), "
            "re-deliveries, profile changes, a change back and a late older version"
        )
        generate_retail(landing / "retail", args.seed)
        console.print(
            "    retail: RetailRocket-layout events (epoch ms, duplicate rows), item-property snapshots split "
            "out of order, a category tree with an orphan and a cycle"
        )
        generate_customer_features(landing / "customer_features", args.seed)
        console.print(
            "    customer_features: transactions and clickstream sessions of the same customers, some after "
            "the snapshot date"
        )
        step("ingest: landing files -> raw zone by event time")
        claimed = claim(project.contracts, landing)
        for name, contract in sorted(project.contracts.items()):
            try:
                done = ingest(settings, contract, claimed.get(name, []))
            except IngestError:
                console.print(f"    {name}: no sample files")
                continue
            console.print(
                f"    {name}: {done.files_uploaded} uploaded, {done.files_skipped} skipped, "
                f"{done.partitions_registered} raw partitions registered"
            )
        step(
            "automation: the endpoint's S3 and EventBridge events -> Lambda handlers -> Glue jobs on local Spark"
        )
        report = _dispatch(settings, console)
        results = report.runs
        if report.failures:
            raise RuntimeError("a job run failed: " + report.failures[0])
        print_reconciliation("every dataset and model", results)
        step("views: athena/views -> gold database")
        for name, status in create_views(settings, Path("athena/views")):
            console.print(f"    {name}: {status}")
        step("queries: athena/queries on the local engine (Athena SQL, transpiled to DuckDB)")
        engine = _engine(settings, "local")
        try:
            for name, sql in load_queries(Path("athena/queries")).items():
                title = sql.strip().splitlines()[0].lstrip("- ").strip() or name
                print_result(engine.query(sql), "table", f"{title}  (athena/queries/{name}.sql)")
        finally:
            engine.close()
    finally:
        if not args.keep and ep.started:
            step("down: stopping the local endpoint (use --keep to leave it running)")
            endpoint.down(args.port)
    step("done")
    return 0 if all(r.reconciled for r in results) else 1
