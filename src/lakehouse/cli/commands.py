"""`lakehouse`: the local loop and the query front end.

    lakehouse up | down                       start / stop the local AWS endpoint (127.0.0.1:4566)
    lakehouse deploy --env local              terraform apply of terraform/envs/local on the endpoint
    lakehouse generate DOMAIN --out DIR       a domain's sample landing files (its generate.py)
    lakehouse new DATASET --from FILE         a draft contract from a sample landing file [--domain NAME]
    lakehouse check DATASET FILE              parse a landing file against its contract (no upload, no run)
    lakehouse ingest DATASET PATH...          landing files -> raw zone, partitions registered
    lakehouse run DATASET|MODEL [--ARG V]     the Glue jobs the registry plans for it, locally, reconciled
                                              (--ARG: a run argument its model file declares)
    lakehouse dispatch                        pending endpoint events -> Lambda handlers -> the jobs they start
    lakehouse views                           every domain's views into the catalog (or Athena: --target aws)
    lakehouse query "SQL" | --file F          Athena SQL on the local engine (or Athena: --target aws)
    lakehouse demo                            all of the above on a small sample, then three queries

Misuse (bad arguments, unknown dataset, missing path, invalid contract) prints one line and exits 2;
a failing query or job prints one line and exits 1. Output to a closed pipe (`| head`) ends quietly.

The kit knows no domain here: generators, model run arguments, views and queries come from the
domain folders (lakehouse.contract.domains, lakehouse.landing.samples). At ~530 lines this module is over the
project's ~400: it holds every command's arguments and its short handler side by side (rendering is
in cli/output.py, the demo in cli/demo.py, file checks in landing/check.py); splitting the parser from the
handlers would separate what is read together. Commands import their modules inside the handler so
that `lakehouse --help` and misuse answer without loading Spark, boto3 or DuckDB.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from lakehouse.cli.output import console as _console
from lakehouse.cli.output import print_check, print_reconciliation, summarize
from lakehouse.cli.output import print_result as _print_result
from lakehouse.contract.dataset import find_contract
from lakehouse.errors import QueryError, RunError, UsageError
from lakehouse.settings import Settings

EXIT_FAILED, EXIT_USAGE = 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage + message; we want one clear line
        raise UsageError(f"{self.prog}: {message}")


def _common() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument("--env", default=None, help="environment (default: $LAKEHOUSE_ENV or local)")
    common.add_argument(
        "--project", default=None, help="project name (default: $LAKEHOUSE_PROJECT or lakehouse)"
    )
    common.add_argument(
        "--domains",
        type=Path,
        action="append",
        default=None,
        help="a folder of domains (repeat for several; default: $LAKEHOUSE_DOMAINS or domains/)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(prog="lakehouse", description="AWS Glue + Athena lakehouse kit: the local loop.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("up", parents=[common], help="start (or reuse) the local AWS endpoint")
    p.add_argument("--port", type=int, default=4566)
    p.add_argument(
        "--reuse",
        action="store_true",
        help="use a server already on the port that `up` did not start (your LocalStack or moto)",
    )
    p = sub.add_parser("down", parents=[common], help="stop the local endpoint started by `up`")
    p.add_argument("--port", type=int, default=4566)
    sub.add_parser("deploy", parents=[common], help="terraform apply of terraform/envs/local on the endpoint")

    p = sub.add_parser(
        "package", parents=[common], help="write Terraform's inputs: manifest.json and lakehouse.zip"
    )
    p.add_argument("--out", type=Path, default=Path("build/terraform"))
    p.add_argument("--lambda-dir", type=Path, default=Path("lambda"))

    p = sub.add_parser("generate", parents=[common], help="write a domain's sample landing files")
    p.add_argument("dataset", metavar="DOMAIN", help="a domain with a generate.py, or one of its datasets")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--days", type=int, default=None, help="days of data (generators that take it)")
    p.add_argument("--events-per-hour", type=int, default=None, help="(generators that take it)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--start",
        type=date.fromisoformat,
        default=None,
        help="first day, YYYY-MM-DD (generators that take it)",
    )

    p = sub.add_parser("new", parents=[common], help="write a draft contract from a sample landing file")
    p.add_argument("dataset")
    p.add_argument(
        "--from", dest="sample", type=Path, required=True, metavar="FILE", help="a sample landing file"
    )
    p.add_argument(
        "--domain", default=None, help="the domain folder to write it in (default: named like the dataset)"
    )

    p = sub.add_parser(
        "check", parents=[common], help="parse a landing file against its contract, without uploading it"
    )
    p.add_argument("dataset")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = sub.add_parser("ingest", parents=[common], help="upload landing files into the raw zone")
    p.add_argument("dataset")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = sub.add_parser(
        "run",
        parents=[common],
        help="run a dataset's jobs locally (new inputs only); --ARG VALUE: a model's run argument",
    )
    p.add_argument("dataset")
    p.add_argument("--full", action="store_true", help="reprocess every raw input, not only new ones")
    p.add_argument("--json", action="store_true", help="print the reconciliation as JSON")
    p.add_argument("--verbose", action="store_true", help="show the jobs' log lines (JSON on stderr)")

    p = sub.add_parser(
        "dispatch",
        parents=[common],
        help="feed the endpoint's pending events to the Lambda handlers and run the jobs they start",
    )
    p.add_argument("--json", action="store_true", help="print what was handled as JSON")
    p.add_argument("--verbose", action="store_true", help="show the jobs' log lines (JSON on stderr)")

    p = sub.add_parser("views", parents=[common], help="create every domain's views in the gold database")
    p.add_argument("--target", choices=["local", "aws"], default="local")

    p = sub.add_parser("query", parents=[common], help="run Athena SQL locally or on Athena")
    p.add_argument("sql", nargs="?")
    p.add_argument("--file", type=Path)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--target", choices=["local", "aws"], default="local")
    p.add_argument(
        "--explain",
        action="store_true",
        help="do not run: print the partitions, files and bytes Athena would scan, and the cost",
    )
    p.add_argument("--price-per-tb", type=float, default=5.0, help="Athena price per TB scanned (--explain)")

    p = sub.add_parser(
        "demo", parents=[common], help="up, deploy, generate, ingest, run, views, queries, down"
    )
    p.add_argument("--keep", action="store_true", help="leave the endpoint running afterwards")
    p.add_argument("--days", type=int, default=2)
    p.add_argument("--events-per-hour", type=int, default=60)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--port", type=int, default=4566)
    p.add_argument("--reuse", action="store_true", help="use a server on the port that `up` did not start")
    p.add_argument("--verbose", action="store_true", help="show the jobs' log lines (JSON on stderr)")
    return parser


# ---------------------------------------------------------------------------------------------------


def _settings(args, **overrides) -> Settings:
    try:
        roots = tuple(args.domains) if args.domains else None
        settings = Settings.from_env(args.env, project=args.project, domains=roots, **overrides)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return settings


def _require_endpoint(settings: Settings) -> None:
    from lakehouse.local.endpoint import reachable

    if settings.is_local and settings.endpoint_url and not reachable(settings.endpoint_url):
        raise RuntimeError(
            f"the local endpoint is not answering at {settings.endpoint_url}: run `lakehouse up`"
        )


def quiet_job_logs(verbose: bool) -> None:
    """Unless verbose, the jobs' and handlers' JSON log lines stay off the terminal (warnings still show)."""
    import logging

    for name in ("lakehouse.jobs", "lakehouse.automation"):
        log = logging.getLogger(name)
        if verbose:
            continue
        if not log.handlers:
            log.addHandler(logging.NullHandler())  # lakehouse.jobs.entry then adds no stderr handler
        log.propagate = False
        log.setLevel(logging.WARNING)


# ---------------------------------------------------------------------------------------------------


# commands ------------------------------------------------------------------------------------------


def cmd_up(args) -> int:
    from lakehouse.local import endpoint

    ep = endpoint.up(args.port, reuse=args.reuse)
    how = f"started (pid {ep.pid})" if ep.started else "already answering, reused"
    print(f"local endpoint {ep.url}: {how}")
    return 0


def cmd_down(args) -> int:
    from lakehouse.local import endpoint

    stopped = endpoint.down(args.port)
    print("local endpoint stopped" if stopped else "no local endpoint started by `lakehouse up` on this port")
    return 0


def cmd_deploy(args) -> int:
    from lakehouse.errors import TerraformError
    from lakehouse.local.terraform import deploy

    settings = _settings(args)
    if not settings.is_local:
        raise UsageError(
            f"deploy applies the local environment only; for {settings.env!r} use Terraform "
            f"(make plan apply ENV={settings.env} PROJECT=...)"
        )
    _require_endpoint(settings)
    try:
        line, seconds = deploy(settings)
    except TerraformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"deploy --env {settings.env} ({settings.endpoint_url}): terraform/envs/local applied in {seconds:.0f} s"
    )
    print(line)
    return 0


def cmd_package(args) -> int:
    from lakehouse.deploy.bundle import package

    settings = _settings(args)
    built = package(settings.domains, args.lambda_dir, args.out)
    print(
        f"{args.out}/manifest.json: {len(built['datasets'])} datasets, {len(built['models'])} models, "
        f"{len(built['tables'])} tables, {len(built['jobs'])} jobs; {args.out}/lakehouse.zip"
    )
    return 0


def cmd_generate(args) -> int:
    from lakehouse.landing import samples

    settings = _settings(args)
    domain = samples.find(settings.domains, args.dataset)
    sizing = {"days": args.days, "events_per_hour": args.events_per_hour, "start": args.start}
    print(samples.generate(domain, args.out, args.seed, **sizing))
    return 0


def cmd_ingest(args) -> int:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    from lakehouse.landing.ingest import ingest, landing_files

    settings = _settings(args)
    contract = find_contract(settings.domains, args.dataset)
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


def cmd_new(args) -> int:
    from lakehouse.landing.draft import write_draft

    settings = _settings(args)
    if not args.sample.is_file():  # before "already exists": the file is the first thing to be wrong
        raise UsageError(f"lakehouse new: no such file: {args.sample}")
    path = write_draft(args.dataset, args.sample, settings.domains[0], args.domain)
    print(f"{path}: a draft contract for {args.dataset}; review its `guess` comments, then")
    print(f"  lakehouse check {args.dataset} {args.sample}")
    return 0


def cmd_check(args) -> int:
    from lakehouse.jobs.accounting import quarantine_limit
    from lakehouse.landing.check import check_file

    settings = _settings(args)
    contract = find_contract(settings.domains, args.dataset)
    if not args.file.is_file():
        raise UsageError(f"lakehouse check: no such file: {args.file}")
    report = check_file(args.file, contract, quarantine_limit(contract))
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print_check(report)
    return 0 if report.within_limit else EXIT_FAILED


def _model_arguments(name: str, extra: list[str], project) -> dict[str, str]:
    """`--snapshot-date D` -> {"snapshot_date": "D"}: the run arguments given for NAME, checked against
    the ones its model file declares, then by its transform's `check_arguments` (if it has one)."""
    given: dict[str, str] = {}
    rest = list(extra)
    while rest:
        flag = rest.pop(0)
        value = None
        if flag.startswith("--") and "=" in flag:
            flag, value = flag.split("=", 1)
        if not flag.startswith("--") or len(flag) < 3:
            raise UsageError(f"lakehouse run: unrecognized argument {flag!r}")
        if value is None:
            if not rest or rest[0].startswith("--"):
                raise UsageError(f"lakehouse run: {flag} needs a value")
            value = rest.pop(0)
        given[flag[2:].replace("-", "_")] = value
    if not given:
        return {}
    model = project.models.get(name)
    declared = model.arguments if model else {}
    unknown = [k for k in given if k not in declared]
    if unknown:
        flag = "--" + unknown[0].replace("_", "-")
        raise UsageError(f"lakehouse run: {flag} is not an argument of {name!r} (see its model file)")
    check = getattr(model.domain.module(model.transform), "check_arguments", None)
    if check is not None:  # refused here, before any job runs, rather than by the build after its sources'
        check({**model.parameters, **given})
    return given


