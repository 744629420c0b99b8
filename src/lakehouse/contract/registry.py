"""The one registry of stages, jobs and models: who builds what, and what runs after what.

Stage names are spelled here only. The jobs, the Lambda handlers, the deployment manifest, the local
runner, the dispatcher and the CLI all ask this module which Glue jobs a dataset or model has, which
job a name belongs to, what a succeeded run requests next, and which stages `lakehouse run NAME`
runs. Every gold table has exactly one producer: a dataset's silver_to_gold builds its own
dimensions and facts, a model builds its tables, and a contract's `kind: calendar` dimension is the
conformed calendar, a reference to the table the model declaring a calendar table (the `calendar`
model) builds, never rebuilt by a dataset.

`Project.load` is the one loader of contracts and models, from a directory or an `s3://` prefix (the
artifacts bucket Terraform uploads them to); `load_contract_at` / `load_model_at` read one file from
a path or an `s3://` URI. Needs only PyYAML (and boto3 for s3://): it runs in Glue, Lambda and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lakehouse.contract.dataset import (
    Contract,
    Dimension,
    check_unique_tables,
    load_contract,
    parse_contract,
    parse_yaml,
    read_yaml,
)
from lakehouse.contract.domains import Domain, discover
from lakehouse.contract.model import Model, load_model, parse_model
from lakehouse.errors import ContractError

if TYPE_CHECKING:
    from lakehouse.settings import Settings

RAW_TO_SILVER, SILVER_TO_GOLD, BUILD_MODEL = "raw_to_silver", "silver_to_gold", "build_model"
DATASET_STAGES = (RAW_TO_SILVER, SILVER_TO_GOLD)
JOB_SCRIPTS = (*DATASET_STAGES, BUILD_MODEL)  # glue/jobs/<stage>.py


def script_path(stage: str) -> str:
    return f"glue/jobs/{stage}.py"


def dataset_stages(contract: Contract) -> tuple[str, ...]:
    """Its Glue jobs: silver_to_gold only for a dataset with its own star mapping. A model's source
    is built to gold by the model's job; a dataset without a star mapping ends in silver."""
    return DATASET_STAGES if contract.gold_tables else DATASET_STAGES[:1]


def built_dimensions(contract: Contract) -> tuple[Dimension, ...]:
    """The dimensions a dataset's silver_to_gold writes: its own, not the conformed calendar (a
    `kind: calendar` dimension is a reference to it; the model declaring a calendar table builds it)."""
    return tuple(d for d in contract.dimensions if d.kind != "calendar")


@dataclass(frozen=True)
class Job:
    name: str  # dataset or model
    stage: str

    @property
    def is_model(self) -> bool:
        return self.stage == BUILD_MODEL


