"""The local environment is deployed by Terraform: `terraform/envs/local` applied to the local endpoint.

`lakehouse deploy --env local` (and so `make demo`) runs `terraform apply` with the real
hashicorp/aws provider, so the buckets, key, databases, tables, queues, notifications, rules and job
definitions the local loop uses are the ones the Terraform users apply creates.

- Provider: a filesystem mirror when one holds hashicorp/aws (`LAKEHOUSE_TF_PROVIDER_MIRROR`, default
  `/opt/tf-plugins`, the standard mirror layout), else the registry, as on a user's machine.
- Terraform: `terraform` on PATH (`LAKEHOUSE_TERRAFORM` names another binary).
- State: local, one per project and endpoint under the state directory (`.lakehouse/terraform/`). An
  emulator forgets everything when it stops, so a state whose resources the endpoint no longer has
  is discarded before the apply instead of being refreshed resource by resource.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from lakehouse import aws
from lakehouse.contract.domains import discover
from lakehouse.deploy.bundle import package
from lakehouse.errors import TerraformError
from lakehouse.local import endpoint
from lakehouse.local.endpoint import state_dir
from lakehouse.settings import Settings, env_str, process_environment

REPO = Path(__file__).resolve().parents[3]
LOCAL_ENV_DIR = REPO / "terraform" / "envs" / "local"
PROVIDER = "registry.terraform.io/hashicorp/aws"
PARALLELISM = "30"  # the emulator answers at once; the provider's own waits dominate


@dataclass(frozen=True)
class Toolchain:
    """How to run Terraform: the binary and the environment (CLI config for the provider mirror)."""

    binary: str
    env: dict[str, str]

    def run(self, args: list[str], cwd: Path, extra_env: dict[str, str] | None = None, timeout: float = 900):
        return subprocess.run(
            [self.binary, *args],
            cwd=cwd,
            env=process_environment(
                self.env, extra_env or {}, {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
            ),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def provider_mirror() -> Path | None:
    """The filesystem mirror holding hashicorp/aws, if this machine has one."""
    mirror = Path(env_str("LAKEHOUSE_TF_PROVIDER_MIRROR"))
    return mirror if (mirror / PROVIDER).is_dir() else None


def cli_config(mirror: Path, path: Path) -> Path:
    """A CLI config installing hashicorp/aws from the mirror and everything else from the registry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["{PROVIDER}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{PROVIDER}"]\n  }}\n'
        "}\n"
    )
    return path


def toolchain() -> Toolchain:
    binary = env_str("LAKEHOUSE_TERRAFORM") or shutil.which("terraform")
    if not binary:
        raise TerraformError(
            "terraform is not installed: the local environment is deployed with Terraform >= 1.10 "
            "(https://developer.hashicorp.com/terraform/install)"
        )
    env: dict[str, str] = {}
    mirror = provider_mirror()
    if mirror is not None:
        env["TF_CLI_CONFIG_FILE"] = str(
            cli_config(mirror, state_dir().resolve() / "terraform" / "mirror.tfrc")
        )
    return Toolchain(binary, env)


def _errors(out: subprocess.CompletedProcess) -> str:
    """Terraform's first error block (or its last lines); its exit status when it printed nothing."""
    text = (out.stderr or "") + (out.stdout or "")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        how = f"killed by signal {-out.returncode}" if out.returncode < 0 else f"exit status {out.returncode}"
        return f"terraform printed nothing ({how}); run it again, or run the same command by hand to see more"
    first = next((i for i, line in enumerate(lines) if line.lstrip("│ ").startswith("Error")), None)
    return "\n".join(lines[first : first + 12] if first is not None else lines[-12:])


