"""Retention: delete run outputs nothing points at any more, once they are old enough.

Every run writes under `<table>/_runs/<run_id>/` (quarantine: `run_id=<run_id>/`). A later run that
rebuilds the same partitions moves the catalog to its own files; the earlier files stay, so a query
that started before the switch can finish. After the retention period they go, but never while a
catalog partition, a table location, or a pending publish intent still points into them. Files of a
run that died before publishing (no intent) are orphans and go the same way.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

from lakehouse.catalog import Catalog
from lakehouse.jobs.ledger import Ledger
from lakehouse.storage import Storage
from lakehouse.tables import TableSpec

DEFAULT_RETENTION = timedelta(hours=float(os.environ.get("LAKEHOUSE_RETENTION_HOURS", "168")))
_RUN_DIR = re.compile(r"^(.*?/(?:_runs/[^/]+|run_id=[^/]+)/)")


def referenced_locations(catalog: Catalog, spec: TableSpec, ledgers: list[Ledger]) -> set[str]:
    """Every location readers (or a pending publish) may use for this table."""
    refs = set()
    if spec.partition_keys:
        refs |= {loc for _, loc in catalog.get_partitions(spec.database, spec.name)}
    else:
        location = catalog.table_location(spec)
        if location:
            refs.add(location)
    for ledger in ledgers:
        for entry in ledger.pending():
            refs |= set(entry.partitions.get(spec.qualified, {}).values())
            if spec.qualified in entry.table_locations:
                refs.add(entry.table_locations[spec.qualified])
    return refs


def collect(
    settings,
    specs: list[TableSpec],
    ledgers: list[Ledger],
    retention: timedelta = DEFAULT_RETENTION,
    now: datetime | None = None,
) -> list[str]:
    """Delete unreferenced run directories older than `retention`; returns the prefixes deleted."""
    now = now or datetime.now(UTC)
    catalog, storage = Catalog(settings), Storage(settings)
    deleted = []
    for spec in specs:
        refs = referenced_locations(catalog, spec, ledgers)
        runs: dict[str, datetime] = {}
        for obj in storage.list(spec.location):
            match = _RUN_DIR.match(obj.uri)
            if match:
                prefix, modified = match.group(1), obj.modified or now
                runs[prefix] = max(runs.get(prefix, modified), modified)
        for prefix, newest in sorted(runs.items()):
            in_use = any(ref.startswith(prefix) or prefix.startswith(ref) for ref in refs)
            if not in_use and now - newest >= retention:
                storage.delete_prefix(prefix)
                deleted.append(prefix)
    return deleted
