"""`lakehouse demo`: up, deploy, sample data for every domain, the automation loop, views, queries.

Nothing here names a domain: the samples are every domain's generator (lakehouse.landing.samples), the
views and queries every domain's files. Each sample file goes to the contract whose file pattern
matches it most specifically (`orders*.json*` over a catch-all `*.json*`). Job log lines stay
off the terminal unless `--verbose` (lakehouse.cli.commands.quiet_job_logs).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from lakehouse.cli.output import console as make_console
from lakehouse.cli.output import print_reconciliation, print_result
from lakehouse.contract.dataset import Contract
from lakehouse.errors import IngestError, UsageError
from lakehouse.settings import Settings, env_str


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


def demo(args, settings: Settings, dispatch, open_engine) -> int:
    """The whole loop; `dispatch(settings, console)` and `open_engine(settings, target)` are the CLI's."""
    from lakehouse.contract.registry import Project
    from lakehouse.deploy.views import create_views, load_queries, sql_files
    from lakehouse.landing import samples
    from lakehouse.landing.ingest import ingest
    from lakehouse.local import endpoint
    from lakehouse.local.terraform import deploy

    console = make_console()
    if not settings.is_local:
        raise UsageError("lakehouse demo: runs on the local environment only")
    project = Project.load(settings.domains)
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
        landing = Path(env_str("LAKEHOUSE_STATE_DIR")) / "demo" / "landing"
        shutil.rmtree(landing, ignore_errors=True)
        step(f"generate: every domain's sample files, seed {args.seed}")
        sizing = {"days": args.days, "events_per_hour": args.events_per_hour}
        for domain in samples.generators(settings.domains):
            takes = samples.options_of(domain)
            given = {k: v for k, v in sizing.items() if k in takes}
            console.print(
                f"    {domain.name}: {samples.generate(domain, landing / domain.name, args.seed, **given)}"
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
        report = dispatch(settings, console)
        results = report.runs
        if report.failures:
            raise RuntimeError("a job run failed: " + report.failures[0])
        print_reconciliation("every dataset and model", results)
        step("views: every domain's views/ -> gold database")
        for name, status in create_views(settings):
            console.print(f"    {name}: {status}")
        step("queries: every domain's queries/ on the local engine (Athena SQL, transpiled to DuckDB)")
        engine = open_engine(settings, "local")
        try:
            for path in sql_files(settings.domains, "queries"):
                sql = load_queries([path])[path.stem]
                title = sql.strip().splitlines()[0].lstrip("- ").strip() or path.stem
                print_result(engine.query(sql), "table", f"{title}  ({path})")
        finally:
            engine.close()
    finally:
        if not args.keep and ep.started:
            step("down: stopping the local endpoint (use --keep to leave it running)")
            endpoint.down(args.port)
    step("done")
    return 0 if all(r.reconciled for r in results) else 1
