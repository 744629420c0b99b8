"""The kit's structure, checked: no import circle, one error base, and no sample domain in the core.

These fail when a change reintroduces what the restructure removed: a module pair importing each
other (even inside a function), an exception class outside lakehouse.errors' hierarchy (its message
would drop out of the audit row and the CLI's exit codes), or a sample domain's dataset, model or
table name in the code a user's own domain must plug into without edits.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import lakehouse
from lakehouse.contract.registry import Project
from lakehouse.errors import LakehouseError
from tests.plugin import REPO

SRC = REPO / "src"
SAMPLE_DOMAINS = ("clickstream", "sales", "activity", "retail", "customer_features")
# the code a new domain plugs into: it must name none of the samples
CORE = [
    *sorted((SRC / "lakehouse" / "cli").glob("*.py")),
    *(SRC / "lakehouse" / "contract" / f"{name}.py" for name in ("registry", "domains")),
    *(SRC / "lakehouse" / "deploy" / f"{name}.py" for name in ("manifest", "bundle")),
    SRC / "lakehouse" / "landing" / "samples.py",
    *sorted((SRC / "lakehouse" / "jobs").rglob("*.py")),
    *sorted((SRC / "lakehouse" / "automation").rglob("*.py")),
    *sorted((REPO / "glue" / "jobs").glob("*.py")),
    *sorted((REPO / "lambda").rglob("*.py")),
]


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in sorted((SRC / "lakehouse").rglob("*.py"))}


def imports_of(path: Path) -> set[str]:
    """The lakehouse modules a module imports: at its top, inside a function, or for type checking only
    (a type-only import still ties the two modules together)."""
    me = _module(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up) + (f".{base}" if base else "")
                found.update(
                    f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
                )
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    visit([child])

    visit(ast.parse(path.read_text()).body)
    resolved = set()
    for name in found:
        while name and name not in MODULES:
            name = name.rsplit(".", 1)[0] if "." in name else ""
        if name and name != me:
            resolved.add(name)
    return resolved


def test_no_import_circle_among_the_kits_modules():
    graph = {m: imports_of(p) for m, p in MODULES.items()}
    circles = []
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> None:
        if module in path:
            circles.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        for dependency in sorted(graph[module]):
            walk(dependency, [*path, module])
        done.add(module)

    for module in sorted(graph):
        walk(module, [])
    assert circles == [], f"import circles: {circles[:3]}"


def test_the_walker_sees_imports_inside_functions_too():
    """The check above must not be one that cannot fail: a lazy import inside a function counts."""
    a = SRC / "lakehouse" / "cli" / "commands.py"
    edges = imports_of(a)
    assert "lakehouse.errors" in edges  # a top-level import
    assert "lakehouse.local.launcher" in edges  # imported inside cmd_run only


def _our_classes():
    for info in pkgutil.walk_packages(lakehouse.__path__, "lakehouse."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name:
                yield cls
    for domain in (*SAMPLE_DOMAINS, "calendar"):
        for path in sorted((REPO / "domains" / domain).glob("*.py")):
            module = importlib.import_module(f"lakehouse_domains.{domain}.{path.stem}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == module.__name__:
                    yield cls


def test_every_exception_class_of_ours_derives_from_the_one_base():
    errors = [c for c in _our_classes() if issubclass(c, BaseException)]
    assert len(errors) >= 15  # the walk found the kit's errors (and the domains')
    outside = [f"{c.__module__}.{c.__name__}" for c in errors if not issubclass(c, LakehouseError)]
    assert outside == []


def _sample_names() -> set[str]:
    project = Project.load(REPO / "domains")
    names = set(SAMPLE_DOMAINS)
    for name, model in project.models.items():
        if model.domain.name in SAMPLE_DOMAINS:
            names |= {name} | {t.name for t in model.tables}
    for name, contract in project.contracts.items():
        if contract.domain in SAMPLE_DOMAINS:  # dim_date is the calendar domain's conformed table
            names |= {name} | (set(contract.gold_tables) - {"dim_date"})
    return names


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(REPO)))
def test_the_core_names_no_sample_domain(path):
    names = _sample_names()
    pattern = re.compile(r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")
    hits = [
        f"{i}: {m.group(0)}"
        for i, line in enumerate(path.read_text().splitlines(), 1)
        for m in pattern.finditer(line)
    ]
    assert hits == []
