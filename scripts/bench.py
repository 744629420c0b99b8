"""`make bench`: throughput of the local loop on generated clickstream data.

Starts its own endpoint on a free loopback port, generates DAYS x EVENTS_PER_HOUR events, and times
ingest, raw->silver and silver->gold separately (the Spark session start is timed on its own).
Prints one table and a JSON line; numbers are for this machine, one sitting.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--events-per-hour", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    work = Path(tempfile.mkdtemp(prefix="lakehouse-bench-"))
    os.environ.update(LAKEHOUSE_STATE_DIR=str(work / "state"), AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}")
    os.chdir(REPO)

    from lakehouse.contracts import load_contract
    from lakehouse.generate.clickstream import generate_clickstream
    from lakehouse.ingest import ingest
    from lakehouse.local import endpoint
    from lakehouse.local.deploy import deploy
    from lakehouse.local.runner import run_dataset
    from lakehouse.settings import Settings
    from lakehouse.spark import local_session

    ep = endpoint.up(port)
    try:
        settings = Settings.from_env("local", project="bench")
        contract = load_contract(REPO / "datasets" / "clickstream.yaml")
        deploy(settings)
        t = time.monotonic()
        stats = generate_clickstream(work / "landing", args.days, args.events_per_hour, args.seed)
        gen_s = time.monotonic() - t
        size = sum(f.stat().st_size for f in (work / "landing").glob("*.json"))
        t = time.monotonic()
        ingest(settings, contract, [work / "landing"])
        ingest_s = time.monotonic() - t
        t = time.monotonic()
        local_session("lakehouse-bench")
        spark_s = time.monotonic() - t
        results = run_dataset(settings, contract)
    finally:
        if ep.started:
            endpoint.down(port)
    rows = [("generate", stats.lines, gen_s), ("ingest", stats.lines, ingest_s), ("spark start", 0, spark_s)]
    rows += [(r.stage, r.rows_read, r.duration_s) for r in results]
    print(f"{stats.lines:,} lines, {size / 1e6:.1f} MB, {stats.files} files")
    print(f"{'step':<16}{'rows':>12}{'seconds':>10}{'rows/s':>12}")
    for name, n, secs in rows:
        rate = f"{n / secs:,.0f}" if n and secs else "-"
        print(f"{name:<16}{n:>12,}{secs:>10.2f}{rate:>12}")
    print(
        json.dumps({"lines": stats.lines, "bytes": size, **{name: round(secs, 3) for name, _, secs in rows}})
    )
    return 0 if all(r.reconciled for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
