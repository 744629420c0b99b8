"""`lakehouse package`: the build outputs Terraform deploys, reproducible byte for byte.

- `manifest.json`: tables, jobs, crawlers and job permissions derived from the contracts (lakehouse.manifest).
- `lakehouse.zip`: the `lakehouse` package, PyYAML and the Lambda handlers of `lambda/`. The Glue jobs
  load it with `--extra-py-files`; every Lambda function runs from it. Entries carry a fixed timestamp
  and order, so an unchanged source gives the same bytes, the same content hash and no redeploy.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import yaml

import lakehouse
from lakehouse import manifest

_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP = {"__pycache__"}


def _files(root: Path, arc_root: str) -> list[tuple[Path, str]]:
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not _SKIP.intersection(path.parts) and path.suffix in (".py", ".properties"):
            out.append((path, f"{arc_root}/{path.relative_to(root).as_posix()}"))
    return out


def write_zip(out: Path, lambda_dir: Path) -> Path:
    package = Path(lakehouse.__file__).parent
    pyyaml = Path(yaml.__file__).parent
    entries = {
        arc.lstrip("/"): path.read_bytes()
        for path, arc in _files(package, "lakehouse") + _files(pyyaml, "yaml") + _files(lambda_dir, "")
    }
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


def package(datasets_dir: Path, lambda_dir: Path, out_dir: Path) -> dict:
    """Write manifest.json and lakehouse.zip into out_dir; returns the manifest."""
    built = manifest.write(datasets_dir, out_dir / "manifest.json")
    write_zip(out_dir / "lakehouse.zip", lambda_dir)
    return built
