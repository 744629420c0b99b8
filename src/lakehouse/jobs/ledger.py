"""Run bookkeeping on S3: which inputs each stage has processed, its publish intent, and a run lock.

A stage run goes: lock -> recover -> plan -> write (run-scoped) -> intent -> publish -> commit -> unlock.
The ledger entry of a run is written twice: `publishing` (the intent: its inputs and exactly which
catalog partitions and table locations it will switch) before it touches the catalog, and `committed`
after. A run that dies anywhere leaves either no intent (nothing was published: its files are orphans
and its inputs are processed again) or an intent, which the next run rolls forward before anything
else. Either way the result converges to that of a clean run. Correctness never depends on Glue job
bookmarks.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage
from lakehouse.contract.tables import TableSpec
from lakehouse.errors import RunInProgress
from lakehouse.jobs.process import pid_alive
from lakehouse.settings import Settings, env_float, env_str


def lock_ttl() -> timedelta:
    """A lock older than this was left by a dead run: the Glue job timeout. Glue jobs get it as the job
    argument --lock_ttl_minutes (lakehouse.jobs.entry); elsewhere LAKEHOUSE_LOCK_TTL_MINUTES, default 360."""
    return timedelta(minutes=env_float("LAKEHOUSE_LOCK_TTL_MINUTES"))


def request_ttl() -> timedelta:
    """A run request older than this was left by a start that never happened (a Lambda killed between
    writing it and starting the job): the next event replaces it. LAKEHOUSE_REQUEST_TTL_MINUTES, default
    15 (the longest a Lambda function can run)."""
    return timedelta(minutes=env_float("LAKEHOUSE_REQUEST_TTL_MINUTES"))


@dataclass(kw_only=True)
class LedgerEntry:
    run_id: str
    stage: str
    dataset: str
    status: str  # publishing | committed
    full: bool
    inputs: list[list[str]] = field(default_factory=list)  # [uri, etag] processed by this run
    partitions: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> {values json: location}
    replace_all: list[str] = field(default_factory=list)  # tables whose other partitions this run supersedes
    table_locations: dict[str, str] = field(default_factory=dict)  # unpartitioned table -> location
    consumed: dict[str, str] = field(default_factory=dict)  # silver partition values json -> location read
    written_at: str = ""
    # the ledger's order: 1 + the highest seq of the entries before it (written under the run lock). Run
    # ids do not sort in time (Glue's are `jr_<random hex>`), so nothing orders entries by run id.
    seq: int = 0
    committed_at: str = ""  # when the publish completed: when the locations it replaced stopped being read

    @classmethod
    def from_json(cls, doc: dict) -> LedgerEntry:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in known})


FETCHES = 16  # entries fetched at once


class EntryCache:
    """Ledger entries already read: uri -> (ETag, body).

    An entry is rewritten in place (publishing -> committed), and a rewrite changes its ETag, so a
    listing says which are still valid. A run reads the ledgers several times (its own plan, recovery,
    retention of every stage); after the first only changed entries are fetched again, which keeps a
    run's S3 requests from growing with calls times history. Whoever owns the reads owns the cache:
    the job runner makes one per run and gives it to every Ledger of the run, a handler configuration
    one for the events it handles; a Ledger made without one has its own.
    """

    def __init__(self) -> None:
        self.read: dict[str, tuple[str, bytes]] = {}

    def stale(self, uri: str, etag: str) -> bool:
        """Whether the entry at uri is not held as this version: new, or rewritten since it was read."""
        return self.read.get(uri, ("", b""))[0] != etag


def _base(settings: Settings, dataset: str) -> str:
    return f"s3://{settings.bucket('silver')}/_ledger/{dataset}"


class Ledger:
    """The ledger of one dataset and stage."""

    def __init__(
        self,
        settings: Settings,
        dataset: str,
        stage: str,
        *,
        storage: Storage | None = None,
        cache: EntryCache | None = None,
    ):
        self.storage = storage or Storage(settings)
        self.cache = cache or EntryCache()
        self.dataset, self.stage = dataset, stage
        self.prefix = f"{_base(settings, dataset)}/{stage}/"

    def entries(self) -> list[LedgerEntry]:
        """Every entry, in the order the runs recorded them (their `seq`; entries from before `seq`
        existed, seq 0, first and by the time they were written), never by run id."""
        listed = [o for o in self.storage.list(self.prefix) if o.key.endswith(".json")]
        read = self.cache.read
        stale = [o.uri for o in listed if self.cache.stale(o.uri, o.etag)]  # new or rewritten
        if stale:  # S3 answers GETs in parallel; one at a time is latency
            with ThreadPoolExecutor(FETCHES) as pool:
                for uri, (body, etag) in zip(stale, pool.map(self.storage.read_tagged, stale), strict=True):
                    read[uri] = etag, body
        out = [LedgerEntry.from_json(json.loads(read[o.uri][1])) for o in listed]
        return sorted(out, key=lambda e: (e.seq, e.written_at, e.run_id))

    def entry(self, run_id: str) -> LedgerEntry | None:
        return next((e for e in self.entries() if e.run_id == run_id), None)

    def committed(self) -> list[LedgerEntry]:
        return [e for e in self.entries() if e.status == "committed"]

    def pending(self) -> list[LedgerEntry]:
        return [e for e in self.entries() if e.status == "publishing"]

    def processed_inputs(self) -> set[tuple[str, str]]:
        """(uri, etag) of every input a committed run has processed since the last committed full run."""
        done: set[tuple[str, str]] = set()
        for entry in self.committed():
            if entry.full:
                done = set()
            done |= {(u, e) for u, e in entry.inputs}
        return done

    def last_consumed(self) -> dict[str, str]:
        committed = self.committed()
        return dict(committed[-1].consumed) if committed else {}

    def write(self, entry: LedgerEntry) -> None:
        entry.written_at = datetime.now(UTC).isoformat(timespec="microseconds")
        if not entry.seq:  # the intent: next in the ledger's order (the run lock makes this the only writer)
            entry.seq = 1 + max((e.seq for e in self.entries()), default=0)
        if entry.status == "committed" and not entry.committed_at:
            entry.committed_at = entry.written_at
        self.storage.put_bytes(
            f"{self.prefix}{entry.run_id}.json", json.dumps(asdict(entry)).encode(), "application/json"
        )


class RunLock:
    """One run per dataset and stage at a time: an S3 object created only if absent (conditional put).

    A lock left by a dead run (its process gone on this host, or older than the TTL) is taken over by
    a conditional write on the exact version read (S3 If-Match on its ETag): of two contenders that
    both saw the dead lock, one replaces it and the other's write fails, so it stops. Release deletes
    only the version this run wrote.
    """

    def __init__(
        self,
        settings: Settings,
        dataset: str,
        stage: str,
        run_id: str,
        *,
        ttl: timedelta | None = None,
        storage: Storage | None = None,
    ):
        self.storage = storage or Storage(settings)
        self.uri = f"{_base(settings, dataset)}/_lock/{stage}.json"
        self.dataset, self.stage, self.run_id = dataset, stage, run_id
        self.ttl = ttl if ttl is not None else lock_ttl()
        self.etag: str | None = None

    def _body(self) -> bytes:
        return json.dumps(
            {
                "run_id": self.run_id,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
                "token": uuid.uuid4().hex,  # every lock version has its own ETag
            }
        ).encode()

    def stale(self, holder: dict) -> bool:
        """The holder is a dead run: older than the TTL, or its process is gone from this host."""
        since = datetime.fromisoformat(holder["since"]) if holder.get("since") else None
        expired = since is None or datetime.now(UTC) - since > self.ttl
        dead = holder.get("host") == socket.gethostname() and not pid_alive(int(holder.get("pid", 0) or 0))
        return expired or dead

    def acquire(self) -> None:
        holder: dict = {}
        for _ in range(3):
            self.etag = self.storage.create(self.uri, self._body())
            if self.etag:
                return
            seen = self.storage.read_versioned(self.uri)
            if seen is None:  # released between our put and our read: try again
                continue
            body, etag = seen
            try:
                holder = json.loads(body)
            except ValueError:
                holder = {}
            if not self.stale(holder):
                break
            self.etag = self.storage.replace_if_match(self.uri, self._body(), etag)  # take over that version
            if self.etag:
                return
            # another contender took it over (or it was released) first: look again
        raise RunInProgress(
            f"another {self.stage} run of {self.dataset} is in progress (run {holder.get('run_id', '?')} on "
            f"{holder.get('host', '?')} since {holder.get('since', '?')}); wait for it, or if it died, delete "
            f"{self.uri}"
        )

    def release(self) -> None:
        if self.etag:
            self.storage.delete_if_match(self.uri, self.etag)  # only our own version: never a successor's
            self.etag = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def publish(catalog: Catalog, specs: dict[str, TableSpec], entry: LedgerEntry) -> list[str]:
    """Switch readers to a run's files; idempotent, so a dead run's publish can be completed by the next.

    Each partition and each table location switches in one catalog call, so no reader ever sees a
    partition half-written; a run that dies between calls has its intent completed by the next run.
    A table the intent names that the contract no longer has (removed since) is skipped: the stale
    part of the intent is resolved, never fatal to every later run. Returns the tables skipped.
    """
    stale = sorted({t for t in [*entry.partitions, *entry.table_locations] if t not in specs})
    actions = [
        (
            lambda t=table, p=parts: catalog.register_partitions(
                specs[t],
                {tuple(json.loads(k)): loc for k, loc in p.items()},
                replace_all=t in entry.replace_all,
            )
        )
        for table, parts in sorted(entry.partitions.items())
        if table in specs
    ] + [
        (lambda t=table, loc=location: catalog.set_table_location(specs[t], loc))
        for table, location in sorted(entry.table_locations.items())
        if table in specs
    ]
    for i, action in enumerate(actions):
        if i == 1:
            failpoint(f"{entry.stage}:mid_publish")
        action()
    return stale


def recover(ledger: Ledger, catalog: Catalog, specs: dict[str, TableSpec]) -> list[str]:
    """Roll forward the publish of runs that recorded their intent but did not commit."""
    done = []
    for entry in ledger.pending():
        complete(ledger, catalog, specs, entry)
        done.append(entry.run_id)
    return done


def complete(ledger: Ledger, catalog: Catalog, specs: dict[str, TableSpec], entry: LedgerEntry) -> list[str]:
    """Publish a pending entry and commit it; tables it names that no longer exist are dropped from it."""
    stale = publish(catalog, specs, entry)
    for table in stale:
        entry.partitions.pop(table, None)
        entry.table_locations.pop(table, None)
    entry.status = "committed"
    ledger.write(entry)
    return stale


class RunRequest:
    """A pending request to run a dataset's stage: debounces job starts from many object events.

    Whoever creates the marker (a conditional put: only one can) starts the job; while it exists,
    further events add nothing. The run clears it when it starts, before it lists its inputs, so an
    object landing during the run makes a new request; if that start hits the concurrent-run limit,
    the marker stays and the handler of the running job's end starts the job again. A start that
    fails otherwise clears the marker (lakehouse.automation.execute), and a marker older than
    `request_ttl()` (its writer died before starting the job) is replaced, by a conditional write on
    the version seen, by the next event, whose caller starts the job. Nothing is lost, nothing stalls.
    """

    def __init__(
        self,
        settings: Settings,
        dataset: str,
        stage: str,
        *,
        ttl: timedelta | None = None,
        storage: Storage | None = None,
    ):
        self.storage = storage or Storage(settings)
        self.uri = f"{_base(settings, dataset)}/_requested/{stage}.json"
        self.ttl = ttl if ttl is not None else request_ttl()

    def make(self, reason: str) -> bool:
        """True if this call created the request, or replaced a stale one (its caller should start the job)."""
        body = json.dumps(
            {
                "reason": reason,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "token": uuid.uuid4().hex,
            }
        ).encode()
        if self.storage.create(self.uri, body):
            return True
        seen = self.storage.read_versioned(self.uri)
        if seen is None:  # cleared meanwhile: the run that cleared it may have started before our object
            return self.storage.create(self.uri, body) is not None
        try:
            at = datetime.fromisoformat(json.loads(seen[0])["at"])
        except (ValueError, KeyError, TypeError):
            at = None
        if at is not None and datetime.now(UTC) - at <= self.ttl:
            return False
        return self.storage.replace_if_match(self.uri, body, seen[1]) is not None

    def pending(self) -> bool:
        return self.storage.head(self.uri) is not None

    def clear(self) -> None:
        self.storage.delete_prefix(self.uri)


def failpoint(name: str) -> None:
    """Die here, as a killed process would, when LAKEHOUSE_FAILPOINT names this point (crash tests)."""
    if env_str("LAKEHOUSE_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
