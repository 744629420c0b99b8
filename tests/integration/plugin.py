"""Fixtures of the integration tests: the `lakehouse` CLI against the test endpoint, and its query rows."""

from __future__ import annotations

import json
import re

import pytest

from lakehouse.cli.commands import main
from tests.plugin import REPO


@pytest.fixture
def cli(settings, monkeypatch, capsys):
    """Run `lakehouse ...` against the test endpoint and return its stdout."""
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("LAKEHOUSE_PROJECT", settings.project)
    monkeypatch.setenv("AWS_ENDPOINT_URL", settings.endpoint_url)

    def run(*argv: str) -> str:
        capsys.readouterr()
        code = main(list(argv))
        out = capsys.readouterr()
        assert code == 0, out.err
        return out.out

    return run


def query(cli, sql: str) -> list[dict]:
    """Rows of `lakehouse query --format json`; decimals (exact strings in the JSON) read as numbers."""

    def value(v):
        return float(v) if isinstance(v, str) and re.fullmatch(r"-?\d+\.\d+", v) else v

    return [
        {k: value(v) for k, v in row.items()} for row in json.loads(cli("query", sql, "--format", "json"))
    ]