@dataclass
class Project:
    """Every contract and model of a deployment."""

    contracts: dict[str, Contract] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._check()

    # loading -------------------------------------------------------------------------------------
    @classmethod
    def load(cls, location: Path | str | Sequence[Path | str], settings: Settings | None = None) -> Project:
        """Every domain's contracts (`<domain>/*.yaml`) and models (`<domain>/models/*.yaml`): under
        folders of domains (lakehouse.contract.domains), or under an s3:// prefix laid out the same way (the
        artifacts bucket's `domains/`, which Terraform uploads). A folder holding contracts directly
        is one domain."""
        locations = [location] if isinstance(location, Path | str) else list(location)
        contracts: dict[str, Contract] = {}
        models: dict[str, Model] = {}
        for where in locations:
            text = str(where)
            found = _load_s3(text, settings) if text.startswith("s3://") else _load_dirs(Path(where))
            for doc in found:
                into: dict = contracts if isinstance(doc, Contract) else models
                if doc.name in into:
                    raise ContractError(
                        doc.path, "name", f"{doc.name!r} is also defined at {into[doc.name].path}"
                    )
                into[doc.name] = doc
        check_unique_tables(contracts.values())
        return cls(contracts, models)

    def _check(self) -> None:
        producers: dict[str, list[str]] = {}
        for c in self.contracts.values():
            for name in [d.name for d in built_dimensions(c)] + [f.name for f in c.facts]:
                producers.setdefault(name, []).append(f"dataset {c.name}")
            if c.model and self.models and c.model not in self.models:
                raise ContractError(c.path, "star.model", f"no model {c.model!r} in any domain's models/")
        for m in self.models.values():
            for t in m.tables:
                producers.setdefault(t.name, []).append(f"model {m.name}")
        twice = {t: p for t, p in producers.items() if len(p) > 1}
        if twice:
            table, who = sorted(twice.items())[0]
            raise ContractError("domains", "star", f"table {table!r} is built by {' and '.join(who)}")

    def domain_of(self, name: str) -> Domain:
        """The domain folder of a dataset or model."""
        if name in self.models:
            return self.models[name].domain
        contract = self.contracts[name]
        return Domain(contract.domain, contract.path.parent)

    def alert_dataset(self) -> str | None:
        """The first dataset whose domain has an `alerts.py` (the local stand-in for Terraform's
        `alert_dataset`): its newly landed files go through that module (lakehouse.automation.alerts)."""
        return next((n for n in sorted(self.contracts) if self.domain_of(n).has_module("alerts")), None)

    # jobs ----------------------------------------------------------------------------------------
    def jobs(self) -> Iterator[Job]:
        for m in self.models.values():
            yield Job(m.name, BUILD_MODEL)
        for c in self.contracts.values():
            for stage in dataset_stages(c):
                yield Job(c.name, stage)

    def job_named(self, settings: Settings, job_name: str) -> Job | None:
        return next((j for j in self.jobs() if settings.job_name(j.name, j.stage) == job_name), None)

    def models_fed_by(self, dataset: str) -> list[str]:
        """The models a dataset's silver feeds: the one its contract names (`star: {model: ...}`) and
        every model listing it among its sources (a dataset may feed its own star and other models)."""
        contract = self.contracts[dataset]
        named = [contract.model] if contract.model in self.models else []
        return list(dict.fromkeys(named + [m.name for m in self.models.values() if dataset in m.sources]))

    def owner_of(self, table: str) -> str | None:
        """The model that builds a conformed table, if any."""
        return next((m.name for m in self.models.values() for t in m.tables if t.name == table), None)

    def _conformed_after(self, tables: list[str]) -> list[Job]:
        owners = [self.owner_of(t) for t in tables]
        return [Job(o, BUILD_MODEL) for o in dict.fromkeys(owners) if o]

    def next_jobs(self, job: Job) -> list[Job]:
        """What a succeeded run requests next (the Lambda on_job_state and the local runner agree)."""
        if job.stage == RAW_TO_SILVER:
            contract = self.contracts[job.name]
            own = [Job(job.name, SILVER_TO_GOLD)] if SILVER_TO_GOLD in dataset_stages(contract) else []
            return own + [Job(m, BUILD_MODEL) for m in self.models_fed_by(job.name)]
        if job.stage == SILVER_TO_GOLD:
            contract = self.contracts[job.name]
            referenced = [d.name for d in contract.dimensions if d not in built_dimensions(contract)]
            return self._conformed_after(referenced)
        model = self.models[job.name]
        return [j for j in self._conformed_after(list(model.conformed)) if j.name != model.name]

    def run_plan(self, name: str) -> list[Job]:
        """The jobs `lakehouse run NAME` runs, in order: a dataset's stages and the models it feeds, or a
        model's landed sources to silver and the model, then the conformed tables they key into. (A
        plan does not build the other models of a source it brings to silver: the automation does.)"""
        if name in self.models:
            sources = [s for s in self.models[name].sources if s in self.contracts]
            plan = [Job(s, RAW_TO_SILVER) for s in sources] + [Job(name, BUILD_MODEL)]
        elif name in self.contracts:
            plan = [Job(name, stage) for stage in dataset_stages(self.contracts[name])]
        else:
            known = ", ".join(sorted(self.contracts)) or "none"
            models = ", ".join(sorted(self.models)) or "none"
            raise ContractError(
                "domains", "dataset", f"unknown dataset {name!r} (known: {known}; models: {models})"
            )
        i = 0
        while i < len(plan):  # followers of followers too (a model's build, then the calendar)
            if plan[i].stage == RAW_TO_SILVER and plan[i].name != name:
                i += 1  # a source brought to silver for a model: the run changes nothing it feeds
                continue
            for follower in self.next_jobs(plan[i]):
                if follower not in plan and follower.is_model:
                    owner = self.models[follower.name]
                    plan += [Job(s, RAW_TO_SILVER) for s in owner.sources if s in self.contracts]
                    plan.append(follower)
                    plan = list(dict.fromkeys(plan))
            i += 1
        return plan


def _load_dirs(root: Path) -> list[Contract | Model]:
    found: list[Contract | Model] = []
    for domain in discover([root]):
        found += [load_contract(f) for f in domain.contract_files]
        found += [load_model(f) for f in domain.model_files]
    return found


def _load_s3(prefix: str, settings: Settings | None) -> list[Contract | Model]:
    """`<prefix><domain>/<name>.yaml` and `<prefix><domain>/models/<name>.yaml`, named by their key
    below the prefix's parent, as in the repository (`domains/<domain>/models/<model>.yaml`)."""
    storage = _storage(settings)
    base = prefix.rstrip("/") + "/"
    top = base.rstrip("/").rsplit("/", 1)[-1]
    found: list[Contract | Model] = []
    for obj in storage.list(base):
        rest = obj.uri[len(base) :]
        parts = rest.split("/")
        shaped = len(parts) == 2 or (len(parts) == 3 and parts[1] == "models")
        if not rest.endswith(".yaml") or not shaped:
            continue
        doc = parse_yaml(storage.read_bytes(obj.uri), obj.uri)
        path = Path(top, rest)
        found.append(parse_contract(doc, path) if len(parts) == 2 else parse_model(doc, path))
    return found


def _storage(settings: Settings | None):
    from lakehouse.aws.storage import Storage
    from lakehouse.settings import Settings

    return Storage(settings or Settings.from_env())


def read_document(uri: str, settings: Settings | None = None):
    """A YAML document from a local path or an s3:// URI, and the path to validate it against: for an
    object, its key (`domains/<domain>/models/<name>.yaml`), which names its domain as a path does."""
    if uri.startswith("s3://"):
        key = Path(uri.removeprefix("s3://").split("/", 1)[-1])
        return parse_yaml(_storage(settings).read_bytes(uri), uri), key
    return read_yaml(uri), Path(uri)


def load_contract_at(uri: str, settings: Settings | None = None) -> Contract:
    """A contract from a local path or an s3:// object (Terraform uploads contracts to the artifacts bucket)."""
    doc, path = read_document(uri, settings)
    return parse_contract(doc, path)


def load_model_at(uri: str, settings: Settings | None = None) -> Model:
    doc, path = read_document(uri, settings)
    return parse_model(doc, path)