@dataclass
class LocalEnvironment:
    """One applied local environment: where its state and inputs live, and how to run Terraform on it."""

    settings: Settings
    glue_dir: Path
    tc: Toolchain

    @property
    def work(self) -> Path:
        endpoint = urlparse(self.settings.endpoint_url or "http://127.0.0.1:4566")
        return (
            state_dir().resolve()
            / "terraform"
            / f"{self.settings.project}-{endpoint.hostname}-{endpoint.port}"
        )

    @property
    def state(self) -> Path:
        """The environment's local Terraform state file."""
        return self.work / "terraform.tfstate"

    @property
    def env(self) -> dict[str, str]:
        return {"TF_DATA_DIR": str(self.work / ".terraform")}

    def variables(self) -> list[str]:
        s = self.settings
        values = {
            "project": s.project,
            "endpoint_url": s.endpoint_url or "http://127.0.0.1:4566",
            "region": s.region,
            "source_root": str(self.work / "source"),
            "build_dir": str(self.work / "build"),
        }
        return [arg for k, v in values.items() for arg in ("-var", f"{k}={v}")]

    def stage_inputs(self) -> None:
        """What Terraform reads: the settings' contracts, the job scripts, the queries, and a fresh build."""
        source = self.work / "source"
        if source.exists():
            shutil.rmtree(source)
        (source / "glue").mkdir(parents=True)
        (source / "domains").mkdir()
        for domain in discover(self.settings.domains):  # one tree of domains, whichever root holds each
            (source / "domains" / domain.name).symlink_to(domain.path.resolve(), target_is_directory=True)
        (source / "glue" / "jobs").symlink_to(self.glue_dir.resolve(), target_is_directory=True)
        package(self.settings.domains, REPO / "lambda", self.work / "build")

    def _run(self, args: list[str], timeout: float = 900) -> subprocess.CompletedProcess:
        out = self.tc.run(args, LOCAL_ENV_DIR, self.env, timeout)
        if out.returncode not in (0, 2) or (out.returncode == 2 and "-detailed-exitcode" not in args):
            raise TerraformError(f"terraform {args[0]} failed:\n{_errors(out)}")
        return out

    def init(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        self._run(["init", "-input=false", "-no-color", f"-backend-config=path={self.state}"])

    def discard_stale_state(self) -> bool:
        """Drop a state whose resources the endpoint has forgotten (it was restarted or reset)."""
        if not self._state_has_resources():
            return False
        s3 = aws.client("s3", self.settings)
        try:
            s3.head_bucket(Bucket=self.settings.bucket("artifacts"))
            return False
        except s3.exceptions.ClientError:
            self.state.unlink()
            return True

    def _state_has_resources(self) -> bool:
        return self.state.exists() and '"resources": []' not in self.state.read_text()

    def _operate(self, *command: str) -> subprocess.CompletedProcess:
        """A Terraform command on the environment: no prompts, plain text, the environment's variables."""
        args = [*command, "-input=false", "-no-color", f"-parallelism={PARALLELISM}", *self.variables()]
        return self._run(args)

    def apply(self) -> str:
        """init + apply; returns Terraform's summary line ("Apply complete! Resources: ...").

        A first apply on a new local endpoint has been seen to fail, rarely, with AlreadyExistsException
        for a table it was creating itself (right after heavy runs on the machine; moto logged no error
        for the first create). It left the table outside the state, so every later apply failed the
        same way. When the endpoint is one `lakehouse up` started and held nothing before this apply,
        everything there is the apply's own: the endpoint is reset and the apply made once more."""
        self.stage_inputs()
        self.init()
        self.discard_stale_state()
        new_endpoint = not self._state_has_resources() and self._new_endpoint()  # before it creates anything
        try:
            out = self._operate("apply", "-auto-approve")
        except TerraformError as exc:
            if not (new_endpoint and "AlreadyExistsException" in str(exc)):
                raise
            out = self._reset_and_apply_again(exc)
        return summary(out.stdout)

    def _reset_and_apply_again(self, failed: TerraformError) -> subprocess.CompletedProcess:
        """After a first apply on a new endpoint met its own table: wipe the endpoint and its state
        (all of it this apply's), apply once more; any failure says the endpoint was reset."""
        line = next(x for x in str(failed).splitlines() if "AlreadyExistsException" in x)
        print(f"warning: {line[:240]}\n  on a new endpoint: resetting it and applying again", file=sys.stderr)
        try:
            endpoint.reset(self.settings.endpoint_url or "")
            self.state.unlink(missing_ok=True)
            return self._operate("apply", "-auto-approve")
        except OSError as reset_failed:
            raise TerraformError(f"{failed}\nand resetting the endpoint failed: {reset_failed}") from failed
        except TerraformError as again:
            raise TerraformError(f"after resetting the new endpoint, {again}") from failed

    def _new_endpoint(self) -> bool:
        """The endpoint is one `lakehouse up` started (a foreign LocalStack is never reset) and holds
        nothing yet: no bucket, database, queue, topic, function, role, key or rule."""
        url = urlparse(self.settings.endpoint_url or "")
        if url.hostname != endpoint.HOST or not (url.port and endpoint.ours_alive(url.port)):
            return False

        def client(service: str):
            return aws.client(service, self.settings)

        try:
            found = [
                client("s3").list_buckets().get("Buckets"),
                client("glue").get_databases().get("DatabaseList"),
                client("sqs").list_queues().get("QueueUrls"),
                client("sns").list_topics().get("Topics"),
                client("lambda").list_functions().get("Functions"),
                client("iam").list_roles().get("Roles"),
                client("kms").list_keys().get("Keys"),
                client("events").list_rules().get("Rules"),
            ]
        except Exception:  # an endpoint that cannot answer all of these is not one to reset
            return False
        return not any(found)

    def plan_changes(self) -> int:
        """`plan -detailed-exitcode`: 0 no changes, 2 changes pending."""
        self.stage_inputs()
        self.init()
        out = self._operate("plan", "-detailed-exitcode")
        return out.returncode

    def empty_buckets(self) -> int:
        """Delete every object version and delete marker of the environment's buckets, while they are
        still versioned. moto 5.2 fails (HTTP 500) to delete a delete marker once versioning is
        suspended, which is what `terraform destroy` does before it empties a bucket; on AWS the
        provider's force_destroy needs no help. Returns the number of versions deleted."""
        s3 = aws.client("s3", self.settings)
        prefix = f"{self.settings.project}-{self.settings.env}-"
        deleted = 0
        for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(prefix)):
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
                    deleted += 1
        return deleted

    def destroy(self) -> str:
        self.stage_inputs()
        self.init()
        self.empty_buckets()
        out = self._operate("destroy", "-auto-approve")
        return summary(out.stdout)


def summary(stdout: str) -> str:
    match = re.search(r"^(Apply complete!|Destroy complete!).*$", stdout, re.MULTILINE)
    return match.group(0) if match else stdout.strip().splitlines()[-1] if stdout.strip() else ""


def local_environment(settings: Settings, glue_dir: Path = REPO / "glue" / "jobs") -> LocalEnvironment:
    return LocalEnvironment(settings, glue_dir, toolchain())


def deploy(settings: Settings, glue_dir: Path = REPO / "glue" / "jobs") -> tuple[str, float]:
    """Apply terraform/envs/local to the settings' endpoint; (summary, seconds)."""
    started = time.monotonic()
    line = local_environment(settings, glue_dir).apply()
    return line, time.monotonic() - started
