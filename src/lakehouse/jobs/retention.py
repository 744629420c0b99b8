"""Retention: delete run outputs nothing points at any more, once they have been superseded long enough.

Every run writes under `<table>/_runs/<run_id>/` (quarantine: `run_id=<run_id>/`). A later run that
rebuilds the same partitions moves the catalog to its own files; the earlier files stay, so a query
that started before the switch can finish. They go once the retention period has passed *since they
were replaced* (the commit time of the later run that took over their last partition, from the
ledger), never counted from when they were written: a partition rebuilt after a month keeps its old
files for the whole period. Nothing is deleted while a catalog partition, a table location, or a
pending publish intent of *any* stage's ledger still points into it. Files of a run that died before
publishing (no ledger entry) are orphans, aged from their last write.

Quarantine partitions hold whole raw records (personal data among them): `expire_quarantine` removes
a run's quarantine partition, from the catalog and then its files, once it is older than the
contract's `quarantine_expiry_days` (project default LAKEHOUSE_QUARANTINE_EXPIRY_DAYS, 30).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from lakehouse.aws.catalog import Catalog
from lakehouse.aws.storage import Storage
from lakehouse.contract.tables import TableSpec
from lakehouse.jobs.ledger import EntryCache, Ledger, LedgerEntry
from lakehouse.settings import Settings, env_float

_RUN_DIR = re.compile(r"^(.*?/(?:_runs/([^/]+)|run_id=([^/]+))/)")


def ledgers(
    settings: Settings, *, storage: Storage | None = None, cache: EntryCache | None = None
) -> list[Ledger]:
    """The ledger of every dataset and stage (and model build) in the environment, read through `storage`
    and sharing `cache` (a run's: jobs.ledger.EntryCache), both by default their own."""
    storage = storage or Storage(settings)
    cache = cache or EntryCache()
    base = f"s3://{settings.bucket('silver')}/_ledger/"
    found = set()
    for obj in storage.list(base):
        parts = obj.key.split("/")  # _ledger/<dataset>/<stage>/<run>.json
        if len(parts) == 4 and not parts[2].startswith("_") and parts[3].endswith(".json"):
            found.add((parts[1], parts[2]))
    return [
        Ledger(settings, dataset, stage, storage=storage, cache=cache) for dataset, stage in sorted(found)
    ]


def referenced_locations(catalog: Catalog, spec: TableSpec, pending: list[LedgerEntry]) -> set[str]:
    """Every location readers (or a pending publish of any stage: `pending`) may use for this table."""
    refs = set()
    if spec.partition_keys:
        refs |= {loc for _, loc in catalog.get_partitions(spec.database, spec.name)}
    else:
        location = catalog.table_location(spec)
        if location:
            refs.add(location)
    for entry in pending:
        refs |= set(entry.partitions.get(spec.qualified, {}).values())
        if spec.qualified in entry.table_locations:
            refs.add(entry.table_locations[spec.qualified])
    return refs


def _touches(entry: LedgerEntry, table: str) -> bool:
    return table in entry.partitions or table in entry.table_locations or table in entry.replace_all


def _stamp(entry: LedgerEntry) -> datetime | None:
    text = entry.committed_at or entry.written_at
    return datetime.fromisoformat(text) if text else None


def superseded_at(table: str, run_id: str, history: list[LedgerEntry]) -> datetime | None:
    """When the files of `run_id` for `table` stopped being published: the commit of the later run that
    took over the last of its partitions (or its table location). None when the ledger does not say."""
    mine = next((e for e in history if e.run_id == run_id and _touches(e, table)), None)
    if mine is None:
        return None
    later = [e for e in history if e.seq > mine.seq and e.status == "committed" and _touches(e, table)]
    keys = list(mine.partitions.get(table, {})) or ["<table>"]
    times = []
    for key in keys:
        replacer = next(
            (
                e
                for e in later
                if key in e.partitions.get(table, {})
                or table in e.replace_all
                or (key == "<table>" and table in e.table_locations)
            ),
            None,
        )
        if replacer is None:
            return None
        times.append(_stamp(replacer))
    return None if any(t is None for t in times) else max(t for t in times if t is not None)


def collect(
    settings: Settings,
    specs: list[TableSpec],
    ledgers: list[Ledger],
    retention: timedelta,
    *,
    now: datetime | None = None,
    catalog: Catalog | None = None,
    storage: Storage | None = None,
) -> list[str]:
    """Delete unreferenced run directories superseded (or, orphans, written) more than `retention` ago;
    returns the prefixes deleted."""
    now = now or datetime.now(UTC)
    catalog, storage = catalog or Catalog(settings), storage or Storage(settings)
    history = [e for ledger in ledgers for e in ledger.entries()]
    pending = [e for e in history if e.status == "publishing"]  # read once for every table
    deleted = []
    for spec in specs:
        refs = referenced_locations(catalog, spec, pending)
        runs: dict[str, tuple[str, datetime]] = {}
        for obj in storage.list(spec.location):
            match = _RUN_DIR.match(obj.uri)
            if match and obj.modified is not None:
                prefix, run_id = match.group(1), match.group(2) or match.group(3)
                newest = max(runs[prefix][1], obj.modified) if prefix in runs else obj.modified
                runs[prefix] = (run_id, newest)
        for prefix, (run_id, newest) in sorted(runs.items()):
            if any(ref.startswith(prefix) or prefix.startswith(ref) for ref in refs):
                continue
            entries = [e for e in history if e.run_id == run_id and _touches(e, spec.qualified)]
            if entries:
                since = superseded_at(spec.qualified, run_id, sorted(history, key=lambda e: e.seq))
                if since is None:
                    continue  # the ledger does not say when it was replaced: keep it
            else:
                since = newest  # an orphan: its run died before recording an intent
            if now - since >= retention:
                storage.delete_prefix(prefix)
                deleted.append(prefix)
    return deleted


def quarantine_expiry(subject: object) -> timedelta:
    """How long a run's quarantine partition is kept: the contract's, else the project's default."""
    days = getattr(subject, "quarantine_expiry_days", None)
    return timedelta(days=days or env_float("LAKEHOUSE_QUARANTINE_EXPIRY_DAYS"))


def expire_quarantine(
    settings: Settings,
    spec: TableSpec,
    expiry: timedelta,
    ledgers: list[Ledger],
    *,
    now: datetime | None = None,
    catalog: Catalog | None = None,
    storage: Storage | None = None,
) -> list[str]:
    """Drop quarantine partitions written more than `expiry` ago (never one a pending intent names):
    the catalog partition first, so no reader is left pointing at deleted files; returns their locations."""
    now = now or datetime.now(UTC)
    catalog, storage = catalog or Catalog(settings), storage or Storage(settings)
    pending = {
        loc
        for ledger in ledgers
        for e in ledger.pending()
        for loc in e.partitions.get(spec.qualified, {}).values()
    }
    expired = []
    for values, location in catalog.get_partitions(spec.database, spec.name):
        written = [o.modified for o in storage.list(location) if o.modified is not None]
        if location in pending or (written and now - max(written) < expiry):
            continue
        catalog.glue.batch_delete_partition(
            DatabaseName=spec.database, TableName=spec.name, PartitionsToDelete=[{"Values": list(values)}]
        )
        storage.delete_prefix(location)
        expired.append(location)
    return expired
