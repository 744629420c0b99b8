"""Run a dataset's Glue job scripts locally, unchanged, against the emulated S3.

Local Spark has no s3a, so the runner bridges: StagingIO copies each input object to a staging
directory before Spark reads it and uploads what Spark wrote afterwards. The job scripts get this IO
object through their `main(argv, io=...)`; their code is the code Glue runs.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakehouse import aws
from lakehouse.aws.storage import Storage, split_uri
from lakehouse.contract.dataset import Contract
from lakehouse.contract.domains import mount
from lakehouse.contract.model import Model
from lakehouse.contract.registry import BUILD_MODEL, Job, Project, dataset_stages
from lakehouse.jobs.result import StageResult, new_run_id
from lakehouse.settings import Settings, environment_override


class StagingIO:
    """Stage s3:// inputs to local files and upload local outputs, keeping `<root>/<bucket>/<key>`."""

    def __init__(self, settings: Settings, root: Path, *, storage: Storage | None = None):
        self.storage = storage or Storage(settings)
        self.root = root
        self._staged: set[str] = set()  # prefixes copied by this job: what it reads does not change under it

    def _local(self, uri: str) -> Path:
        bucket, key = split_uri(uri)
        return self.root / bucket / key

    def readable(self, uris: list[str]) -> list[str]:
        paths = []
        for uri in uris:
            target = self._local(uri)
            if uri.endswith("/"):
                if uri not in self._staged:
                    self.storage.download_prefix(uri, target)
                    self._staged.add(uri)
            elif not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                bucket, key = split_uri(uri)
                self.storage.s3.download_file(bucket, key, str(target))
            paths.append(str(target))
        return paths

    def source_uri(self, input_file: Column) -> Column:
        return F.regexp_replace(input_file, f"^file:/*{self.root.as_posix().lstrip('/')}/", "s3://")

    def writable(self, uri: str) -> str:
        return str(self._local(uri))

    def commit(self, uri: str) -> None:
        self.storage.upload_dir(self._local(uri), uri)


def job_script(name: str, glue_dir: Path) -> Any:
    """Import a job script from glue/jobs/ as a module."""
    path = glue_dir / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"glue_job_{name}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no job script {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def _job_environment(settings: Settings, name: str):
    """What a local job run needs around it: the endpoint in the environment (the scripts read it there,
    as on Glue: this run's endpoint, whatever the caller's is), and a staging directory, both undone after."""
    endpoint = {"AWS_ENDPOINT_URL": settings.endpoint_url} if settings.endpoint_url else {}
    with environment_override(**endpoint):
        root = Path(tempfile.mkdtemp(prefix=f"lakehouse-{name}-"))
        try:
            yield root
        finally:
            shutil.rmtree(root, ignore_errors=True)


def _argv(settings: Settings, job: str, run_id: str, full: bool, **args: str) -> list[str]:
    argv = ["local", "--JOB_NAME", job, "--JOB_RUN_ID", run_id]
    for key, value in {
        **args,
        "project": settings.project,
        "env": settings.env,
        "full_refresh": str(full).lower(),
    }.items():
        argv += [f"--{key}", value]
    return argv


def run_model(
    settings: Settings,
    model: Model,
    glue_dir: Path = Path("glue/jobs"),
    *,
    full: bool = False,
    run_id: str | None = None,
    arguments: dict[str, str] | None = None,
) -> StageResult:
    """Run the model build job script locally (see run_dataset), with the run's model arguments."""
    with _job_environment(settings, model.name) as root:
        argv = _argv(
            settings,
            settings.job_name(model.name, BUILD_MODEL),
            run_id or new_run_id(),
            full,
            model=model.name,
            model_uri=str(model.path),
            **(arguments or {}),
        )
        return job_script(BUILD_MODEL, glue_dir).main(argv, io=StagingIO(settings, root))


def run_dataset(
    settings: Settings,
    contract: Contract,
    glue_dir: Path = Path("glue/jobs"),
    *,
    stages: tuple[str, ...] | None = None,
    full: bool = False,
    run_id: str | None = None,
) -> list[StageResult]:
    """Run the dataset's stages in order with the Glue scripts, as Glue would, on local Spark."""
    run_id = run_id or new_run_id()
    results = []
    with _job_environment(settings, contract.name) as root:
        for stage in stages or dataset_stages(contract):
            argv = _argv(
                settings,
                settings.job_name(contract.name, stage),
                run_id,
                full,
                dataset=contract.name,
                contract_uri=str(contract.path),
            )
            results.append(job_script(stage, glue_dir).main(argv, io=StagingIO(settings, root / stage)))
    return results


def run_defined(
    settings: Settings, job_name: str, run: dict, glue_dir: Path = Path("glue/jobs")
) -> StageResult:
    """A Glue job run as the endpoint's job definition (Terraform's) says: the script it names, its
    default arguments overlaid by the run's, and the contract or model at the s3:// URI it names.

    The script itself runs from glue_dir, and must be the one the definition's ScriptLocation holds:
    a definition that names a stale script or wrong arguments fails here as it would on Glue.
    """
    mount(settings.domains)  # the model's transform from these domains, not from a same-named ./domains
    glue, s3 = aws.client("glue", settings), aws.client("s3", settings)
    definition = glue.get_job(JobName=job_name)["Job"]
    location = definition["Command"]["ScriptLocation"]
    local = glue_dir / location.rsplit("/", 1)[-1]
    bucket, key = split_uri(location)
    if s3.get_object(Bucket=bucket, Key=key)["Body"].read() != local.read_bytes():
        raise RuntimeError(f"job {job_name}: {location} differs from {local}: deploy again")
    args = {**definition.get("DefaultArguments", {}), **(run.get("Arguments") or {})}
    argv = ["glue", "--JOB_NAME", job_name, "--JOB_RUN_ID", run["Id"]]
    for name, value in args.items():
        argv += [name, value]
    with _job_environment(settings, job_name) as root:
        return job_script(local.stem, glue_dir).main(argv, io=StagingIO(settings, root))


def run_job(
    settings: Settings,
    project: Project,
    job: Job,
    glue_dir: Path = Path("glue/jobs"),
    *,
    full: bool = False,
    run_id: str | None = None,
    arguments: dict[str, str] | None = None,
) -> StageResult:
    """One job of the registry (a dataset's stage or a model's build), locally."""
    if job.is_model:
        return run_model(
            settings, project.models[job.name], glue_dir, full=full, run_id=run_id, arguments=arguments
        )
    (result,) = run_dataset(
        settings, project.contracts[job.name], glue_dir, stages=(job.stage,), full=full, run_id=run_id
    )
    return result


def run_plan(
    settings: Settings,
    project: Project,
    name: str,
    glue_dir: Path = Path("glue/jobs"),
    *,
    full: bool = False,
    arguments: dict[str, str] | None = None,
) -> list[StageResult]:
    """`lakehouse run NAME`: the registry's plan for a dataset or model (lakehouse.contract.registry.run_plan);
    `arguments` go to the build of model NAME (its run arguments, e.g. a snapshot date)."""
    return [
        run_job(
            settings, project, job, glue_dir, full=full, arguments=arguments if job.name == name else None
        )
        for job in project.run_plan(name)
    ]
