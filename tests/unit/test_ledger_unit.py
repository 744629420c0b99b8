"""The ledger and the run lock on an in-process S3 (moto's mock_aws, no endpoint): the clients are passed in.

The endpoint tests (integration/test_faults.py, integration/test_runs.py) run the same code against
the local endpoint and through whole runs; these pin the paths themselves, fast.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from lakehouse.aws.storage import Storage
from lakehouse.errors import RunInProgress
from lakehouse.jobs.ledger import EntryCache, Ledger, LedgerEntry, RunLock, RunRequest
from lakehouse.settings import Settings

SETTINGS = Settings(project="lhunit", env="dev")  # no endpoint: moto answers in the process


@pytest.fixture
def storage(monkeypatch):
    """A Storage on an in-process S3 holding the silver bucket (where ledgers and locks live)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # the endpoint fixture's, when the whole suite runs
    with mock_aws():
        s3 = boto3.client("s3", region_name=SETTINGS.region)
        s3.create_bucket(Bucket=SETTINGS.bucket("silver"))
        yield Storage(SETTINGS, s3=s3)


def entry(run_id: str, status: str = "publishing", **fields) -> LedgerEntry:
    return LedgerEntry(
        run_id=run_id, stage="raw_to_silver", dataset="clickstream", status=status, full=False, **fields
    )


def gets_of(storage: Storage) -> list[str]:
    """The keys the storage's client GETs from now on."""
    seen: list[str] = []
    storage.s3.meta.events.register(
        "before-parameter-build.s3.GetObject", lambda params, **_: seen.append(params["Key"])
    )
    return seen


def test_a_written_intent_is_pending_until_it_is_written_committed(storage):
    ledger = Ledger(SETTINGS, "clickstream", "raw_to_silver", storage=storage)
    first = entry("jr_b", inputs=[["s3://raw/a.json", "e1"]], consumed={"k": "l1"})
    ledger.write(first)
    assert first.seq == 1 and first.written_at and not first.committed_at
    assert [e.run_id for e in ledger.pending()] == ["jr_b"] and ledger.committed() == []
    assert ledger.processed_inputs() == set()  # an intent has processed nothing yet

    first.status = "committed"
    ledger.write(first)
    assert first.seq == 1 and first.committed_at == first.written_at
    second = entry("jr_a", inputs=[["s3://raw/b.json", "e2"]], consumed={"k": "l2"})
    ledger.write(second)
    second.status = "committed"
    ledger.write(second)
    # in the order the runs recorded them (seq), never by run id
    assert [(e.run_id, e.seq, e.status) for e in ledger.committed()] == [
        ("jr_b", 1, "committed"),
        ("jr_a", 2, "committed"),
    ]
    assert ledger.pending() == []
    assert ledger.processed_inputs() == {("s3://raw/a.json", "e1"), ("s3://raw/b.json", "e2")}
    assert ledger.last_consumed() == {"k": "l2"}
    key = f"_ledger/clickstream/raw_to_silver/{second.run_id}.json"
    assert json.loads(storage.read_bytes(f"s3://{SETTINGS.bucket('silver')}/{key}"))["status"] == "committed"


def test_a_full_run_resets_what_counts_as_processed(storage):
    ledger = Ledger(SETTINGS, "clickstream", "raw_to_silver", storage=storage)
    for run_id, full, uri in (("jr_1", False, "a"), ("jr_2", True, "b"), ("jr_3", False, "c")):
        done = entry(run_id, "committed", inputs=[[f"s3://raw/{uri}", "e"]])
        done.full = full
        ledger.write(done)
    assert ledger.processed_inputs() == {("s3://raw/b", "e"), ("s3://raw/c", "e")}


