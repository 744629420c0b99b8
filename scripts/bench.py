"""`make bench`: throughput, memory, file sizes, scan and cost figures of the clickstream pipeline.

One run, one machine, one data set:

1. generates clickstream at scale (default 1,000,000 events over 30 days; cached under build/bench);
2. measures, each in its own process (peak RSS = the whole process tree, sampled every 50 ms):
   (a) bare DuckDB: JSON -> deduplicated, year/month/day-partitioned snappy Parquet;
   (b) plain PySpark, same conversion (explicit schema, no UDFs), same session settings as our jobs;
   (c) our raw->silver->gold jobs (the Glue scripts, on local Spark), each stage alone, with the local
       S3 bridge (staging inputs from / uploading outputs to the emulated S3) timed apart and excluded;
3. a small incremental run (one new hourly file) on top: the fixed cost beyond Spark start-up;
4. the file-count bound of every silver and gold partition written;
5. `lakehouse query --explain` of the clickstream domain's queries and bench/queries/*.sql: bytes Athena would scan
   against the raw JSON bytes of the same period;
6. Glue cost per GB from the measured throughput (DPU-hour price and worker type are parameters).

Writes bench/results/<date>.json and the table in docs/performance.md. The moto endpoint (our S3 and
catalog stand-in) runs outside the measured process tree.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lakehouse.contract.domains import Domain

REPO = Path(__file__).resolve().parents[1]
CLICKSTREAM = Domain("clickstream", REPO / "domains" / "clickstream")  # the sample domain the bench uses
MARK = "BENCH-RESULT "
WORKERS = {"G.1X": 1, "G.2X": 2, "G.4X": 4, "G.8X": 8, "G.025X": 0.25}  # DPU per worker; 1 DPU = 4 vCPU
MB = 1_000_000


# --------------------------------------------------------------------------------------------------
# measuring a child process tree


def _tree_rss(proc) -> int:
    import psutil

    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def measure(args: list[str], env: dict | None = None) -> dict:
    """Run `python scripts/bench.py <args>` as a child; its JSON result plus wall time and peak tree RSS."""
    import psutil

    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    t0 = time.monotonic()
    log = Path(tempfile.gettempdir()) / f"lakehouse-bench-{args[0].strip('_')}.log"
    err = log.open("w")
    child = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=err, text=True, env={**os.environ, **(env or {})}
    )
    proc, peak, stop = psutil.Process(child.pid), [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss(proc))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = child.communicate()
    err.close()
    stop.set()
    sampler.join()
    wall = time.monotonic() - t0
    if child.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"{tail}\nbench child {args[0]} failed (exit {child.returncode}); log: {log}")
    result = next(json.loads(line[len(MARK) :]) for line in out.splitlines() if line.startswith(MARK))
    return result | {"process_wall_s": round(wall, 3), "peak_rss_bytes": peak[0]}


def _emit(result: dict) -> None:
    print(MARK + json.dumps(result), flush=True)


def _files(root: Path) -> dict:
    sizes = [p.stat().st_size for p in root.rglob("*.parquet")]
    return {"files": len(sizes), "bytes": sum(sizes), "max_file_bytes": max(sizes, default=0)}


# --------------------------------------------------------------------------------------------------
# children


def child_duckdb(data: Path, out: Path) -> None:
    import duckdb

    shutil.rmtree(out, ignore_errors=True)
    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count()}")
    t0 = time.monotonic()
    columns = (
        "{'event_id': 'VARCHAR', 'user_id': 'VARCHAR', 'session_id': 'VARCHAR', 'event_type': 'VARCHAR', "
        "'event_timestamp': 'TIMESTAMP', 'device_type': 'VARCHAR', 'page_url': 'VARCHAR', "
        "'referrer_url': 'VARCHAR', 'metadata': 'MAP(VARCHAR, VARCHAR)'}"
    )
    con.execute(
        f"""COPY (
            SELECT * EXCLUDE (filename), year(event_timestamp) AS year, month(event_timestamp) AS month,
                   day(event_timestamp) AS day
            FROM read_json('{data}/clickstream-*.json', format = 'newline_delimited', columns = {columns},
                           ignore_errors = true, filename = true)
            WHERE event_id IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY event_timestamp, filename) = 1
        ) TO '{out}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (year, month, day))"""
    )
    seconds = time.monotonic() - t0
    (rows,) = con.execute(f"SELECT count(*) FROM read_parquet('{out}/**/*.parquet')").fetchall()[0]
    _emit({"seconds": round(seconds, 3), "rows_out": rows, **_files(out)})


