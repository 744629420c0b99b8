"""Issue 15 on the run core: faults reproduced on the local endpoint (no Spark unless marked).

Glue-shaped random run ids, two contenders for a dead run's lock, the lock TTL and retention reaching
the jobs, retention ageing a folder from when it was replaced and reading every stage's ledger.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage
from lakehouse.contract.tables import silver_table
from lakehouse.errors import RunInProgress
from lakehouse.jobs import retention
from lakehouse.jobs.entry import run_limits
from lakehouse.jobs.ledger import EntryCache, Ledger, LedgerEntry, RunLock
from lakehouse.jobs.result import StageResult
from lakehouse.jobs.runner import RunLimits, run_stage
from lakehouse.landing.ingest import ingest
from lakehouse.local.launcher import run_dataset
from tests.integration.test_runs import event, land
from tests.plugin import DOMAIN_OF, REPO

pytestmark = pytest.mark.endpoint


def glue_run_id(first: str) -> str:
    """A run id as Glue makes them: `jr_` and 64 random hex digits (here starting with `first`)."""
    return "jr_" + first + secrets.token_hex(32)[1:]


def commit_entry(ledger: Ledger, run_id: str, full: bool = False, **fields) -> LedgerEntry:
    entry = LedgerEntry(
        run_id=run_id, stage=ledger.stage, dataset=ledger.dataset, status="publishing", full=full, **fields
    )
    ledger.write(entry)
    entry.status = "committed"
    ledger.write(entry)
    return entry


# point 2: ledger order ------------------------------------------------------------------------------


def test_the_ledger_orders_entries_by_their_sequence_never_by_run_id(deployed):
    ledger = Ledger(deployed, "clickstream", "raw_to_silver")
    runs = [glue_run_id("f"), glue_run_id("0"), glue_run_id("8")]  # random: not in time order
    for i, run_id in enumerate(runs):
        commit_entry(
            ledger, run_id, full=i == 0, inputs=[[f"s3://b/in{i}.json", "e"]], consumed={"k": f"l{i}"}
        )
    assert [e.run_id for e in ledger.entries()] == runs
    assert [e.seq for e in ledger.entries()] == [1, 2, 3]
    # by run id the full run would sort last and forget the later runs' inputs
    assert ledger.processed_inputs() == {(f"s3://b/in{i}.json", "e") for i in range(3)}
    assert ledger.last_consumed() == {"k": "l2"}


def test_the_ledger_fetches_an_entry_again_only_when_it_changed(deployed):
    """A run reads the ledgers many times (plan, recovery, retention): each entry is fetched once, and
    again only after it was rewritten (a new ETag), so a rewrite is never missed. The run's ledgers
    share one cache (jobs.runner makes it); a ledger of another run starts afresh."""
    cache = EntryCache()
    ledger = Ledger(deployed, "clickstream", "silver_to_gold", cache=cache)
    gets: list[str] = []
    ledger.storage.s3.meta.events.register(
        "before-parameter-build.s3.GetObject", lambda params, **_: gets.append(params["Key"])
    )
    first = LedgerEntry(
        run_id=glue_run_id("a"), stage=ledger.stage, dataset=ledger.dataset, status="publishing", full=False
    )
    ledger.write(first)
    assert [e.status for e in ledger.entries()] == ["publishing"]
    same_run = Ledger(deployed, "clickstream", "silver_to_gold", cache=cache)
    assert [e.status for e in same_run.entries()] == ["publishing"]
    assert len(gets) == 1  # the second read (another Ledger of the same stage, as retention makes) hit none
    assert [e.status for e in Ledger(deployed, "clickstream", "silver_to_gold").entries()] == ["publishing"]
    assert len(gets) == 2  # a ledger with a cache of its own (another run's) fetched it again
    gets.clear()
    first.status = "committed"
    ledger.write(first)  # rewritten in place: its ETag changes
    second = commit_entry(ledger, glue_run_id("b"))
    assert [(e.run_id, e.status) for e in ledger.entries()] == [
        (first.run_id, "committed"),
        (second.run_id, "committed"),
    ]
    assert len(gets) == 2  # the rewritten entry and the new one, nothing else
    assert ledger.pending() == [] and [e.run_id for e in ledger.committed()] == [first.run_id, second.run_id]
    assert len(gets) == 2


@pytest.mark.spark
def test_runs_with_glue_shaped_run_ids_process_each_input_once(deployed, clickstream, tmp_path):
    jobs = REPO / "glue" / "jobs"
    land(
        tmp_path / "b1", "a.json", [event("e1", "2025-02-01T10:00:00Z"), event("e2", "2025-02-02T10:00:00Z")]
    )
    ingest(deployed, clickstream, [tmp_path / "b1"])
    first = run_dataset(deployed, clickstream, jobs, full=True, run_id=glue_run_id("f"))
    assert [(r.inputs, r.rows_written) for r in first] == [(1, 2), (2, 2)]

    land(tmp_path / "b2", "b.json", [event("e3", "2025-02-03T10:00:00Z")])
    ingest(deployed, clickstream, [tmp_path / "b2"])
    second = run_dataset(deployed, clickstream, jobs, run_id=glue_run_id("0"))
    assert [(r.inputs, r.rows_written) for r in second] == [(1, 1), (1, 1)]  # only the new file and day

    third = run_dataset(deployed, clickstream, jobs, run_id=glue_run_id("8"))
    assert [(r.inputs, r.rows_read, r.status) for r in third] == [(0, 0, "succeeded"), (0, 0, "succeeded")]


# point 3: the lock ------------------------------------------------------------------------------------


def dead_lock(settings, age: timedelta) -> RunLock:
    """A lock left by a run on another host that died `age` ago."""
    lock = RunLock(settings, "clickstream", "raw_to_silver", "jr_dead")
    since = (datetime.now(UTC) - age).isoformat(timespec="seconds")
    body = {"run_id": "jr_dead", "host": "glue-worker-7", "pid": 1, "since": since}
    lock.storage.put_bytes(lock.uri, json.dumps(body).encode())
    return lock


def test_two_contenders_for_a_dead_lock_one_takes_it_over(deployed):
    """Both saw the expired lock; taking it over used to delete whatever was there, so both acquired it."""
    dead = dead_lock(deployed, timedelta(hours=7))
    seen = dead.storage.read_versioned(dead.uri)  # what both contenders read
    first = RunLock(deployed, "clickstream", "raw_to_silver", "jr_first")
    second = RunLock(deployed, "clickstream", "raw_to_silver", "jr_second")
    first.acquire()
    second.storage.read_versioned = lambda uri: seen  # it read the dead lock before `first` replaced it
    with pytest.raises(RunInProgress):
        second.acquire()
    holder = json.loads(first.storage.read_bytes(first.uri))
    assert holder["run_id"] == "jr_first"
    second.release()  # holds nothing: must not remove first's lock
    assert first.storage.head(first.uri) is not None
    first.release()
    assert first.storage.head(first.uri) is None


def test_a_release_never_removes_a_successors_lock(deployed):
    mine = RunLock(deployed, "clickstream", "raw_to_silver", "jr_slow", ttl=timedelta(0))
    mine.acquire()
    successor = RunLock(deployed, "clickstream", "raw_to_silver", "jr_next", ttl=timedelta(0))
    successor.stale = lambda holder: True  # jr_slow overran the TTL: its lock counts as dead
    successor.acquire()
    mine.release()
    assert json.loads(mine.storage.read_bytes(mine.uri))["run_id"] == "jr_next"


def test_the_lock_ttl_and_retention_reach_the_job_as_arguments(deployed, monkeypatch):
    monkeypatch.delenv("LAKEHOUSE_LOCK_TTL_MINUTES", raising=False)
    monkeypatch.delenv("LAKEHOUSE_RETENTION_HOURS", raising=False)
    assert run_limits(["x"]) == RunLimits(timedelta(minutes=360), timedelta(hours=168))
    limits = run_limits(["x", "--lock_ttl_minutes", "60", "--retention_hours=2"])
    assert limits == RunLimits(timedelta(minutes=60), timedelta(hours=2))
    with pytest.raises(ValueError, match="--retention_hours must be a positive number of hours"):
        run_limits(["x", "--retention_hours", "soon"])

    from lakehouse.contract.dataset import load_contract

    contract = load_contract(REPO / "domains" / "clickstream" / "clickstream.yaml")

    def run(limits: RunLimits | None) -> StageResult:
        spark: Any = None  # the lock is taken before any Spark work; the body does nothing
        return run_stage(
            "raw_to_silver",
            lambda ctx: None,
            spark,
            contract,
            settings=deployed,
            run_id="jr_new",
            specs=[],
            limits=limits,
        )

    dead_lock(deployed, timedelta(hours=2))  # a run on a job with a 60-minute timeout died 2 hours ago
    with pytest.raises(RunInProgress):
        run(None)  # the default (360 minutes) would wait 4 more hours
    assert run(limits).status == "succeeded"


# point 5: retention ---------------------------------------------------------------------------------


def test_retention_ages_a_folder_from_when_it_was_replaced_and_reads_every_stages_ledger(
    deployed, clickstream
):
    settings, storage, catalog = deployed, Storage(deployed), Catalog(deployed)
    spec = silver_table(clickstream, settings)
    ledger = Ledger(settings, "clickstream", "raw_to_silver")
    key = json.dumps(["2025-02-01"])

    def run_files(run_id: str) -> str:
        location = f"{spec.location}_runs/{run_id}/event_date=2025-02-01/"
        storage.put_bytes(location + "part-0.parquet", b"PAR1")
        return location

    now = datetime.now(UTC)
    old = run_files("jr_old")  # written now (the endpoint's clock); the checks below look from later
    commit_entry(ledger, "jr_old", partitions={spec.qualified: {key: old}})
    new = run_files("jr_new")
    switched = now + timedelta(days=8)  # the partition is rebuilt 8 days later
    commit_entry(ledger, "jr_new", partitions={spec.qualified: {key: new}}, committed_at=switched.isoformat())
    catalog.register_partitions(spec, {("2025-02-01",): new})
    week = timedelta(hours=168)

    # in the run that switched away from them: the files are 8 days old but replaced a minute ago
    at_switch = switched + timedelta(minutes=1)
    assert retention.collect(settings, [spec], retention.ledgers(settings), week, now=at_switch) == []
    assert storage.head(old + "part-0.parquet") is not None

    # a pending intent of another stage's ledger still points at them: kept whatever their age
    other = Ledger(settings, "calendar", "build_model")
    pending = LedgerEntry(
        run_id="jr_x",
        stage="build_model",
        dataset="calendar",
        status="publishing",
        full=False,
        partitions={spec.qualified: {key: old}},
    )
    other.write(pending)
    far = switched + timedelta(days=30)
    assert retention.collect(settings, [spec], retention.ledgers(settings), week, now=far) == []
    other.storage.delete_prefix(other.prefix)

    assert retention.collect(settings, [spec], retention.ledgers(settings), week, now=switched + week) == [
        f"{spec.location}_runs/jr_old/"
    ]
    assert storage.head(new + "part-0.parquet") is not None


# point 4: published locations are the folders Spark wrote ------------------------------------------


@pytest.mark.spark
def test_published_locations_are_the_folders_spark_wrote_and_bad_values_are_refused(
    spark, deployed, tmp_path
):
    from lakehouse.contract.tables import TableSpec
    from lakehouse.errors import PartitionValueError
    from lakehouse.jobs.readers import read_parquet_at
    from lakehouse.jobs.runner import write
    from lakehouse.local.launcher import StagingIO

    spec = TableSpec(
        zone="silver",
        database=deployed.database("silver"),
        name="t",
        columns=(("id", "string"),),
        partition_keys=(("p", "string"),),
        format="parquet",
        location="s3://x/t/",
    )
    uri = f"s3://{deployed.bucket('silver')}/t/_runs/jr_1/"
    io = StagingIO(deployed, tmp_path)
    values = ["2025-02-01", "10:00", "50% off", "a=b?#", "C++ a+b", "%2B"]
    df = spark.createDataFrame([(str(i), v) for i, v in enumerate(values)], "id string, p string")
    _, parts = write(df, spec, uri, io)
    assert sorted(json.loads(k)[0] for k in parts) == sorted(values)  # the values, as readers query them
    assert parts[json.dumps(["10:00"])] == uri + "p=10%3A00/"  # Spark's folder, not `p=10:00/`
    storage = Storage(deployed)
    for location in parts.values():
        assert any(o.key.endswith(".parquet") for o in storage.list(location)), location
    # read back (as an incremental run rebuilds a partition): each row gets its own value from the path
    back = read_parquet_at(spark, [("id", "string")], [("p", "string")], list(parts.values()), io=io)
    assert sorted(map(tuple, back.collect())) == sorted((str(i), v) for i, v in enumerate(values))
    # a folder another tool wrote, `%` unescaped: read as it is, not a failed read
    spark.createDataFrame([("9",)], "id string").write.parquet(str(tmp_path / "foreign"))
    foreign = f"s3://{deployed.bucket('silver')}/t/_runs/jr_2/p=50% off/"
    storage.upload_dir(tmp_path / "foreign", foreign)
    back = read_parquet_at(spark, [("id", "string")], [("p", "string")], [foreign], io=io)
    assert [tuple(r) for r in back.collect()] == [("9", "50% off")]

    for bad in (None, "x/../../../../other_ds/_runs/R0/p=1", ".."):
        rows = spark.createDataFrame([("1", bad)], "id string, p string")
        with pytest.raises(PartitionValueError, match=r"partition column p .*nothing was published"):
            write(rows, spec, f"s3://{deployed.bucket('silver')}/t/_runs/jr_bad/", io)


@pytest.mark.spark
@pytest.mark.parametrize(
    ("dataset", "body", "key"),
    [
        ("clickstream", event("e1", "2025-02-01T10:00:00Z") + "\n", "event_id"),
        ("category_tree", "categoryid,parentid\ne1,\n", "categoryid"),
    ],
)
@pytest.mark.parametrize("name", ["C++ export 50%2B", "50% off"])
def test_lineage_names_the_raw_object_exactly_whatever_its_name(
    spark, deployed, tmp_path, dataset, body, key, name
):
    """`+`, `%` and spaces in an object's key survive into `_source_file`, for JSON and CSV (decoding
    `+` as a space, or a path twice, would name an object that does not exist; a bare `%` would fail
    the read)."""
    from lakehouse.contract.dataset import load_contract
    from lakehouse.jobs.readers import read_records
    from lakehouse.local.launcher import StagingIO

    contract = load_contract(REPO / "domains" / DOMAIN_OF[dataset] / f"{dataset}.yaml")
    suffix = ".json" if contract.source.format == "json" else ".csv"
    uri = f"s3://{deployed.bucket('raw')}/{dataset}/x/{name}{suffix}"
    Storage(deployed).put_bytes(uri, body.encode())
    found = read_records(spark, contract, [uri], StagingIO(deployed, tmp_path)).collect()
    assert [(r["_source_file"], r[key]) for r in found] == [(uri, "e1")]


# point 6: no record values in audit rows, the log line or alerts; quarantine expires -------------

SECRET = "jane.doe@example.com"


def audit_texts(settings) -> str:
    from lakehouse.contract.tables import audit_table, quality_table

    storage = Storage(settings)
    return "".join(
        storage.read_bytes(o.uri).decode()
        for spec in (audit_table(settings), quality_table(settings))
        for o in storage.list(spec.location)
    )


def test_a_foreign_error_is_audited_by_its_type_only(deployed):
    from lakehouse.contract.dataset import load_contract

    contract = load_contract(REPO / "domains" / "clickstream" / "clickstream.yaml")

    def body(ctx):
        raise ValueError(f"Text '{SECRET}' could not be parsed at index 0")

    spark: Any = None
    with pytest.raises(ValueError):
        run_stage("raw_to_silver", body, spark, contract, settings=deployed, run_id="jr_leak", specs=[])
    audit = audit_texts(deployed)
    assert '"status": "failed"' in audit and "ValueError (not one of the kit's errors" in audit
    assert SECRET not in audit


@pytest.mark.spark
def test_record_values_reach_neither_audit_nor_log_nor_failure_message(
    deployed, clickstream, tmp_path, caplog
):
    import logging

    caplog.set_level(logging.INFO, logger="lakehouse.jobs")
    jobs = REPO / "glue" / "jobs"
    good = [event(f"g{i}", "2025-02-01T10:00:00Z") for i in range(40)]
    bad = [event("b1", SECRET), event("b2", "2025-02-01T10:00:00Z", **{SECRET: "x", "campaign": "spring"})]
    land(tmp_path / "b1", "a.json", good + bad)
    ingest(deployed, clickstream, [tmp_path / "b1"])
    (r2s,) = run_dataset(deployed, clickstream, jobs, stages=("raw_to_silver",))
    assert r2s.rows_quarantined == 1 and r2s.new_fields == {"<other field names>": 1, "campaign": 1}
    log = "\n".join(r.getMessage() for r in caplog.records)
    assert "RECONCILIATION" in log and SECRET not in log
    assert SECRET not in audit_texts(deployed)

    from lakehouse.errors import QuarantineLimitError

    land(tmp_path / "b2", "b.json", [event(f"x{i}", f"{SECRET}{i}") for i in range(5)])
    ingest(deployed, clickstream, [tmp_path / "b2"])
    with pytest.raises(QuarantineLimitError) as failed:  # its text is Glue's failure message: the alert
        run_dataset(deployed, clickstream, jobs, stages=("raw_to_silver",))
    assert SECRET not in str(failed.value) and SECRET not in audit_texts(deployed)


def test_quarantine_partitions_expire_as_the_contract_says(deployed, clickstream):
    import dataclasses

    from lakehouse.contract.dataset import parse_contract
    from lakehouse.contract.tables import quarantine_table

    doc = __import__("yaml").safe_load((REPO / "domains" / "clickstream" / "clickstream.yaml").read_text())
    doc["quarantine_expiry_days"] = 14
    assert parse_contract(doc).quarantine_expiry_days == 14
    assert retention.quarantine_expiry(
        dataclasses.replace(clickstream, quarantine_expiry_days=14)
    ) == timedelta(days=14)

    spec = quarantine_table(clickstream, deployed)
    storage, catalog = Storage(deployed), Catalog(deployed)
    location = f"{spec.location}run_id=jr_q/"
    storage.put_bytes(location + "part-0.parquet", b"PAR1")
    catalog.register_partitions(spec, {("jr_q",): location})
    now = datetime.now(UTC)
    ledgers = retention.ledgers(deployed)
    assert (
        retention.expire_quarantine(deployed, spec, timedelta(days=14), ledgers, now=now + timedelta(days=13))
        == []
    )
    assert retention.expire_quarantine(
        deployed, spec, timedelta(days=14), ledgers, now=now + timedelta(days=15)
    ) == [location]
    assert catalog.get_partitions(spec.database, spec.name) == []
    assert list(storage.list(location)) == []


@pytest.mark.spark
def test_csv_objects_are_streamed_by_the_tasks_from_s3_as_on_glue(spark, deployed):
    """On Glue the tasks read each CSV object from S3 themselves (DirectIO: no staging), plain and
    gzip, and a cut-off gzip is one `unreadable_file` row with none of its readable rows."""
    import gzip

    from lakehouse.contract.dataset import load_contract
    from lakehouse.jobs.io import DirectIO
    from lakehouse.jobs.readers import read_records
    from lakehouse.transforms import csv_records

    contract = load_contract(REPO / "domains" / "retail" / "category_tree.yaml")
    body = "categoryid,parentid\n" + "".join(f"c{i},p{i % 7}\n" for i in range(5000))
    raw = f"s3://{deployed.bucket('raw')}/category_tree/x"
    plain, zipped, cut = f"{raw}/tree 1.csv", f"{raw}/tree:2.csv.gz", f"{raw}/tree[3].csv.gz"
    storage = Storage(deployed)
    storage.put_bytes(plain, body.encode())
    storage.put_bytes(zipped, gzip.compress(body.encode()))
    storage.put_bytes(cut, gzip.compress(body.encode())[:-300])
    uris = [plain, zipped, cut]
    sizes = {u: 1 for u in uris}
    found = read_records(spark, contract, uris, DirectIO(), sizes=sizes, settings=deployed).collect()
    by_file = {u: [r for r in found if r["_source_file"] == u] for u in uris}
    for u in (plain, zipped):
        assert [(r["_source_line"], r["categoryid"]) for r in by_file[u]] == [
            (i + 2, f"c{i}") for i in range(5000)
        ]
    assert [(r["_source_line"], r["_parse_error"]) for r in by_file[cut]] == [(0, csv_records.UNREADABLE)]