def test_ledgers_sharing_a_cache_fetch_an_entry_once_and_again_only_when_rewritten(storage):
    cache = EntryCache()
    ledger = Ledger(SETTINGS, "clickstream", "raw_to_silver", storage=storage, cache=cache)
    pending = entry("jr_1")
    ledger.write(pending)
    gets = gets_of(storage)
    assert [e.status for e in ledger.entries()] == ["publishing"]
    again = Ledger(SETTINGS, "clickstream", "raw_to_silver", storage=storage, cache=cache)
    assert [e.status for e in again.entries()] == ["publishing"]
    assert len(gets) == 1  # the second ledger of the run hit the cache
    pending.status = "committed"
    ledger.write(pending)  # rewritten in place: a new ETag
    assert [e.status for e in again.entries()] == ["committed"]
    assert len(gets) == 2
    other = Ledger(SETTINGS, "clickstream", "raw_to_silver", storage=storage)  # another run's: its own cache
    assert [e.status for e in other.entries()] == ["committed"]
    assert len(gets) == 3


def test_the_lock_is_acquired_once_and_refused_to_a_second_run_until_released(storage):
    first = RunLock(SETTINGS, "clickstream", "raw_to_silver", "jr_first", storage=storage)
    first.acquire()
    holder = json.loads(storage.read_bytes(first.uri))
    assert (holder["run_id"], holder["host"], holder["pid"]) == (
        "jr_first",
        socket.gethostname(),
        os.getpid(),
    )

    second = RunLock(SETTINGS, "clickstream", "raw_to_silver", "jr_second", storage=storage)
    with pytest.raises(RunInProgress) as refused:
        second.acquire()
    assert str(refused.value).startswith(
        f"another raw_to_silver run of clickstream is in progress (run jr_first on {socket.gethostname()} since "
    )
    assert str(refused.value).endswith(f"wait for it, or if it died, delete {first.uri}")
    second.release()  # holds nothing: must not remove the first run's lock
    assert storage.head(first.uri) is not None

    first.release()
    assert storage.head(first.uri) is None
    with second:  # free again: taken, and released on the way out
        assert json.loads(storage.read_bytes(second.uri))["run_id"] == "jr_second"
    assert storage.head(second.uri) is None


def test_a_lock_of_another_stage_or_dataset_does_not_refuse(storage):
    with RunLock(SETTINGS, "clickstream", "raw_to_silver", "jr_1", storage=storage):
        with RunLock(SETTINGS, "clickstream", "silver_to_gold", "jr_2", storage=storage):
            pass
        with RunLock(SETTINGS, "transactions", "raw_to_silver", "jr_3", storage=storage):
            pass


def test_a_dead_runs_lock_is_taken_over_and_a_live_ones_is_not(storage):
    lock = RunLock(SETTINGS, "clickstream", "raw_to_silver", "jr_new", storage=storage)
    since = (datetime.now(UTC) - timedelta(hours=7)).isoformat(timespec="seconds")
    dead = {"run_id": "jr_dead", "host": "glue-worker-7", "pid": 1, "since": since}
    storage.put_bytes(lock.uri, json.dumps(dead).encode())
    lock.acquire()  # older than the TTL (360 minutes): a dead run's
    assert json.loads(storage.read_bytes(lock.uri))["run_id"] == "jr_new"
    lock.release()

    recent = dict(dead, since=datetime.now(UTC).isoformat(timespec="seconds"))
    storage.put_bytes(lock.uri, json.dumps(recent).encode())  # another host's, within the TTL: alive
    with pytest.raises(RunInProgress, match=r"\(run jr_dead on glue-worker-7 since "):
        RunLock(SETTINGS, "clickstream", "raw_to_silver", "jr_new", storage=storage).acquire()
    later = RunLock(SETTINGS, "clickstream", "raw_to_silver", "jr_new", storage=storage)
    later.stale = lambda holder: holder["since"] == recent["since"]  # the TTL has passed since
    later.acquire()
    assert json.loads(storage.read_bytes(lock.uri))["run_id"] == "jr_new"


def test_a_run_request_is_made_once_until_cleared(storage):
    request = RunRequest(SETTINGS, "clickstream", "raw_to_silver", storage=storage)
    assert not request.pending()
    assert request.make("s3://raw/a.json") is True
    assert request.make("s3://raw/b.json") is False  # debounced: the first event's start covers it
    assert request.pending()
    request.clear()
    assert not request.pending() and request.make("s3://raw/c.json") is True