def child_spark(data: Path, out: Path) -> None:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from lakehouse.jobs.spark import local_session

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.monotonic()
    spark = local_session("bench-plain-spark")
    start_s = time.monotonic() - t0
    t1 = time.monotonic()
    schema = (
        "event_id string, user_id string, session_id string, event_type string, event_timestamp timestamp, "
        "device_type string, page_url string, referrer_url string, metadata map<string,string>"
    )
    df = spark.read.schema(schema).json(str(data / "clickstream-*.json")).where(F.col("event_id").isNotNull())
    df = df.withColumn("_file", F.input_file_name())
    first = Window.partitionBy("event_id").orderBy("event_timestamp", "_file")
    deduped = (
        df.withColumn("_rn", F.row_number().over(first))
        .where("_rn = 1")
        .drop("_rn", "_file")
        .withColumn("year", F.year("event_timestamp"))
        .withColumn("month", F.month("event_timestamp"))
        .withColumn("day", F.dayofmonth("event_timestamp"))
    )
    deduped.repartition("year", "month", "day").write.mode("overwrite").partitionBy(
        "year", "month", "day"
    ).parquet(str(out))
    seconds = time.monotonic() - t1
    rows = spark.read.parquet(str(out)).count()
    _emit({"seconds": round(seconds, 3), "spark_start_s": round(start_s, 3), "rows_out": rows, **_files(out)})


def child_jobs(project: str, full: bool, then: str = "") -> None:
    """Both Glue job scripts, as the local runner runs them, with the S3 bridge timed apart and every AWS
    request counted (the bridge's apart). `then`: a raw file to ingest afterwards and run again in the
    same process, warm (the JVM has loaded and compiled what the jobs use)."""
    import botocore.client

    from lakehouse.contract.dataset import load_contract
    from lakehouse.contract.registry import dataset_stages
    from lakehouse.jobs.spark import local_session
    from lakehouse.landing.ingest import ingest
    from lakehouse.local import launcher as runner
    from lakehouse.settings import Settings

    calls: dict[str, int] = {}
    in_bridge = [False]
    request = botocore.client.BaseClient._make_api_call

    def counted(client, operation, params):
        key = "bridge" if in_bridge[0] else f"{client.meta.service_model.service_name}:{operation}"
        calls[key] = calls.get(key, 0) + 1
        return request(client, operation, params)

    botocore.client.BaseClient._make_api_call = counted

    class TimedStagingIO(runner.StagingIO):
        seconds = 0.0

        def _timed(self, call, *args):
            t, in_bridge[0] = time.monotonic(), True
            try:
                return call(*args)
            finally:
                TimedStagingIO.seconds += time.monotonic() - t
                in_bridge[0] = False

        def readable(self, uris):
            return self._timed(super().readable, uris)

        def commit(self, uri):
            return self._timed(super().commit, uri)

    settings = Settings.from_env("local", project=project)
    contract = load_contract(CLICKSTREAM.path / "clickstream.yaml")
    t0 = time.monotonic()
    local_session("bench-jobs")
    start_s = time.monotonic() - t0

    def run_stages() -> list[dict]:
        stages = []
        with runner._job_environment(settings, contract.name) as root:
            for stage in dataset_stages(contract):
                argv = runner._argv(
                    settings,
                    settings.job_name(contract.name, stage),
                    runner.new_run_id(),
                    full,
                    dataset=contract.name,
                    contract_uri=str(contract.path),
                )
                TimedStagingIO.seconds = 0.0
                calls.clear()
                t = time.monotonic()
                result = runner.job_script(stage, REPO / "glue" / "jobs").main(
                    argv, io=TimedStagingIO(settings, root / stage)
                )
                wall = time.monotonic() - t
                if not result.reconciled or result.status != "succeeded":
                    raise SystemExit(f"{stage} did not succeed: {result.as_dict()}")
                bridge = calls.pop("bridge", 0)
                stages.append(
                    {
                        "stage": stage,
                        "wall_s": round(wall, 3),
                        "job_s": result.duration_s,
                        "bridge_s": round(TimedStagingIO.seconds, 3),
                        "aws_requests": sum(calls.values()),
                        "aws_requests_by_operation": dict(sorted(calls.items())),
                        "bridge_requests": bridge,
                        "rows_read": result.rows_read,
                        "rows_written": result.rows_written,
                        "duplicates_removed": result.duplicates_removed,
                        "rows_quarantined": result.rows_quarantined,
                        "tables": result.tables,
                    }
                )
        return stages

    out: dict = {"spark_start_s": round(start_s, 3), "stages": run_stages()}
    if then:
        ingest(settings, contract, [Path(then)])
        out["warm"] = {"input_file": Path(then).name, "input_bytes": Path(then).stat().st_size}
        out["warm"]["stages"] = run_stages()
    _emit(out)


