"""`lakehouse`: the local loop and the query front end.

    lakehouse up | down                       start / stop the local AWS endpoint (127.0.0.1:4566)
    lakehouse deploy --env local              terraform apply of terraform/envs/local on the endpoint
    lakehouse generate clickstream --out DIR  synthetic landing files
    lakehouse ingest DATASET PATH...          landing files -> raw zone, partitions registered
    lakehouse run DATASET                     the dataset's Glue jobs, locally, with reconciliation
    lakehouse dispatch                        pending endpoint events -> Lambda handlers -> the jobs they start
    lakehouse views                           athena/views/*.sql into the catalog (or Athena: --target aws)
    lakehouse query "SQL" | --file F          Athena SQL on the local engine (or Athena: --target aws)
    lakehouse demo                            all of the above on a small sample, then three queries

Misuse (bad arguments, unknown dataset, missing path, invalid contract) prints one line and exits 2;
a failing query or job prints one line and exits 1.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

from lakehouse.catalog import SchemaChangeError
from lakehouse.contracts import ContractError, find_contract
from lakehouse.engine.sql import QueryError
from lakehouse.ingest import IngestError
from lakehouse.settings import Settings

EXIT_FAILED, EXIT_USAGE = 1, 2


class UsageError(Exception):
    """Misuse of the CLI: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage + message; we want one clear line
        raise UsageError(f"{self.prog}: {message}")


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--env", default=None, help="environment (default: $LAKEHOUSE_ENV or local)")
    common.add_argument(
        "--project", default=None, help="project name (default: $LAKEHOUSE_PROJECT or lakehouse)"
    )
    common.add_argument(
        "--datasets", type=Path, default=None, help="contracts directory (default: datasets/)"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(prog="lakehouse", description="AWS Glue + Athena lakehouse kit: the local loop.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("up", parents=[common], help="start (or reuse) the local AWS endpoint")
    p.add_argument("--port", type=int, default=4566)
    p = sub.add_parser("down", parents=[common], help="stop the local endpoint started by `up`")
    p.add_argument("--port", type=int, default=4566)
    sub.add_parser("deploy", parents=[common], help="terraform apply of terraform/envs/local on the endpoint")

    p = sub.add_parser(
        "package", parents=[common], help="write Terraform's inputs: manifest.json and lakehouse.zip"
    )
    p.add_argument("--out", type=Path, default=Path("build/terraform"))
    p.add_argument("--lambda-dir", type=Path, default=Path("lambda"))

    p = sub.add_parser("generate", parents=[common], help="write synthetic landing files")
    p.add_argument("dataset", choices=["clickstream", "sales"])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--days", type=int, default=2)
    p.add_argument("--events-per-hour", type=int, default=60)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--start", type=date.fromisoformat, default=None, help="first day, YYYY-MM-DD")

    p = sub.add_parser("ingest", parents=[common], help="upload landing files into the raw zone")
    p.add_argument("dataset")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = sub.add_parser("run", parents=[common], help="run a dataset's jobs locally (new inputs only)")
    p.add_argument("dataset")
    p.add_argument("--full", action="store_true", help="reprocess every raw input, not only new ones")
    p.add_argument("--json", action="store_true", help="print the reconciliation as JSON")

    p = sub.add_parser(
        "dispatch",
        parents=[common],
        help="feed the endpoint's pending events to the Lambda handlers and run the jobs they start",
    )
    p.add_argument("--json", action="store_true", help="print what was handled as JSON")

    p = sub.add_parser("views", parents=[common], help="create the athena/views in the gold database")
    p.add_argument("--target", choices=["local", "aws"], default="local")
    p.add_argument("--dir", type=Path, default=Path("athena/views"))

    p = sub.add_parser("query", parents=[common], help="run Athena SQL locally or on Athena")
    p.add_argument("sql", nargs="?")
    p.add_argument("--file", type=Path)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--target", choices=["local", "aws"], default="local")

    p = sub.add_parser(
        "demo", parents=[common], help="up, deploy, generate, ingest, run, views, queries, down"
    )
    p.add_argument("--keep", action="store_true", help="leave the endpoint running afterwards")
    p.add_argument("--days", type=int, default=2)
    p.add_argument("--events-per-hour", type=int, default=60)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--port", type=int, default=4566)
    return parser


# ---------------------------------------------------------------------------------------------------


def _settings(args) -> Settings:
    try:
        settings = Settings.from_env(args.env, project=args.project, datasets_dir=args.datasets)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return settings


def _require_endpoint(settings: Settings) -> None:
    from lakehouse.local.endpoint import answering

    if settings.is_local and settings.endpoint_url and not answering(settings.endpoint_url):
        raise RuntimeError(
            f"the local endpoint is not answering at {settings.endpoint_url}: run `lakehouse up`"
        )


def _console(stderr: bool = False):
    """A rich console; when output is not a terminal (CI, pipes), wide enough that tables are not cut."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", "160"))
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def _table(title: str, columns: list[str], rows: list[tuple]):
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold")
    for c in columns:
        table.add_column(c)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    return table


def _print_result(result, fmt: str, title: str = "") -> None:
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
        _console().print(_table(title or f"{len(result.rows)} rows", result.columns, texts))
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


# commands ------------------------------------------------------------------------------------------


def cmd_up(args) -> int:
    from lakehouse.local import endpoint

    ep = endpoint.up(args.port)
    how = f"started (pid {ep.pid})" if ep.started else "already answering, reused"
    print(f"local endpoint {ep.url}: {how}")
    return 0


def cmd_down(args) -> int:
    from lakehouse.local import endpoint

    stopped = endpoint.down(args.port)
    print("local endpoint stopped" if stopped else "no local endpoint started by `lakehouse up` on this port")
    return 0


def cmd_deploy(args) -> int:
    from lakehouse.local.terraform import TerraformError, deploy

    settings = _settings(args)
    if not settings.is_local:
        raise UsageError(
            f"deploy applies the local environment only; for {settings.env!r} use Terraform "
            f"(make plan apply ENV={settings.env})"
        )
    _require_endpoint(settings)
    try:
        line, seconds = deploy(settings)
    except TerraformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"deploy --env {settings.env} ({settings.endpoint_url}): terraform/envs/local applied in {seconds:.0f} s"
    )
    print(line)
    return 0


def cmd_package(args) -> int:
    from lakehouse.bundle import package

    datasets = args.datasets or Path("datasets")
    if not datasets.is_dir():
        raise UsageError(f"contracts directory {datasets} not found")
    built = package(datasets, args.lambda_dir, args.out)
    print(
        f"{args.out}/manifest.json: {len(built['datasets'])} datasets, {len(built['models'])} models, "
        f"{len(built['tables'])} tables, {len(built['jobs'])} jobs; {args.out}/lakehouse.zip"
    )
    return 0


def cmd_generate(args) -> int:
    from lakehouse.generate.clickstream import DEFAULT_START, generate_clickstream

    if args.dataset == "sales":
        from lakehouse.generate.sales import generate_sales

        truth = generate_sales(args.out, args.seed)
        print(
            f"wrote customers (2 exports), transactions, fiscal_calendar and sales_orders to {args.out}: "
            f"{truth['sales_orders']['lines']} order lines, {truth['transactions']['lines']} transactions"
        )
        return 0
    if args.days < 1 or args.events_per_hour < 1:
        raise UsageError("lakehouse generate: --days and --events-per-hour must be at least 1")
    stats = generate_clickstream(
        args.out, args.days, args.events_per_hour, args.seed, args.start or DEFAULT_START
    )
    print(
        f"wrote {stats.files} files, {stats.lines} lines to {args.out}: {stats.events} events, "
        f"{stats.duplicates} duplicates, {stats.late} late, {stats.bad} bad records"
    )
    return 0


def cmd_ingest(args) -> int:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    from lakehouse.ingest import ingest, landing_files

    settings = _settings(args)
    contract = find_contract(settings.datasets_dir, args.dataset)
    files = landing_files(args.paths, contract)  # validates paths before touching the endpoint
    _require_endpoint(settings)
    total = sum(f.stat().st_size for f in files)
    show = not args.json and len(files) > 1
    with Progress(
        TextColumn("ingest {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} B"),
        console=_console(stderr=True),
        transient=True,
        disable=not show,
    ) as progress:
        task = progress.add_task(contract.name, total=total)
        summary = ingest(settings, contract, files, lambda _path, size: progress.advance(task, size))
    if args.json:
        print(json.dumps(summary.__dict__, indent=2))
    else:
        print(
            f"{contract.name}: {summary.files_uploaded} files uploaded ({summary.bytes_uploaded:,} bytes), "
            f"{summary.files_skipped} skipped (already there), {summary.partitions_registered} new partitions"
        )
        for path in summary.placed_by_mtime:
            print(f"  note: {path} has no readable event time; placed by its modification time")
    return 0


def cmd_run(args) -> int:
    from lakehouse.contracts import load_contracts
    from lakehouse.local.runner import run_dataset, run_model
    from lakehouse.local.wiring import dataset_stages
    from lakehouse.models import load_models

    settings = _settings(args)
    models = load_models(settings.datasets_dir)
    if args.dataset in models:  # a model: its landed sources to silver, then the model's gold
        model, contracts = models[args.dataset], load_contracts(settings.datasets_dir)
        _require_endpoint(settings)
        results = []
        for name in model.sources:
            if name in contracts:
                results += run_dataset(settings, contracts[name], stages=("raw_to_silver",), full=args.full)
        results.append(run_model(settings, model, full=args.full))
    else:
        contract = find_contract(settings.datasets_dir, args.dataset)
        _require_endpoint(settings)
        results = run_dataset(settings, contract, stages=dataset_stages(contract), full=args.full)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        _print_reconciliation(args.dataset, results)
    return 0 if all(r.reconciled for r in results) else EXIT_FAILED


def _print_reconciliation(dataset: str, results) -> None:
    console = _console()
    console.print(
        _table(
            f"{dataset}: reconciliation (rows read = written + duplicates + quarantined)",
            RECONCILIATION_COLUMNS,
            _reconciliation_rows(results),
        )
    )
    for r in results:
        if not r.inputs:
            console.print(f"  {r.stage}: nothing new to process")
        for run in r.recovered:
            console.print(f"  {r.stage}: completed the publish of interrupted run {run}")
        for table, n in r.tables.items():
            console.print(f"  {r.stage}: {table} {n:,} rows in the rebuilt files")
        if r.rows_replaced:
            console.print(
                f"  {r.stage}: {r.rows_replaced:,} earlier rows replaced by an earlier copy of their key"
            )
        for reason, n in sorted(r.quality.items()):
            if n:
                console.print(f"  {r.stage}: quarantined {n:,}: {reason}")
        for rule, n in r.warnings.items():
            console.print(f"  {r.stage}: warning {rule}: {n:,} rows")
        for name, n in sorted(r.new_fields.items()):
            console.print(
                f"  {r.stage}: new source field {name!r} in {n:,} rows: kept in _extra_fields; "
                f"declare it in the contract to type it"
            )


def _summarize(actions: list[str]) -> str:
    """Many per-object actions in one line: 'partition registered x10; raw_to_silver already requested x9'."""
    import re
    from collections import Counter

    phrases = Counter()
    for action in actions:
        for phrase in action.split("; "):
            phrase = re.sub(r"^\w+: partition \S+", "partition", phrase)
            phrase = re.sub(r"(jr_\w{10})\w+", r"\1…", phrase)
            phrase = re.sub(r"^s3://\S+: (\d+) purchases$", r"\1 purchases in an object", phrase)
            phrases[phrase] += 1
    return "; ".join(f"{p} x{n}" if n > 1 else p for p, n in phrases.items())


def _print_handled(console, handled) -> None:
    console.print(f"    [bold]{handled.handler}[/] <- {handled.event}: {_summarize(handled.actions)}")


def _dispatch(settings: Settings, console):
    from lakehouse.local.dispatcher import Dispatcher

    return Dispatcher(settings, on_event=lambda h: _print_handled(console, h)).run_until_idle()


def cmd_dispatch(args) -> int:
    settings = _settings(args)
    _require_endpoint(settings)
    console = _console(stderr=args.json)
    report = _dispatch(settings, console)
    if args.json:
        print(
            json.dumps(
                {
                    "handled": [h.__dict__ for h in report.handled],
                    "runs": [r.as_dict() for r in report.runs],
                    "failures": report.failures,
                },
                indent=2,
                default=str,
            )
        )
    elif report.runs:
        _print_reconciliation(", ".join(sorted({r.dataset for r in report.runs})), report.runs)
    return 0 if not report.failures else EXIT_FAILED


def cmd_views(args) -> int:
    from lakehouse.views import create_views

    settings = _settings(args)
    if args.target == "local":
        _require_endpoint(settings)
    done = create_views(settings, args.dir, args.target)
    for name, status in done:
        print(f"view {settings.database('gold')}.{name}: {status}")
    return 0


def _engine(settings: Settings, target: str):
    if target == "aws":
        from lakehouse.engine.athena import AthenaEngine

        return AthenaEngine(settings)
    from lakehouse.engine.local import LocalEngine

    _require_endpoint(settings)
    return LocalEngine(settings)


def cmd_query(args) -> int:
    if bool(args.sql) == bool(args.file):
        raise UsageError("lakehouse query: give either SQL or --file F")
    if args.file and not args.file.is_file():
        raise UsageError(f"lakehouse query: no such file: {args.file}")
    sql = args.file.read_text(encoding="utf-8") if args.file else args.sql
    from lakehouse.engine.dialect import NotSupportedLocally

    settings = _settings(args)
    engine = _engine(settings, args.target)
    try:
        _print_result(engine.query(sql), args.format)
    except NotSupportedLocally as exc:  # the one line, as is: what is refused and what Athena would do
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.close()
    return 0


def cmd_demo(args) -> int:
    import shutil

    from lakehouse.generate.clickstream import generate_clickstream
    from lakehouse.generate.sales import generate_sales
    from lakehouse.ingest import ingest
    from lakehouse.local import endpoint
    from lakehouse.local.terraform import deploy
    from lakehouse.views import create_views, load_queries

    console = _console()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{endpoint.HOST}:{args.port}"  # the endpoint the demo brings up
    settings = _settings(args)
    if not settings.is_local:
        raise UsageError("lakehouse demo: runs on the local environment only")
    t0 = time.monotonic()

    def step(text: str) -> None:
        console.print(f"[bold cyan]==>[/] {text}  [dim]({time.monotonic() - t0:.1f}s)[/]")

    step(f"up: local AWS endpoint on {settings.endpoint_url}")
    ep = endpoint.up(args.port)
    console.print(f"    {'started' if ep.started else 'reused'} {ep.url}")
    try:
        step("deploy: terraform apply of terraform/envs/local (the real AWS provider, on the endpoint)")
        line, _ = deploy(settings)
        console.print(f"    {line}")
        landing = (
            Path(os.environ.get("LAKEHOUSE_STATE_DIR", ".lakehouse")) / "demo" / "landing" / "clickstream"
        )
        shutil.rmtree(landing, ignore_errors=True)
        step(
            f"generate: {args.days} days of clickstream, ~{args.events_per_hour} events/hour, seed {args.seed}"
        )
        stats = generate_clickstream(landing, args.days, args.events_per_hour, args.seed)
        console.print(
            f"    {stats.files} files, {stats.lines} lines: {stats.events} events, {stats.duplicates} "
            f"duplicates, {stats.late} late, {stats.bad} bad records"
        )
        contract = find_contract(settings.datasets_dir, "clickstream")
        sales_landing = landing.parent / "sales"
        shutil.rmtree(sales_landing, ignore_errors=True)
        generate_sales(sales_landing, args.seed)
        console.print(
            f"    sales: CRM exports, point-of-sale lines, fiscal calendar, and a messy order-line export "
            f"(cp1252, CRLF, two date formats, no DEALSIZE) in {sales_landing}"
        )
        step("ingest: landing files -> raw zone by event time")
        summary = ingest(settings, contract, [landing])
        console.print(
            f"    clickstream: {summary.files_uploaded} uploaded, {summary.files_skipped} skipped, "
            f"{summary.partitions_registered} raw partitions registered"
        )
        for name in ("customers", "transactions", "fiscal_calendar", "sales_orders"):
            source = find_contract(settings.datasets_dir, name)
            done = ingest(settings, source, [sales_landing])
            console.print(f"    {name}: {done.files_uploaded} uploaded, {done.files_skipped} skipped")
        step(
            "automation: the endpoint's S3 and EventBridge events -> Lambda handlers -> Glue jobs on local Spark"
        )
        report = _dispatch(settings, console)
        results = report.runs
        if report.failures:
            raise RuntimeError("a job run failed: " + report.failures[0])
        _print_reconciliation("clickstream and sales", results)
        step("views: athena/views -> gold database")
        for name, status in create_views(settings, Path("athena/views")):
            console.print(f"    {name}: {status}")
        step("queries: athena/queries on the local engine (Athena SQL, transpiled to DuckDB)")
        engine = _engine(settings, "local")
        try:
            for name, sql in load_queries(Path("athena/queries")).items():
                title = sql.strip().splitlines()[0].lstrip("- ").strip() or name
                _print_result(engine.query(sql), "table", f"{title}  (athena/queries/{name}.sql)")
        finally:
            engine.close()
    finally:
        if not args.keep and ep.started:
            step("down: stopping the local endpoint (use --keep to leave it running)")
            endpoint.down(args.port)
    step("done")
    return 0 if all(r.reconciled for r in results) else EXIT_FAILED


COMMANDS = {
    "up": cmd_up,
    "down": cmd_down,
    "deploy": cmd_deploy,
    "generate": cmd_generate,
    "ingest": cmd_ingest,
    "package": cmd_package,
    "run": cmd_run,
    "dispatch": cmd_dispatch,
    "views": cmd_views,
    "query": cmd_query,
    "demo": cmd_demo,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ContractError, IngestError, SchemaChangeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except QueryError as exc:
        print(f"query failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except RuntimeError as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
