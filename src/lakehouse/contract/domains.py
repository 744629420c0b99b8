"""Domains: the folders that hold a business domain's datasets, and the kit's one way to find them.

A domain is a folder: its contracts (`*.yaml`), its models (`models/*.yaml`), the Python modules its
model files name (`transform.py`), an optional generator of sample files (`generate.py`) and an
optional landed-object alert (`alerts.py`), its Athena views (`views/*.sql`) and named queries
(`queries/*.sql`), a README and its own tests. The kit knows no domain by name: it finds every folder
under the configured roots (`LAKEHOUSE_DOMAINS`, default `domains/`), so a copied folder is a new
domain and a deleted one is gone everywhere, with no edit elsewhere.

A domain's Python modules are imported as `lakehouse_domains.<domain>.<module>`. Locally that
package is mounted over the roots (a namespace package whose path is the roots); on Glue and Lambda
it is a real package inside `lakehouse.zip` (lakehouse.deploy.bundle puts it there), so the same name
imports everywhere. A model's `transform` names a module of its own domain only, never any module.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lakehouse.errors import ContractError

PACKAGE = "lakehouse_domains"


@dataclass(frozen=True)
class Domain:
    """One domain folder."""

    name: str
    path: Path

    @property
    def contract_files(self) -> list[Path]:
        return sorted(self.path.glob("*.yaml"))

    @property
    def model_files(self) -> list[Path]:
        return sorted((self.path / "models").glob("*.yaml"))

    def sql_files(self, kind: str) -> list[Path]:
        """`views` or `queries`: one statement per file, named like the file."""
        return sorted((self.path / kind).glob("*.sql"))

    def has_module(self, module: str) -> bool:
        return (self.path / f"{module}.py").is_file()

    def module(self, module: str) -> types.ModuleType:
        """Import one of the domain's Python modules. Its folder is mounted when it is one here (a
        domain read from S3 names `domains/<domain>`, which on Glue and Lambda is the bundled package);
        roots mounted earlier (the settings' domains) come first."""
        if self.path.is_dir():
            mount([self.path.parent])
        return import_module(self.name, module)


def is_domain(path: Path) -> bool:
    """A folder holding contracts or models directly."""
    return path.is_dir() and (any(path.glob("*.yaml")) or any((path / "models").glob("*.yaml")))


def discover(roots: Path | str | Iterable[Path | str]) -> list[Domain]:
    """Every domain under the roots (one folder, or several), in name order. A root that is itself a
    domain folder (contracts at its top) is that one domain. Two domains of one name are refused."""
    found: dict[str, Domain] = {}
    for root in map(Path, [roots] if isinstance(roots, Path | str) else roots):
        if not root.is_dir():
            raise ContractError(root, "domains", "does not exist (LAKEHOUSE_DOMAINS or --domains)")
        subfolders = sorted(p for p in root.iterdir() if _visible(p) and is_domain(p))
        if is_domain(root) and subfolders:  # one stray contract would hide every domain below it
            raise ContractError(
                root,
                "domains",
                f"holds contracts and domain folders ({subfolders[0].name}/): move the contracts",
            )
        folders = [root] if is_domain(root) else subfolders
        for folder in folders:
            if not is_domain(folder):
                continue
            if folder.name in found:
                raise ContractError(
                    folder, "domain", f"domain {folder.name!r} is also at {found[folder.name].path}"
                )
            found[folder.name] = Domain(folder.name, folder)
    return [found[n] for n in sorted(found)]


def _visible(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith((".", "_")) and path.name != "__pycache__"


def mount(roots: Sequence[Path]) -> None:
    """Make `lakehouse_domains.<domain>` importable from these folders (each holds domain folders)."""
    package = sys.modules.get(PACKAGE)
    if package is None:
        try:  # the copy inside lakehouse.zip, on Glue and Lambda
            package = importlib.import_module(PACKAGE)
        except ModuleNotFoundError:
            package = types.ModuleType(PACKAGE, "Domain modules, mounted by lakehouse.contract.domains")
            package.__path__ = []
            sys.modules[PACKAGE] = package
    paths = package.__path__
    for root in roots:
        entry = str(Path(root).resolve())
        if entry not in paths:
            paths.append(entry)


def import_module(domain: str, module: str) -> types.ModuleType:
    """`lakehouse_domains.<domain>.<module>`: the package must be mounted (or bundled) already."""
    name = f"{PACKAGE}.{domain}.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name not in (PACKAGE, f"{PACKAGE}.{domain}", name):
            raise  # the module exists but imports something missing: that error, as is
        raise ContractError(domain, module, f"domain {domain!r} has no module {module}.py") from None


def sql_files(roots: Path | Sequence[Path], kind: str) -> list[Path]:
    """Every domain's `views/*.sql` or `queries/*.sql` in domain order.
    Their names share one namespace (the gold database, the workgroup's named queries): a name two
    domains use is refused, never silently overwritten."""
    files = [p for d in discover(roots) for p in d.sql_files(kind)]
    seen: dict[str, Path] = {}
    for path in files:
        if path.stem in seen:
            raise ContractError(path, kind, f"{path.stem!r} is also {seen[path.stem]}: rename one")
        seen[path.stem] = path
    return files