# --------------------------------------------------------------------------------------------------
# the parent


def _generate(cache: Path, events: int, days: int, seed: int, start: date) -> tuple[Path, dict]:
    generate_clickstream = CLICKSTREAM.module("generate").generate_clickstream

    per_hour = max(1, math.ceil(events / (days * 24)))
    data = cache / f"clickstream-{per_hour}x{days * 24}-seed{seed}-{start.isoformat()}"
    summary = data / "_generated.json"
    if not summary.exists():
        tmp = data.with_name(data.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        generate_clickstream(tmp, days, per_hour, seed, start=start)
        shutil.rmtree(data, ignore_errors=True)
        tmp.rename(data)
    return data, json.loads(summary.read_text())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _partition_files(settings, database: str, table: str) -> list[dict]:
    """Per published partition (or the table location): files and bytes, from a listing."""
    from lakehouse.aws.catalog import Catalog
    from lakehouse.aws.storage import Storage

    catalog, storage = Catalog(settings), Storage(settings)
    found = catalog.get_table(database, table)
    if found is None:
        return []
    if found.get("PartitionKeys"):
        locations = [
            (json.dumps([str(x) for x in v]), loc) for v, loc in catalog.get_partitions(database, table)
        ]
    else:
        locations = [("", found["StorageDescriptor"]["Location"])]
    out = []
    for key, loc in locations:
        sizes = [o.size for o in storage.list(loc) if o.key.endswith(".parquet")]
        out.append({"partition": key, "files": len(sizes), "bytes": sum(sizes)})
    return out


def _file_bound(settings, contract, target: int) -> dict:
    from lakehouse.contract.tables import gold_tables, silver_table

    tables = {}
    for spec in (silver_table(contract, settings), *gold_tables(contract, settings)):
        parts = _partition_files(settings, spec.database, spec.name)
        if not parts:
            continue
        worst = max(parts, key=lambda p: p["files"] - (math.ceil(p["bytes"] / target) + 1))
        tables[spec.qualified] = {
            "partitions": len(parts),
            "files": sum(p["files"] for p in parts),
            "bytes": sum(p["bytes"] for p in parts),
            "max_files_in_a_partition": max(p["files"] for p in parts),
            "violations": sum(1 for p in parts if p["files"] > math.ceil(p["bytes"] / target) + 1),
            "worst": worst,
        }
    return tables


def _raw_bytes_by_day(data: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in data.glob("clickstream-*.json"):
        found = re.search(r"-(\d{8})-\d\d\.json$", f.name)
        if found is None:
            continue
        day = found.group(1)
        key = f"{day[:4]}-{day[4:6]}-{day[6:]}"
        out[key] = out.get(key, 0) + f.stat().st_size
    return out


def _scan_figures(settings, data: Path, day: date, price_per_tb: float) -> list[dict]:
    """Explain each query; compare with the raw JSON bytes of the days it reads (all days if unfiltered)."""
    from lakehouse.engine.explain import explain

    by_day = _raw_bytes_by_day(data)
    total_raw = sum(by_day.values())
    queries = sorted((CLICKSTREAM.path / "queries").glob("*.sql")) + sorted(
        (REPO / "bench" / "queries").glob("*.sql")
    )
    out: list[dict[str, object]] = []
    for path in queries:
        sql = path.read_text(encoding="utf-8").replace("${day}", day.isoformat())
        try:
            plan = explain(settings, sql, price_per_tb=price_per_tb)
        except Exception as exc:  # e.g. a sales query on a bench without sales data
            out.append({"query": str(path.relative_to(REPO)), "error": f"{type(exc).__name__}: {exc}"})
            continue
        days = {p.split("=", 1)[1] for s in plan.scans for p in s.partitions if p.startswith("event_date=")}
        raw = sum(by_day.get(d, 0) for d in days) if days else total_raw
        out.append(
            {
                "query": str(path.relative_to(REPO)),
                "partitions": sum(len(s.partitions) for s in plan.scans),
                "files": sum(len(s.files) for s in plan.scans),
                "scanned_bytes": plan.scanned_bytes,
                "cost_usd": plan.cost_usd,
                "raw_bytes_same_period": raw,
                "raw_bytes_all": total_raw,
                "pct_of_raw_same_period": round(100 * plan.scanned_bytes / raw, 4) if raw else None,
                "pct_of_raw_all": round(100 * plan.scanned_bytes / total_raw, 4) if total_raw else None,
            }
        )
    return out


def _glue_cost(mb_per_s: float, cores: int, price: float, worker_type: str, workers: int) -> dict:
    """Glue $/GB if throughput scales with executor vCPUs: the measured MB/s per local core x Glue's."""
    dpu = WORKERS[worker_type]
    executor_vcpus = max(1, workers - 1) * 4 * dpu  # one worker is the driver
    gb_per_hour = mb_per_s / cores * executor_vcpus * 3600 / 1000
    dpu_hours_per_gb = workers * dpu / gb_per_hour if gb_per_hour else float("inf")
    return {
        "worker_type": worker_type,
        "workers": workers,
        "dpu_hour_usd": price,
        "gb_per_hour": round(gb_per_hour, 2),
        "dpu_hours_per_gb": round(dpu_hours_per_gb, 4),
        "usd_per_gb": round(dpu_hours_per_gb * price, 4),
        "note": "linear scaling from the local per-core rate; Glue bills a 1-minute minimum per run",
    }


def _machine() -> dict:
    import psutil

    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "java": java[0] if java else "",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=int(os.environ.get("EVENTS", 1_000_000)))
    parser.add_argument("--days", type=int, default=int(os.environ.get("DAYS", 30)))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=REPO / "build" / "bench")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "performance.md")
    parser.add_argument("--price-per-tb", type=float, default=5.0, help="Athena $ per TB scanned")
    parser.add_argument("--dpu-hour-price", type=float, default=0.44, help="Glue $ per DPU-hour")
    parser.add_argument("--worker-type", choices=sorted(WORKERS), default="G.1X")
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--note", default="", help="a remark for the table (e.g. a shared machine)")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: duckdb,spark")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    os.chdir(REPO)
    start = CLICKSTREAM.module("generate").DEFAULT_START

    started = datetime.now(UTC)
    machine = _machine()
    t = time.monotonic()
    data, truth = _generate(args.cache, args.events, args.days, args.seed, start)
    gen_s = time.monotonic() - t
    files = sorted(data.glob("clickstream-*.json"))
    raw_bytes = sum(f.stat().st_size for f in files)
    lines = truth["lines"]
    print(f"data: {lines:,} lines, {raw_bytes / MB:.1f} MB, {len(files)} files ({data})", flush=True)
    work = Path(tempfile.mkdtemp(prefix="lakehouse-bench-"))

    def rates(seconds: float) -> dict:
        return {"events_per_s": round(lines / seconds), "mb_per_s": round(raw_bytes / MB / seconds, 2)}

    results: dict = {}
    if "duckdb" not in skip:
        a = measure(["_duckdb", str(data), str(work / "duckdb")])
        results["duckdb"] = a | rates(a["seconds"])
        print(f"(a) duckdb: {a['seconds']:.1f} s", flush=True)
    if "spark" not in skip:
        b = measure(["_spark", str(data), str(work / "spark")])
        results["plain_spark"] = b | rates(b["seconds"])
        print(f"(b) plain spark: {b['seconds']:.1f} s (+{b['spark_start_s']:.1f} s start)", flush=True)

    # (c) our jobs: endpoint, deploy and ingest outside the measured process tree
    port = _free_port()
    os.environ.update(
        LAKEHOUSE_STATE_DIR=str(work / "state"),
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )
    from lakehouse.contract.dataset import load_contract
    from lakehouse.landing.ingest import ingest
    from lakehouse.local import endpoint
    from lakehouse.settings import Settings

    sys.path.insert(0, str(REPO))  # the tests' fast deployer: the bench resets its endpoint as they do
    from tests.support.fast_deploy import deploy

    project = "bench"
    ep = endpoint.up(port)
    try:
        settings = Settings.from_env("local", project=project)
        contract = load_contract(CLICKSTREAM.path / "clickstream.yaml")
        deploy(settings)
        t = time.monotonic()
        ingest(settings, contract, [data])
        ingest_s = time.monotonic() - t
        c = measure(["_jobs", project, "incremental"])
        job_s = sum(s["job_s"] - s["bridge_s"] for s in c["stages"])
        for s in c["stages"]:
            s["seconds_excl_bridge"] = round(s["job_s"] - s["bridge_s"], 3)
            s |= rates(s["seconds_excl_bridge"])
        results["our_jobs"] = c | {"seconds": round(job_s, 3), "ingest_s": round(ingest_s, 3)} | rates(job_s)
        print(f"(c) our jobs: {job_s:.1f} s excluding the S3 bridge", flush=True)

        # one more hourly file, then an incremental run
        extra_day = start + timedelta(days=args.days)
        extra, _ = _generate(
            args.cache, math.ceil(args.events / (args.days * 24)) * 24, 1, args.seed + 1, extra_day
        )
        hours = sorted(extra.glob("clickstream-*.json"))
        one = hours[12]  # and for the warm run the other hour closest to it in size
        next_hour = min(hours[13:], key=lambda f: abs(f.stat().st_size - one.stat().st_size))
        ingest(settings, contract, [one])
        # cold, as every Glue job run is; then the next hour's file in the same process, warm
        small = measure(["_jobs", project, "incremental", str(next_hour)])

        def totals(stages: list[dict]) -> dict:
            return {
                "job_s_beyond_spark_start": round(sum(s["job_s"] for s in stages), 3),
                "job_s_excl_bridge": round(sum(s["job_s"] - s["bridge_s"] for s in stages), 3),
                "aws_requests": sum(s["aws_requests"] for s in stages),
            }

        small["warm"] |= totals(small["warm"]["stages"])
        results["small_run"] = small | {"input_file": one.name, "input_bytes": one.stat().st_size}
        results["small_run"] |= totals(small["stages"])
        # the reference: what a bare cold Spark job needs for the same file, (b)'s conversion in a new process
        alone = work / "one-hour"
        alone.mkdir()
        shutil.copy(one, alone / one.name)
        bare = measure(["_spark", str(alone), str(work / "one-hour-out")])
        results["small_run"]["plain_spark_cold"] = {
            k: bare[k] for k in ("seconds", "spark_start_s", "rows_out")
        }
        print(
            f"small run: {results['small_run']['job_s_beyond_spark_start']:.1f} s in the jobs "
            f"(warm: {small['warm']['job_s_beyond_spark_start']:.1f} s)",
            flush=True,
        )

        target = int(os.environ.get("LAKEHOUSE_TARGET_FILE_MB", "128")) * 2**20
        results["file_bound"] = {
            "target_file_bytes": target,
            "tables": _file_bound(settings, contract, target),
        }
        from lakehouse.deploy.views import create_views

        if "scans" not in skip:
            create_views(settings, CLICKSTREAM.sql_files("views"))
            middle = start + timedelta(days=args.days // 2)
            results["scans"] = _scan_figures(settings, data, middle, args.price_per_tb)
    finally:
        if ep.started:
            endpoint.down(port)
        shutil.rmtree(work, ignore_errors=True)

    ours, duck = results["our_jobs"], results.get("duckdb")
    plain = results.get("plain_spark")
    results["ratios"] = {
        "ours_to_duckdb": round(ours["events_per_s"] / duck["events_per_s"], 4) if duck else None,
        "ours_to_plain_spark": round(ours["events_per_s"] / plain["events_per_s"], 4) if plain else None,
    }
    results["glue_cost"] = _glue_cost(
        ours["mb_per_s"], machine["cores"], args.dpu_hour_price, args.worker_type, args.workers
    )
    command = "make bench" + (f" EVENTS={args.events}" if args.events != 1_000_000 else "")
    report = {
        "date": started.isoformat(timespec="seconds"),
        "command": command,
        "machine": machine,
        "note": args.note,
        "data": {
            "events_requested": args.events,
            "days": args.days,
            "lines": lines,
            "distinct_events": truth["events"],
            "duplicates": truth["duplicates"],
            "bad_records": truth["bad"],
            "files": len(files),
            "raw_json_bytes": raw_bytes,
            "generate_s": round(gen_s, 3),
        },
        **results,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"{started.date().isoformat()}.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    _write_doc(args.doc, report, out.relative_to(REPO) if out.is_relative_to(REPO) else out)
    print(f"wrote {out} and {args.doc}")
    return 0


# --------------------------------------------------------------------------------------------------
# the Markdown table

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


def render(report: dict, source) -> str:
    d, m = report["data"], report["machine"]
    lines = [
        f"Measured {report['date']} with `{report['command']}` (results: `{source}`).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, Python {m['python']}, "
        f"{m['java']}; load average at start {m['load_average_at_start']}."
        + (f" {report['note']}" if report.get("note") else ""),
        "",
        f"Data: {d['lines']:,} JSON lines ({d['distinct_events']:,} distinct events, {d['duplicates']:,} "
        f"duplicates, {d['bad_records']:,} bad records) in {d['files']} hourly files, "
        f"{d['raw_json_bytes'] / MB:.1f} MB, {d['days']} days.",
        "",
        "| run | seconds | events/s | MB/s | peak RSS (tree) | output files | output MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]

    def row(name, r, files="", out_mb=""):
        lines.append(
            f"| {name} | {r['seconds']:.1f} | {r['events_per_s']:,} | {r['mb_per_s']:.2f} | "
            f"{_gib(r['peak_rss_bytes']) if 'peak_rss_bytes' in r else ''} | {files} | {out_mb} |"
        )

    if "duckdb" in report:
        a = report["duckdb"]
        row("(a) DuckDB JSON → Parquet", a, a["files"], f"{a['bytes'] / MB:.1f}")
    if "plain_spark" in report:
        b = report["plain_spark"]
        row(f"(b) plain PySpark (+{b['spark_start_s']:.1f} s start)", b, b["files"], f"{b['bytes'] / MB:.1f}")
    c = report["our_jobs"]
    tables = report["file_bound"]["tables"]
    all_files = sum(t["files"] for t in tables.values())
    all_mb = sum(t["bytes"] for t in tables.values()) / MB
    row(f"(c) our jobs, end to end (+{c['spark_start_s']:.1f} s start)", c, all_files, f"{all_mb:.1f}")
    for s in c["stages"]:
        r = s | {"seconds": s["seconds_excl_bridge"]}
        lines.append(
            f"| &nbsp;&nbsp;{s['stage']} (S3 bridge {s['bridge_s']:.1f} s excluded) | {r['seconds']:.1f} | "
            f"{r['events_per_s']:,} | {r['mb_per_s']:.2f} | | | |"
        )
    ratios = report["ratios"]
    small = report["small_run"]
    lines += [
        "",
        f"- Ratio (c)/(a), events/s: **{ratios['ours_to_duckdb']}** (goal 0.25); (c)/(b): "
        f"**{ratios['ours_to_plain_spark']}** (goal ≥ 1).",
        f"- Peak memory of our jobs at {d['lines']:,} lines: **{_gib(c['peak_rss_bytes'])}** (goal ≤ 4 GiB).",
        f"- Small incremental run (one hourly file, {small['input_bytes'] / 1000:.0f} kB, on top of the data "
        f"above): **{small['job_s_beyond_spark_start']:.1f} s** in the jobs beyond Spark start-up "
        f"({small['job_s_excl_bridge']:.1f} s without the S3 bridge; goal ≤ 5 s; raw→silver starts in a new "
        "process, silver→gold follows in its JVM, where on Glue it would start cold too): "
        + ", ".join(f"{s['stage']} {s['job_s']:.1f} s" for s in small["stages"])
        + f"; {small['aws_requests']} AWS requests besides the bridge's ("
        + ", ".join(f"{s['stage']} {s['aws_requests']}" for s in small["stages"])
        + ").",
        f"- The same, warm: another hour's file ({small['warm']['input_bytes'] / 1000:.0f} kB) run next in the "
        "same process (the JVM has loaded and compiled what the jobs use; a Glue job run never starts warm): "
        f"**{small['warm']['job_s_beyond_spark_start']:.1f} s** "
        f"({small['warm']['job_s_excl_bridge']:.1f} s without the S3 bridge): "
        + ", ".join(f"{s['stage']} {s['job_s']:.1f} s" for s in small["warm"]["stages"])
        + ". Most of the difference from the cold run is the JVM's warm-up.",
        f"- For reference, (b)'s plain PySpark conversion of the same hourly file in a new process (cold): "
        f"**{small['plain_spark_cold']['seconds']:.1f} s** beyond Spark start-up: what any cold Spark job on "
        "this machine spends on one small file before our work begins.",
        f"- Ingest (upload to the local endpoint, not part of the jobs): {c['ingest_s']:.1f} s.",
        "",
        f"File sizes (target {report['file_bound']['target_file_bytes'] / 2**20:.0f} MiB; bound per partition: "
        "ceil(bytes / target) + 1 files):",
        "",
        "| table | partitions | files | MB | most files in a partition | partitions over the bound |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, t in tables.items():
        if not t["files"]:  # e.g. dim_date: the calendar model builds it, not the clickstream jobs timed here
            continue
        lines.append(
            f"| {name} | {t['partitions']} | {t['files']} | {t['bytes'] / MB:.1f} | "
            f"{t['max_files_in_a_partition']} | {t['violations']} |"
        )
    lines += [
        "",
        "Scans (`lakehouse query --explain`; bytes = compressed size of the needed columns' chunks in the "
        "pruned files, from the Parquet footers):",
        "",
        "| query | partitions | files | scanned MB | cost $ | % of raw JSON, same period | % of all raw JSON |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report.get("scans", []):
        if "error" in s:
            lines.append(f"| `{s['query']}` | | | | | not run: {s['error'][:80]} | |")
            continue
        if not s["files"]:  # a query over another domain's tables: the bench holds no data for it
            lines.append(f"| `{s['query']}` | {s['partitions']} | 0 | | | no bench data | |")
            continue
        lines.append(
            f"| `{s['query']}` | {s['partitions']} | {s['files']} | {s['scanned_bytes'] / MB:.3f} | "
            f"{s['cost_usd']:.8f} | {s['pct_of_raw_same_period']} | {s['pct_of_raw_all']} |"
        )
    g = report["glue_cost"]
    lines += [
        "",
        f"Glue cost estimate from (c)'s throughput: {g['workers']} × {g['worker_type']} at ${g['dpu_hour_usd']} "
        f"per DPU-hour → {g['gb_per_hour']} GB/hour, {g['dpu_hours_per_gb']} DPU-hours and "
        f"**${g['usd_per_gb']} per GB** of raw JSON ({g['note']}).",
    ]
    return "\n".join(lines)


def _write_doc(path: Path, report: dict, source) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{BEGIN}\n{render(report, source)}\n{END}"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text = (text or "# Performance\n\n") + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        kind, rest = sys.argv[1], sys.argv[2:]
        sys.path.insert(0, str(REPO / "src"))
        os.chdir(REPO)
        if kind == "_duckdb":
            child_duckdb(Path(rest[0]), Path(rest[1]))
        elif kind == "_spark":
            child_spark(Path(rest[0]), Path(rest[1]))
        elif kind == "_jobs" and os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.run(
                "child_jobs(rest[0], rest[1] == 'full', *rest[2:])",
                os.environ["BENCH_PROFILE"] + str(os.getpid()),
            )
        elif kind == "_jobs":
            child_jobs(rest[0], rest[1] == "full", *rest[2:])
        sys.exit(0)
    sys.exit(main())