def cmd_run(args, extra: list[str]) -> int:
    from lakehouse.contract.registry import Project
    from lakehouse.local.launcher import run_plan

    settings = _settings(args)
    project = Project.load(settings.domains)
    plan = project.run_plan(args.dataset)  # unknown names fail here, before the endpoint is asked
    arguments = _model_arguments(args.dataset, extra, project)
    _require_endpoint(settings)
    quiet_job_logs(args.verbose or args.json)
    results = run_plan(settings, project, args.dataset, full=args.full, arguments=arguments)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        print_reconciliation(f"{args.dataset} ({len(plan)} jobs)", results)
    return 0 if all(r.reconciled for r in results) else EXIT_FAILED


def _print_handled(console, handled) -> None:
    console.print(
        f"    [bold]{handled.handler}[/] <- {handled.event}: {summarize(handled.actions, handled.malformed)}"
    )


def _dispatch(settings: Settings, console):
    from lakehouse.local.dispatcher import Dispatcher

    return Dispatcher(settings, on_event=lambda h: _print_handled(console, h)).run_until_idle()


def cmd_dispatch(args) -> int:
    settings = _settings(args)
    _require_endpoint(settings)
    quiet_job_logs(args.verbose)
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
        print_reconciliation(", ".join(sorted({r.dataset for r in report.runs})), report.runs)
    return 0 if not report.failures else EXIT_FAILED


