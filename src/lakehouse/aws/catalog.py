"""The Glue Data Catalog: databases, tables from TableSpecs, partitions and Athena-style views.

Every call is idempotent: ensuring what already exists changes nothing and reports "unchanged".
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from lakehouse import aws
from lakehouse.contract.tables import TableSpec
from lakehouse.errors import SchemaChangeError
from lakehouse.settings import Settings

PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    },
}
JSON = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
        # raw data may hold malformed lines: Athena reads them as nulls instead of failing the query
        "Parameters": {"ignore.malformed.json": "true", "case.insensitive": "true"},
    },
}
CSV = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
        "Parameters": {"separatorChar": ",", "quoteChar": '"', "escapeChar": "\\"},
    },
}
FORMATS = {"parquet": PARQUET, "json": JSON, "csv": CSV}


# Raw partitions are laid out by ingest as year=YYYY/month=MM/...: Athena projects them, so a new hour
# is queryable without a crawler or a catalog call (the Lambda still registers partitions for Redshift
# Spectrum, which does not read projection).
RAW_PROJECTION = {
    "year": {"type": "integer", "range": "2000,2099"},
    "month": {"type": "integer", "range": "1,12", "digits": "2"},
    "day": {"type": "integer", "range": "1,31", "digits": "2"},
    "hour": {"type": "integer", "range": "0,23", "digits": "2"},
}


def _projection(spec: TableSpec) -> dict[str, str]:
    if spec.zone != "raw" or not spec.partition_keys:
        return {}
    params = {"projection.enabled": "true"}
    for key, _ in spec.partition_keys:
        params |= {f"projection.{key}.{prop}": value for prop, value in RAW_PROJECTION[key].items()}
    template = "/".join(f"{k}=${{{k}}}" for k, _ in spec.partition_keys)
    params["storage.location.template"] = spec.location.rstrip("/") + "/" + template + "/"
    return params


def table_input(spec: TableSpec, location: str | None = None) -> dict:
    """The Glue TableInput of a spec (the same shape Terraform's aws_glue_catalog_table produces)."""
    params = {"EXTERNAL": "TRUE", "classification": spec.format}
    if spec.format == "parquet":
        params["parquet.compression"] = "SNAPPY"
    params |= dict(spec.parameters)  # e.g. skip.header.line.count for a CSV source with a header
    params |= _projection(spec)
    storage: dict[str, Any] = dict(FORMATS[spec.format])
    if spec.serde_parameters:  # e.g. the CSV source's delimiter
        serde = storage["SerdeInfo"]
        storage["SerdeInfo"] = {**serde, "Parameters": {**serde["Parameters"], **dict(spec.serde_parameters)}}
    return {
        "Name": spec.name,
        "Description": spec.description,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": params,
        "PartitionKeys": [{"Name": n, "Type": t} for n, t in spec.partition_keys],
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in spec.columns],
            "Location": location or spec.location,
            **storage,
        },
    }


def _comparable(table: dict) -> dict:
    sd = table.get("StorageDescriptor", {})
    return {
        "columns": [(c["Name"], c["Type"]) for c in sd.get("Columns", [])],
        "partitions": [(c["Name"], c["Type"]) for c in table.get("PartitionKeys", [])],
        "serde": sd.get("SerdeInfo", {}).get("SerializationLibrary"),
        "input": sd.get("InputFormat"),
        "description": table.get("Description", ""),
        "params": {
            k: v for k, v in table.get("Parameters", {}).items() if k in ("classification", "EXTERNAL")
        },
    }


def breaking_change(existing: dict, wanted: dict) -> str | None:
    """Why moving a table from `existing` to `wanted` would break its data, or None if it only adds columns.

    Parquet and JSON are read by column name, so a column may be added anywhere; CSV is read by
    position, so there it may only be appended. Removing or retyping a column is always breaking.
    """
    old = [(c["Name"], c["Type"]) for c in existing.get("StorageDescriptor", {}).get("Columns", [])]
    new = [(c["Name"], c["Type"]) for c in wanted["StorageDescriptor"]["Columns"]]
    new_types = dict(new)
    for name, kind in old:
        if name not in new_types:
            return (
                f"column {name!r} was removed; old partitions still hold it: keep it (or start a new table)"
            )
        if new_types[name] != kind:
            return f"column {name!r} changed type {kind} -> {new_types[name]}; add a new column instead"
    by_position = "OpenCSVSerde" in wanted["StorageDescriptor"]["SerdeInfo"].get("SerializationLibrary", "")
    if by_position and new[: len(old)] != old:
        return "CSV columns are read by position: new columns can only be appended"
    old_keys = [(c["Name"], c["Type"]) for c in existing.get("PartitionKeys", [])]
    if old_keys != [(c["Name"], c["Type"]) for c in wanted["PartitionKeys"]]:
        return "partition keys changed; that needs a new table"
    return None


