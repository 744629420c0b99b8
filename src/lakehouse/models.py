"""Gold models built from several datasets: datasets/models/<name>.yaml.

A contract describes one source; a model describes a star schema fed by several (the sales model:
customers, transactions, fiscal calendar and order-line exports). The model file is the tables'
single definition (columns, types, partitions) plus the business parameters the rules use. The
conformed `dim_date` is shared by every domain and is not repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lakehouse.contracts import ContractError, _Reader


@dataclass(frozen=True)
class GoldTable:
    name: str
    columns: tuple[tuple[str, str], ...]
    partitions: tuple[tuple[str, str], ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Model:
    name: str
    description: str
    sources: tuple[str, ...]
    parameters: dict[str, Any]
    tables: tuple[GoldTable, ...]
    path: Path = field(default=Path("<memory>"), compare=False)

    def table(self, name: str) -> GoldTable:
        return next(t for t in self.tables if t.name == name)

    def parameter(self, name: str) -> Any:
        if name not in self.parameters:
            raise ContractError(self.path, f"parameters.{name}", "is required by the model's rules")
        return self.parameters[name]


def load_model(path: Path | str) -> Model:
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContractError(path, "file", "does not exist") from None
    except yaml.YAMLError as exc:
        raise ContractError(path, "yaml", f"not valid YAML ({exc})") from None
    r = _Reader(path, doc)
    r.only("name", "description", "sources", "parameters", "tables")
    name = r.ident("name")
    if path.stem != name:
        raise r.error("name", f"{name!r} must match the file name {path.stem!r}")
    tables = []
    for t in r.items("tables"):
        t.only("name", "description", "columns", "partitions")
        columns = tuple((c.ident("name"), c.type()) for c in t.items("columns"))
        partitions = tuple((p.ident("name"), p.type()) for p in t.items("partitions", required=False))
        tables.append(GoldTable(t.ident("name"), columns, partitions, t.str("description", False, "")))
    params = r._get("parameters", dict, False, {})
    return Model(name, r.str("description", False, ""), r.names("sources"), dict(params), tuple(tables), path)


def load_models(datasets_dir: Path | str) -> dict[str, Model]:
    directory = Path(datasets_dir) / "models"
    return (
        {m.name: m for m in (load_model(p) for p in sorted(directory.glob("*.yaml")))}
        if directory.is_dir()
        else {}
    )
