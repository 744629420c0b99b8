"""`lakehouse package`: the build outputs Terraform deploys, reproducible byte for byte.

- `manifest.json`: tables, jobs, crawlers and job permissions derived from the contracts (lakehouse.deploy.manifest).
- `lakehouse.zip`: the `lakehouse` package, every domain's Python modules as the package
  `lakehouse_domains` (lakehouse.contract.domains; not their tests), PyYAML and the Lambda handlers
  of `lambda/`. The Glue jobs load it with `--extra-py-files`; every Lambda function runs from it.
  Entries carry a fixed timestamp and order, so an unchanged source gives the same bytes, the same
  content hash and no redeploy.
"""

from __future__ import annotations

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
    out = []
    for domain in discover(roots):
        arc = f"{PACKAGE}/{domain.name}"
        out += [(p, f"{arc}/{p.name}") for p in sorted(domain.path.glob("*.py"))]
    return out


def write_zip(out: Path, lambda_dir: Path, roots: Sequence[Path] = ()) -> Path:
    package = Path(lakehouse.__file__).parent
    pyyaml = Path(yaml.__file__).parent
    files = _files(package, "lakehouse") + _files(pyyaml, "yaml") + _files(lambda_dir, "")
    entries = {arc.lstrip("/"): path.read_bytes() for path, arc in files + _domain_files(roots)}
    domains = {arc.rsplit("/", 1)[0] for _, arc in _domain_files(roots)}
    for package_dir in sorted(domains | ({PACKAGE} if domains else set())):  # real packages in a zip
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
    return built
