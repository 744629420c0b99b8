"""`lakehouse ingest`: files placed by event time, never uploaded twice, partitions registered."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage
from lakehouse.errors import IngestError
from lakehouse.landing.ingest import ingest

pytestmark = pytest.mark.endpoint


def write_events(path, *timestamps):
    lines = [json.dumps({"event_id": f"e{i}", "event_timestamp": t}) for i, t in enumerate(timestamps)]
    path.write_text("\n".join(lines) + "\n")
    return path


def raw_keys(settings):
    return sorted(o.key for o in Storage(settings).list(f"s3://{settings.bucket('raw')}/"))


def test_files_land_in_the_hour_most_of_their_events_belong_to(deployed, clickstream, tmp_path):
    write_events(
        tmp_path / "upload-today.json", "2025-03-01T10:59:00Z", "2025-03-01T10:01:00Z", "2025-03-01T08:30:00Z"
    )  # one late event from 08:00
    summary = ingest(deployed, clickstream, [tmp_path])
    assert summary.files_uploaded == 1 and summary.partitions_registered == 1
    assert raw_keys(deployed) == ["clickstream/year=2025/month=03/day=01/hour=10/upload-today.json"]
    parts = Catalog(deployed).get_partitions(deployed.database("raw"), "clickstream")
    assert parts == [
        (
            ("2025", "03", "01", "10"),
            f"s3://{deployed.bucket('raw')}/clickstream/year=2025/month=03/day=01/hour=10/",
        )
    ]


def test_second_ingest_uploads_nothing(deployed, clickstream, tmp_path):
    for h in range(3):
        write_events(tmp_path / f"f{h}.json", f"2025-03-01T0{h}:00:00Z")
    first = ingest(deployed, clickstream, [tmp_path])
    second = ingest(deployed, clickstream, [tmp_path])
    assert (first.files_uploaded, first.files_skipped, first.partitions_registered) == (3, 0, 3)
    assert (second.files_uploaded, second.files_skipped, second.bytes_uploaded) == (3 - 3, 3, 0)
    assert second.partitions_registered == 0 and len(raw_keys(deployed)) == 3


def test_new_content_under_a_known_name_is_kept_beside_it(deployed, clickstream, tmp_path):
    f = write_events(tmp_path / "same.json", "2025-03-01T10:00:00Z")
    ingest(deployed, clickstream, [f])
    write_events(f, "2025-03-01T10:00:00Z", "2025-03-01T10:30:00Z")
    assert ingest(deployed, clickstream, [f]).files_uploaded == 1
    prefix = "clickstream/year=2025/month=03/day=01/hour=10/"
    keys = raw_keys(deployed)
    assert len(keys) == 2 and prefix + "same.json" in keys
    assert any(k.startswith(prefix + "same-") and k.endswith(".json") for k in keys)


def test_gzip_files_and_files_without_times(deployed, clickstream, tmp_path):
    with gzip.open(tmp_path / "z.json.gz", "wt") as gz:
        gz.write(json.dumps({"event_timestamp": "2025-03-02T05:05:00Z"}) + "\n")
    junk = tmp_path / "junk.json"
    junk.write_text("not json at all\n")
    os.utime(junk, (1735732800, 1735732800))  # 2025-01-01T12:00:00Z
    summary = ingest(deployed, clickstream, [tmp_path])
    assert summary.placed_by_mtime == [str(junk)]
    assert raw_keys(deployed) == [
        "clickstream/year=2025/month=01/day=01/hour=12/junk.json",
        "clickstream/year=2025/month=03/day=02/hour=05/z.json.gz",
    ]


def test_missing_path_and_empty_input_are_clear_errors(deployed, clickstream, tmp_path):
    with pytest.raises(IngestError, match="no such file or directory"):
        ingest(deployed, clickstream, [tmp_path / "missing"])
    with pytest.raises(IngestError, match="no files matching"):
        ingest(deployed, clickstream, [tmp_path])