def cmd_views(args) -> int:
    from lakehouse.deploy.views import create_views

    settings = _settings(args)
    if args.target == "local":
        _require_endpoint(settings)
    done = create_views(settings, target=args.target)
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
    if args.explain:
        return _explain(settings, sql, args)
    engine = _engine(settings, args.target)
    try:
        _print_result(engine.query(sql), args.format)
    except NotSupportedLocally as exc:  # the one line, as is: what is refused and what Athena would do
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.close()
    return 0


def _explain(settings: Settings, sql: str, args) -> int:
    """`query --explain`: what Athena would scan and bill, from the catalog and Parquet footers."""
    from lakehouse.engine.explain import explain, render

    if args.target == "local":
        _require_endpoint(settings)
    plan = explain(settings, sql, price_per_tb=args.price_per_tb)
    print(json.dumps(plan.as_dict(), indent=2) if args.format == "json" else render(plan))
    return 0


def cmd_demo(args) -> int:
    from lakehouse.cli.demo import demo

    quiet_job_logs(args.verbose)
    return demo(args, _settings(args, endpoint_url=f"http://127.0.0.1:{args.port}"), _dispatch, _engine)


COMMANDS = {
    "up": cmd_up,
    "down": cmd_down,
    "deploy": cmd_deploy,
    "generate": cmd_generate,
    "new": cmd_new,
    "check": cmd_check,
    "ingest": cmd_ingest,
    "package": cmd_package,
    "dispatch": cmd_dispatch,
    "views": cmd_views,
    "query": cmd_query,
    "demo": cmd_demo,
}


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if args.command == "run":  # a model's run arguments are its own (its model file declares them)
            return cmd_run(args, extra)
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return COMMANDS[args.command](args)
    except BrokenPipeError:
        # the reader went away (`lakehouse ... | head`): stop quietly, and keep Python's exit-time flush
        # of stdout from raising again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except UsageError as exc:  # ContractError, IngestError, SchemaChangeError, ... (lakehouse.errors)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RunError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"query failed: {first}" if isinstance(exc, QueryError) else f"error: {first}", file=sys.stderr)
        return EXIT_FAILED
    except RuntimeError as exc:  # not ours (e.g. Spark's): its first line
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
