"""`lakehouse query --explain`: partitions, files and bytes Athena would scan, checked against footers.

The fact table's files are written with pyarrow and registered like a job would (no Spark needed);
the expected byte figures are computed independently from pyarrow's own reading of each file.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage
from lakehouse.cli.commands import main
from lakehouse.contract.tables import gold_tables
from lakehouse.engine.explain import MB, TB, explain

pytestmark = pytest.mark.endpoint

DAYS = ["2025-01-06", "2025-01-07", "2025-01-08"]
_TYPES = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "int": pa.int32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "decimal(12,2)": pa.decimal128(12, 2),
    "map<string,string>": pa.map_(pa.string(), pa.string()),
}


def _value(glue_type: str, i: int, day: str):
    if glue_type == "string":
        return f"v{i % 97}-{day}"
    if glue_type in ("bigint", "int"):
        return i * 7919
    if glue_type == "timestamp":
        return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC) + dt.timedelta(seconds=i)
    if glue_type == "date":
        return dt.date.fromisoformat(day)
    if glue_type.startswith("decimal"):
        return Decimal(i % 500) / 4
    return [("k", str(i % 13)), ("n", str(i))]


@pytest.fixture
def facts(deployed, clickstream, tmp_path):
    """fact_clicks with 3 daily partitions, two files in the last one; {day: [local file]}."""
    spec = next(s for s in gold_tables(clickstream, deployed) if s.name == "fact_clicks")
    storage, files, partitions = Storage(deployed), {}, {}
    for d, day in enumerate(DAYS):
        location = f"{spec.location}_runs/r1/event_date={day}/"
        partitions[(day,)] = location
        for f in range(1 if d < 2 else 2):
            rows = 500 + 300 * d + 50 * f
            table = pa.table(
                {n: pa.array([_value(t, i, day) for i in range(rows)], _TYPES[t]) for n, t in spec.columns}
            )
            local = tmp_path / f"{day}-{f}.parquet"
            pq.write_table(table, local, compression="snappy", row_group_size=400)
            storage.upload_file(local, f"{location}part-{f}.snappy.parquet")
            files.setdefault(day, []).append(local)
    Catalog(deployed).register_partitions(spec, partitions)
    return files


def footer_bytes(paths, columns: set[str]) -> int:
    """Compressed bytes of these columns' chunks, computed by pyarrow from the local copies."""
    total = 0
    for path in paths:
        meta = pq.ParquetFile(path).metadata
        for rg in range(meta.num_row_groups):
            for c in range(meta.num_columns):
                chunk = meta.row_group(rg).column(c)
                if chunk.path_in_schema.split(".")[0] in columns:
                    total += chunk.total_compressed_size
    return total


def test_one_day_reads_one_partition_and_only_the_needed_columns(deployed, facts):
    plan = explain(
        deployed,
        "SELECT event_type, count(*) FROM fact_clicks WHERE event_date = DATE '2025-01-07' GROUP BY 1",
    )
    [scan] = plan.scans
    assert scan.table == "lhtest_local_gold.fact_clicks"
    assert scan.partitions == ["event_date=2025-01-07"] and scan.partitions_total == 3
    assert scan.columns == ["event_type"]
    assert len(scan.files) == 1
    assert plan.scanned_bytes == footer_bytes(facts["2025-01-07"], {"event_type"}) > 0
    assert plan.billed_bytes == 10 * MB  # Athena's minimum
    assert plan.cost_usd == pytest.approx(10 * MB / TB * 5)


def test_full_range_two_columns_and_a_map_column(deployed, facts):
    plan = explain(deployed, "SELECT sum(revenue), max(metadata['k']) FROM fact_clicks", price_per_tb=7.5)
    [scan] = plan.scans
    assert len(scan.partitions) == 3 and len(scan.files) == 4
    assert scan.columns == ["metadata", "revenue"]
    every = [p for paths in facts.values() for p in paths]
    assert plan.scanned_bytes == footer_bytes(every, {"revenue", "metadata"})
    assert footer_bytes(every, {"metadata"}) > 0  # the map's key and value leaves are counted
    assert plan.price_per_tb == 7.5


def test_count_star_reads_no_column_chunks(deployed, facts):
    plan = explain(deployed, "SELECT count(*) FROM fact_clicks WHERE event_date >= DATE '2025-01-07'")
    [scan] = plan.scans
    assert scan.partitions == ["event_date=2025-01-07", "event_date=2025-01-08"]
    assert len(scan.files) == 3 and plan.scanned_bytes == 0


def test_views_are_inlined_and_filters_pushed_into_them(deployed, facts):
    gold = deployed.database("gold")
    Catalog(deployed).put_view(
        gold,
        "purchases",
        "SELECT event_date, session_id, revenue FROM fact_clicks WHERE event_type = 'purchase'",
        [
            ("event_date", "date", "date"),
            ("session_id", "string", "varchar"),
            ("revenue", "decimal(12,2)", "decimal(12,2)"),
        ],
    )
    plan = explain(deployed, "SELECT sum(revenue) FROM purchases WHERE event_date = DATE '2025-01-08'")
    [scan] = plan.scans
    assert scan.partitions == ["event_date=2025-01-08"]
    assert scan.columns == ["event_type", "revenue"]  # session_id is not needed by the query
    assert plan.scanned_bytes == footer_bytes(facts["2025-01-08"], {"event_type", "revenue"})


def test_cli_explain_prints_files_bytes_and_cost_without_running(deployed, facts, capsys):
    sql = "SELECT event_type FROM fact_clicks WHERE event_date = DATE '2025-01-06'"
    assert main(["query", "--explain", "--format", "json", "--project", "lhtest", sql]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["scanned_bytes"] == footer_bytes(facts["2025-01-06"], {"event_type"})
    assert out["tables"][0]["partitions"] == ["event_date=2025-01-06"]
    assert len(out["tables"][0]["files"]) == 1
    assert main(["query", "--explain", "--project", "lhtest", sql]) == 0
    text = capsys.readouterr().out
    assert "1 of 3 partitions, 1 files" in text and "cost: $" in text
