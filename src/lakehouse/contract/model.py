"""Gold models built from several datasets: <domain>/models/<name>.yaml.

A contract describes one source; a model describes gold tables fed by several (the sales model:
customers, transactions and order-line exports) or by none at all (the calendar model: the conformed
`dim_date`, with fiscal periods when `fiscal_calendar` has landed). The model file is its tables'
single definition (columns, types, partitions; a `kind: calendar` table's are checked against the
conformed calendar's in lakehouse.contract.tables), the business parameters its rules use, and the
transform module holding those rules, a module of the model's own domain folder (`transform: transform`
is `<domain>/transform.py`, lakehouse.contract.domains): the generic build_model stage imports it and holds no
model code, and a model file can name no other module. A table of `kind: calendar` is the
conformed calendar, whose columns are defined once in lakehouse.contract.tables; `conformed` names the tables
of other models a model's facts key into (the sales fact's date_key -> dim_date), so the registry
builds those after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakehouse.contract.domains import Domain, discover
from lakehouse.contract.spec import Reader, ident_problem, read_yaml
from lakehouse.contract.tables import CALENDAR_COLUMNS
from lakehouse.errors import ContractError

_MODULE = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True, kw_only=True)
class GoldTable:
    name: str
    columns: tuple[tuple[str, str], ...]
    partitions: tuple[tuple[str, str], ...] = ()
    description: str = ""
    kind: str = "table"  # table | calendar (the conformed calendar: columns from lakehouse.contract.tables)
    # table: each build replaces the whole table; partitions: a build adds or replaces the partitions
    # it writes and keeps the others (a snapshot table: one partition per snapshot date)
    publish: str = "table"


@dataclass(frozen=True, kw_only=True)
class Model:
    name: str
    description: str
    sources: tuple[str, ...]
    parameters: dict[str, Any]
    tables: tuple[GoldTable, ...]
    transform: str = ""  # its domain's module with `build(spark, sources, parameters) -> ModelBuild | None`
    conformed: tuple[str, ...] = ()  # tables of other models its facts reference
    # run arguments (name -> what it means): optional Glue job arguments `--<name>`, given to the
    # transform in its parameters (None when not given); `lakehouse run` takes them as --<name-with-dashes>
    arguments: dict[str, str] = field(default_factory=dict)
    path: Path = field(default=Path("<memory>"), compare=False)

    @property
    def domain(self) -> Domain:
        """The domain folder holding it: `<domain>/models/<name>.yaml`."""
        return Domain(self.path.parent.parent.name, self.path.parent.parent)

    def table(self, name: str) -> GoldTable:
        return next(t for t in self.tables if t.name == name)

    def parameter(self, name: str) -> Any:
        if name not in self.parameters:
            raise ContractError(self.path, f"parameters.{name}", "is required by the model's rules")
        return self.parameters[name]


def parse_model(doc: Any, path: Path | str = "<memory>") -> Model:
    """Validate a parsed model document."""
    path = Path(path)
    r = Reader(path, doc)
    r.only("name", "description", "sources", "parameters", "tables", "transform", "conformed", "arguments")
    name = r.table_name("name")
    if path.suffix == ".yaml" and path.stem != name:
        raise r.error("name", f"{name!r} must match the file name {path.stem!r}")
    tables = []
    for t in r.items("tables"):
        t.only("name", "description", "columns", "partitions", "kind", "publish")
        kind = t.text("kind", required=False, default="table")
        if kind not in ("table", "calendar"):
            raise t.error("kind", f"{kind!r} is not table or calendar")
        publish = t.text("publish", required=False, default="table")
        if publish not in ("table", "partitions"):
            raise t.error("publish", f"{publish!r} is not table or partitions")
        columns = tuple((c.ident("name"), c.type()) for c in t.items("columns", required=kind != "calendar"))
        if kind == "calendar":
            conformed = (("date_key", "int"), *CALENDAR_COLUMNS)
            if columns and columns != conformed:  # listed for readers of the file (and Terraform's tests)
                raise t.error(
                    "columns", f"a calendar table has the conformed calendar's columns: {conformed}"
                )
            columns = conformed
        partitions = tuple((p.ident("name"), p.type()) for p in t.items("partitions", required=False))
        if publish == "partitions" and not partitions:
            raise t.error("publish", "publish: partitions needs a partitioned table")
        tables.append(
            GoldTable(
                name=t.table_name("name"),
                columns=columns,
                partitions=partitions,
                description=t.text("description", required=False, default=""),
                kind=kind,
                publish=publish,
            )
        )
    transform = r.text("transform")
    if not _MODULE.match(transform):
        raise r.error(
            "transform",
            f"{transform!r} must name a module of its domain folder (transform: transform for transform.py)",
        )
    params = r.value("parameters", dict, required=False, default={})
    arguments = r.value("arguments", dict, required=False, default={})
    for arg, meaning in arguments.items():
        problem = ident_problem(arg)
        if problem or not isinstance(meaning, str):
            raise r.error(f"arguments.{arg}", problem or "must say what the argument means (a string)")
        if arg in params:
            raise r.error(f"arguments.{arg}", "is also a parameter: a run argument and a parameter differ")
    return Model(
        name=name,
        description=r.text("description", required=False, default=""),
        sources=r.names("sources", required=False),
        parameters=dict(params),
        tables=tuple(tables),
        transform=transform,
        conformed=r.names("conformed", required=False),
        arguments=dict(arguments),
        path=path,
    )


def load_model(path: Path | str) -> Model:
    return parse_model(read_yaml(path), Path(path))


def load_models(roots: Path | str | Sequence[Path | str]) -> dict[str, Model]:
    """Every domain's models under these folders (lakehouse.contract.domains), by name."""
    domains = discover(roots)
    return {m.name: m for m in (load_model(p) for d in domains for p in d.model_files)}