class Catalog:
    """The Glue catalog of one environment."""

    def __init__(self, settings: Settings, glue: Any = None):
        """`glue`: the boto3 Glue client to use (a test's stub); by default the environment's (lakehouse.aws)."""
        self.settings = settings
        self.glue = glue if glue is not None else aws.client("glue", settings)

    # databases ------------------------------------------------------------------------------------
    def ensure_database(self, name: str, description: str = "") -> str:
        try:
            self.glue.get_database(Name=name)
            return "unchanged"
        except self.glue.exceptions.EntityNotFoundException:
            self.glue.create_database(DatabaseInput={"Name": name, "Description": description})
            return "created"

    # tables ---------------------------------------------------------------------------------------
    def get_table(self, database: str, name: str) -> dict | None:
        try:
            return self.glue.get_table(DatabaseName=database, Name=name)["Table"]
        except self.glue.exceptions.EntityNotFoundException:
            return None

    def list_tables(self, database: str) -> list[dict]:
        tables = []
        for page in self.glue.get_paginator("get_tables").paginate(DatabaseName=database):
            tables.extend(page["TableList"])
        return tables

    def ensure_table(self, spec: TableSpec) -> str:
        """Create or update a table to match its spec.

        The current location is kept: jobs publish new data by moving a table's (or partition's)
        location to a run's output, and a redeploy must not move readers back.
        """
        existing = self.get_table(spec.database, spec.name)
        if existing is None:
            self.glue.create_table(DatabaseName=spec.database, TableInput=table_input(spec))
            return "created"
        location = existing.get("StorageDescriptor", {}).get("Location") or spec.location
        wanted = table_input(spec, location)
        if _comparable(existing) == _comparable(wanted):
            return "unchanged"
        problem = breaking_change(existing, wanted)
        if problem:
            raise SchemaChangeError(f"{spec.qualified}: {problem}")
        self.glue.update_table(DatabaseName=spec.database, TableInput=wanted)
        self._evolve_partitions(spec)
        return "updated"

    def _evolve_partitions(self, spec: TableSpec) -> None:
        """Give existing partitions the table's (appended) columns, so no engine sees a schema mismatch."""
        base = table_input(spec)["StorageDescriptor"]
        parts = self.get_partitions(spec.database, spec.name)
        for i in range(0, len(parts), 100):
            entries = [
                {
                    "PartitionValueList": list(v),
                    "PartitionInput": {"Values": list(v), "StorageDescriptor": {**base, "Location": loc}},
                }
                for v, loc in parts[i : i + 100]
            ]
            self.glue.batch_update_partition(DatabaseName=spec.database, TableName=spec.name, Entries=entries)

    def table_location(self, spec: TableSpec) -> str | None:
        table = self.get_table(spec.database, spec.name)
        return table["StorageDescriptor"].get("Location") if table else None

    def set_table_location(self, spec: TableSpec, location: str) -> None:
        """Point an unpartitioned table at new data in one catalog call (what readers see switches at once)."""
        self.glue.update_table(DatabaseName=spec.database, TableInput=table_input(spec, location))

    # partitions -----------------------------------------------------------------------------------
    def get_partitions(
        self, database: str, table: str, expression: str | None = None
    ) -> list[tuple[tuple, str]]:
        """[(values, location)] of a table's partitions, optionally filtered by a Glue expression."""
        kwargs = {"DatabaseName": database, "TableName": table}
        if expression:
            kwargs["Expression"] = expression
        out = []
        for page in self.glue.get_paginator("get_partitions").paginate(**kwargs):
            for p in page["Partitions"]:
                out.append((tuple(p["Values"]), p["StorageDescriptor"]["Location"]))
        return sorted(out)

    def register_partitions(
        self, spec: TableSpec, partitions: dict[tuple, str], replace_all: bool = False
    ) -> dict[str, int]:
        """Create missing partitions and move existing ones whose location changed. Returns counts.

        replace_all: the given partitions are the table's whole content (a full run): any other
        registered partition is superseded and deregistered (its files stay for retention cleanup).
        """
        counts = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}
        current = dict(self.get_partitions(spec.database, spec.name))
        wanted = {tuple(map(str, v)) for v in partitions}
        stale = [v for v in current if v not in wanted] if replace_all else []
        base = table_input(spec)["StorageDescriptor"]

        def part_input(values: tuple, location: str) -> dict:
            return {"Values": [str(v) for v in values], "StorageDescriptor": {**base, "Location": location}}

        new = [(v, loc) for v, loc in partitions.items() if tuple(map(str, v)) not in current]
        moved = [
            (v, loc)
            for v, loc in partitions.items()
            if tuple(map(str, v)) in current and current[tuple(map(str, v))] != loc
        ]
        counts["unchanged"] = len(partitions) - len(new) - len(moved)
        for i in range(0, len(new), 100):
            chunk = new[i : i + 100]
            resp = self.glue.batch_create_partition(
                DatabaseName=spec.database,
                TableName=spec.name,
                PartitionInputList=[part_input(v, loc) for v, loc in chunk],
            )
            errors = [
                e for e in resp.get("Errors", []) if e["ErrorDetail"]["ErrorCode"] != "AlreadyExistsException"
            ]
            if errors:
                raise RuntimeError(
                    f"registering partitions of {spec.qualified} failed: {errors[0]['ErrorDetail']}"
                )
            counts["created"] += len(chunk)
        for i in range(0, len(moved), 100):
            chunk = moved[i : i + 100]
            resp = self.glue.batch_update_partition(
                DatabaseName=spec.database,
                TableName=spec.name,
                Entries=[
                    {"PartitionValueList": [str(x) for x in v], "PartitionInput": part_input(v, loc)}
                    for v, loc in chunk
                ],
            )
            if resp.get("Errors"):
                raise RuntimeError(f"moving partitions of {spec.qualified} failed: {resp['Errors'][0]}")
            counts["updated"] += len(chunk)
        for i in range(0, len(stale), 25):
            chunk = stale[i : i + 25]
            resp = self.glue.batch_delete_partition(
                DatabaseName=spec.database,
                TableName=spec.name,
                PartitionsToDelete=[{"Values": list(v)} for v in chunk],
            )
            if resp.get("Errors"):
                raise RuntimeError(f"removing partitions of {spec.qualified} failed: {resp['Errors'][0]}")
            counts["removed"] += len(chunk)
        return counts

    # views ----------------------------------------------------------------------------------------
    def put_view(self, database: str, name: str, sql: str, columns: Iterable[tuple[str, str, str]]) -> str:
        """Store a view the way Athena does (VIRTUAL_VIEW with a Presto view blob), so both read it alike.

        columns: (name, Glue type, Trino type).
        """
        columns = list(columns)
        blob = {
            "originalSql": sql,
            "catalog": "awsdatacatalog",
            "schema": database,
            "columns": [{"name": n, "type": trino} for n, _, trino in columns],
        }
        encoded = base64.b64encode(json.dumps(blob).encode()).decode()
        view = {
            "Name": name,
            "TableType": "VIRTUAL_VIEW",
            "Parameters": {"presto_view": "true", "comment": "Presto View"},
            "ViewOriginalText": f"/* Presto View: {encoded} */",
            "ViewExpandedText": "/* Presto View */",
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": glue} for n, glue, _ in columns],
                "SerdeInfo": {},
                "Location": "",
            },
        }
        existing = self.get_table(database, name)
        if existing is None:
            self.glue.create_table(DatabaseName=database, TableInput=view)
            return "created"
        if existing.get("ViewOriginalText") == view["ViewOriginalText"]:
            return "unchanged"
        self.glue.update_table(DatabaseName=database, TableInput=view)
        return "updated"


def view_sql(table: dict) -> str | None:
    """The original (Trino) SQL of an Athena view stored in the catalog, or None for a table."""
    text = table.get("ViewOriginalText") or ""
    if table.get("TableType") != "VIRTUAL_VIEW" or "Presto View:" not in text:
        return None
    encoded = text.split("Presto View:", 1)[1].rsplit("*/", 1)[0].strip()
    try:
        return json.loads(base64.b64decode(encoded))["originalSql"]
    except (ValueError, KeyError):
        return None
