"""Sample landing files: every domain's `generate.py`, found by name, never known by the kit.

A domain that ships sample data has `generate.py` with `generate(out, seed=42, **sizing) -> str`: it
writes its landing files (and their ground truth, `_generated.json`) under `out` and returns one
summary line. The sizing options it takes (`days`, `events_per_hour`, `start`) are its keyword
parameters; `lakehouse generate` refuses an option a generator does not take rather than ignore it.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lakehouse.contract.domains import Domain, discover
from lakehouse.contract.registry import Project
from lakehouse.errors import UsageError


def generators(roots: Sequence[Path]) -> list[Domain]:
    """The domains that ship a generator, in name order."""
    return [d for d in discover(roots) if d.has_module("generate")]


def find(roots: Sequence[Path], name: str) -> Domain:
    """The generator of a domain, or of the domain holding a dataset or model of that name."""
    domains = generators(roots)
    for domain in domains:
        if domain.name == name:
            return domain
    project = Project.load(roots)
    if name in project.contracts or name in project.models:
        owner = project.domain_of(name)
        if owner.has_module("generate"):
            return owner
    known = ", ".join(d.name for d in domains) or "none"
    raise UsageError(f"lakehouse generate: no generator for {name!r} (domains with one: {known})")


def options_of(domain: Domain) -> list[str]:
    """The sizing options a domain's generator takes (besides out and seed)."""
    params = inspect.signature(domain.module("generate").generate).parameters
    return [n for n in params if n not in ("out", "seed")]


def generate(domain: Domain, out: Path, seed: int = 42, **options: Any) -> str:
    """Write the domain's sample files under out; options left None are the generator's defaults."""
    given = {k: v for k, v in options.items() if v is not None}
    takes = options_of(domain)
    for option in given:
        if option not in takes:
            flag = "--" + option.replace("_", "-")
            offered = ", ".join("--" + t.replace("_", "-") for t in takes) or "no sizing option"
            raise UsageError(
                f"lakehouse generate: {flag} does not apply to {domain.name} (it takes {offered})"
            )
    return str(domain.module("generate").generate(out, seed, **given))
