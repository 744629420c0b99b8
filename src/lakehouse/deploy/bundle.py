"""`lakehouse package`: the build outputs Terraform deploys, reproducible byte for byte.

- `manifest.json`: tables, jobs, crawlers and job permissions derived from the contracts (lakehouse.deploy.manifest).
- `domains/<domain>/...`: a copy of the contracts, models and named queries the manifest was built
  from, which Terraform uploads (it reads them here, not from the repository).
- `lakehouse.zip`: the `lakehouse` package, every domain's Python modules as the package
  `lakehouse_domains` (lakehouse.contract.domains; not their tests), PyYAML and the Lambda handlers
  of `lambda/`. The Glue jobs load it with `--extra-py-files`; every Lambda function runs from it.
  Entries carry a fixed timestamp and order, so an unchanged source gives the same bytes, the same
  content hash and no redeploy.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path

import yaml

import lakehouse
from lakehouse.contract.domains import PACKAGE, discover
from lakehouse.deploy import manifest

_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP = {"__pycache__"}


def _files(root: Path, arc_root: str) -> list[tuple[Path, str]]:
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not _SKIP.intersection(path.parts) and path.suffix in (".py", ".properties"):
            out.append((path, f"{arc_root}/{path.relative_to(root).as_posix()}"))
    return out


def _domain_files(roots: Sequence[Path]) -> list[tuple[Path, str]]:
    """Every domain's Python modules, its helper packages included (not its tests), as
    `lakehouse_domains/<domain>/...`."""
    out = []
    for domain in discover(roots):
        for path in sorted(domain.path.rglob("*.py")):
            rel = path.relative_to(domain.path)
            if rel.parts[0] != "tests" and not _SKIP.intersection(rel.parts):
                out.append((path, f"{PACKAGE}/{domain.name}/{rel.as_posix()}"))
    return out


def copy_domain_files(roots: Sequence[Path], out_dir: Path) -> list[str]:
    """The contracts, models and named queries Terraform uploads, copied to `<out_dir>/domains/<domain>/`
    from the roots the manifest was built from: Terraform reads them there (its `build_dir`), so what
    it uploads is exactly what `lakehouse package` read, wherever LAKEHOUSE_DOMAINS points."""
    target = out_dir / "domains"
    shutil.rmtree(target, ignore_errors=True)
    copied = []
    for domain in discover(roots):
        for path in [*domain.contract_files, *domain.model_files, *domain.sql_files("queries")]:
            rel = f"domains/{domain.name}/{path.relative_to(domain.path).as_posix()}"
            (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out_dir / rel)
            copied.append(rel)
    return copied


def write_zip(out: Path, lambda_dir: Path, roots: Sequence[Path] = ()) -> Path:
    package = Path(lakehouse.__file__).parent
    pyyaml = Path(yaml.__file__).parent
    files = _files(package, "lakehouse") + _files(pyyaml, "yaml") + _files(lambda_dir, "")
    entries = {arc.lstrip("/"): path.read_bytes() for path, arc in files + _domain_files(roots)}
    folders = {f"{PACKAGE}/{domain.name}" for domain in discover(roots)}
    for _, arc in _domain_files(roots):  # every folder of a domain's modules: its helper packages too
        folders |= {"/".join(arc.split("/")[:n]) for n in range(1, arc.count("/") + 1)}
    for package_dir in sorted(folders | ({PACKAGE} if folders else set())):  # real packages in a zip
        entries.setdefault(f"{package_dir}/__init__.py", b"")
    # `<handler>.handler.handler` needs each handler directory to be a package.
    for handler_dir in sorted(p for p in lambda_dir.iterdir() if (p / "handler.py").is_file()):
        entries.setdefault(f"{handler_dir.name}/__init__.py", b"")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, body in sorted(entries.items()):
            info = zipfile.ZipInfo(arcname, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, body)
    tmp.replace(out)
    return out


def package(roots: Path | Sequence[Path], lambda_dir: Path, out_dir: Path) -> dict:
    """Write manifest.json and lakehouse.zip into out_dir for the domains under roots; returns the manifest."""
    roots = [roots] if isinstance(roots, Path) else list(roots)
    built = manifest.write(roots, out_dir / "manifest.json")
    write_zip(out_dir / "lakehouse.zip", lambda_dir, roots)
    copy_domain_files(roots, out_dir)
    return built
