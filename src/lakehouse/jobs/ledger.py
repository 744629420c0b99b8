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
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from lakehouse.catalog import Catalog
from lakehouse.process import pid_alive
from lakehouse.settings import Settings
from lakehouse.storage import Storage
from lakehouse.tables import TableSpec

# A lock older than this was left by a dead run (set it to the Glue job timeout; Terraform does).
LOCK_TTL = timedelta(minutes=int(os.environ.get("LAKEHOUSE_LOCK_TTL_MINUTES", "360")))


class RunInProgress(RuntimeError):
    """Another run of the same dataset and stage holds the lock."""


@dataclass
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


def _base(settings: Settings, dataset: str) -> str:
    return f"s3://{settings.bucket('silver')}/_ledger/{dataset}"


class Ledger:
    """The ledger of one dataset and stage."""

    def __init__(self, settings: Settings, dataset: str, stage: str):
        self.storage = Storage(settings)
        self.dataset, self.stage = dataset, stage
        self.prefix = f"{_base(settings, dataset)}/{stage}/"

    def entries(self) -> list[LedgerEntry]:
        out = []
        for obj in self.storage.list(self.prefix):
            if obj.key.endswith(".json"):
                out.append(LedgerEntry(**json.loads(self.storage.read_bytes(obj.uri))))
        return sorted(out, key=lambda e: e.run_id)

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
        entry.written_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.storage.put_bytes(
            f"{self.prefix}{entry.run_id}.json", json.dumps(asdict(entry)).encode(), "application/json"
        )


class RunLock:
    """One run per dataset and stage at a time: an S3 object created only if absent (conditional put)."""

    def __init__(self, settings: Settings, dataset: str, stage: str, run_id: str):
        self.storage = Storage(settings)
        self.uri = f"{_base(settings, dataset)}/_lock/{stage}.json"
        self.dataset, self.stage, self.run_id = dataset, stage, run_id

    def _put(self) -> bool:
        body = json.dumps(
            {
                "run_id": self.run_id,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        ).encode()
        return self.storage.put_if_absent(self.uri, body)

    def acquire(self) -> None:
        if self._put():
            return
        try:
            holder = json.loads(self.storage.read_bytes(self.uri))
        except ClientError:  # released between our put and our read: try once more
            holder = {}
        since = datetime.fromisoformat(holder["since"]) if holder.get("since") else None
        expired = since is not None and datetime.now(UTC) - since > LOCK_TTL
        dead = holder.get("host") == socket.gethostname() and not pid_alive(int(holder.get("pid", 0)))
        if expired or dead:
            self.storage.delete_prefix(self.uri)  # a dead run's lock: take over
            if self._put():
                return
        elif not holder and self._put():
            return
        raise RunInProgress(
            f"another {self.stage} run of {self.dataset} is in progress (run {holder.get('run_id', '?')} on "
            f"{holder.get('host', '?')} since {holder.get('since', '?')}); wait for it, or if it died, delete "
            f"{self.uri}"
        )

    def release(self) -> None:
        holder = json.loads(self.storage.read_bytes(self.uri)) if self.storage.head(self.uri) else {}
        if holder.get("run_id") == self.run_id:
            self.storage.delete_prefix(self.uri)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def publish(catalog: Catalog, specs: dict[str, TableSpec], entry: LedgerEntry) -> None:
    """Switch readers to a run's files; idempotent, so a dead run's publish can be completed by the next.

    Each partition and each table location switches in one catalog call, so no reader ever sees a
    partition half-written; a run that dies between calls has its intent completed by the next run.
    """
    actions = [
        (
            lambda t=table, p=parts: catalog.register_partitions(
                specs[t],
                {tuple(json.loads(k)): loc for k, loc in p.items()},
                replace_all=t in entry.replace_all,
            )
        )
        for table, parts in sorted(entry.partitions.items())
    ] + [
        (lambda t=table, loc=location: catalog.set_table_location(specs[t], loc))
        for table, location in sorted(entry.table_locations.items())
    ]
    for i, action in enumerate(actions):
        if i == 1:
            failpoint(f"{entry.stage}:mid_publish")
        action()


def recover(ledger: Ledger, catalog: Catalog, specs: dict[str, TableSpec]) -> list[str]:
    """Roll forward the publish of runs that recorded their intent but did not commit."""
    done = []
    for entry in ledger.pending():
        publish(catalog, specs, entry)
        entry.status = "committed"
        ledger.write(entry)
        done.append(entry.run_id)
    return done


class RunRequest:
    """A pending request to run a dataset's stage: debounces job starts from many object events.

    Whoever creates the marker (a conditional put: only one can) starts the job; while it exists,
    further events add nothing. The run clears it when it starts, before it lists its inputs, so an
    object landing during the run makes a new request; if that start hits the concurrent-run limit,
    the marker stays and the handler of the running job's end starts the job again. Nothing is lost.
    """

    def __init__(self, settings: Settings, dataset: str, stage: str):
        self.storage = Storage(settings)
        self.uri = f"{_base(settings, dataset)}/_requested/{stage}.json"

    def make(self, reason: str) -> bool:
        """True if this call created the request (its caller should start the job)."""
        body = json.dumps({"reason": reason, "at": datetime.now(UTC).isoformat(timespec="seconds")}).encode()
        return self.storage.put_if_absent(self.uri, body)

    def pending(self) -> bool:
        return self.storage.head(self.uri) is not None

    def clear(self) -> None:
        self.storage.delete_prefix(self.uri)


def failpoint(name: str) -> None:
    """Die here, as a killed process would, when LAKEHOUSE_FAILPOINT names this point (crash tests)."""
    if os.environ.get("LAKEHOUSE_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
