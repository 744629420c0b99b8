"""Every environment variable the kit reads is declared once (lakehouse.settings.VARIABLES) and read there.

A setting read anywhere else (an `os.environ.get` with its own default) drifts from its documentation
and from Terraform's name for it; one read at import never sees a changed value. These fail when one
comes back.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lakehouse.contract import quality
from lakehouse.errors import UsageError
from lakehouse.local import endpoint
from lakehouse.settings import (
    LOCAL_ENDPOINT,
    VARIABLES,
    Settings,
    env_float,
    env_int,
    env_set,
    env_str,
    environment_override,
    process_environment,
    set_default,
    variable,
)
from tests.plugin import REPO

SRC = REPO / "src" / "lakehouse"
# the one reader of the environment; the client factory may look at credentials too
READERS = {SRC / "settings.py", SRC / "aws" / "__init__.py"}


def test_the_table_declares_every_lakehouse_variable_the_source_names():
    named = {
        name
        for path in SRC.rglob("*.py")
        for name in re.findall(r"\bLAKEHOUSE_[A-Z0-9_]*[A-Z0-9]\b", path.read_text())
    }
    declared = {v.name for v in VARIABLES}
    assert named, "the grep must find the names (it would pass vacuously otherwise)"
    assert named - declared == set()


def test_each_variable_is_declared_once_with_a_type_a_default_and_a_meaning():
    names = [v.name for v in VARIABLES]
    assert len(names) == len(set(names))
    for v in VARIABLES:
        assert v.type in (str, int, float), v.name
        assert len(v.meaning) > 20 and v.meaning.endswith("."), v.name
        if v.default is None:  # no value of its own: the meaning says what unset means
            assert v.type is str and ("unset" in v.meaning or "whether it is set" in v.meaning), v.name
        else:
            assert isinstance(v.default, v.type), v.name


def test_the_defaults_are_the_ones_the_code_and_docs_name():
    assert variable("LAKEHOUSE_QUARANTINE_LIMIT").default == quality.DEFAULT_QUARANTINE_LIMIT
    assert variable("LAKEHOUSE_LOCK_TTL_MINUTES").default == 360
    assert variable("LAKEHOUSE_RETENTION_HOURS").default == 168
    assert variable("LAKEHOUSE_REQUEST_TTL_MINUTES").default == 15


def test_a_value_is_read_when_asked_and_unset_or_empty_is_the_default(monkeypatch):
    monkeypatch.delenv("LAKEHOUSE_TARGET_FILE_MB", raising=False)
    assert env_float("LAKEHOUSE_TARGET_FILE_MB") == 128.0
    monkeypatch.setenv("LAKEHOUSE_TARGET_FILE_MB", "64")
    assert env_float("LAKEHOUSE_TARGET_FILE_MB") == 64.0
    monkeypatch.setenv("LAKEHOUSE_TARGET_FILE_MB", "")
    assert env_float("LAKEHOUSE_TARGET_FILE_MB") == 128.0
    monkeypatch.setenv("COLUMNS", "90")
    assert env_int("COLUMNS") == 90
    monkeypatch.delenv("LAKEHOUSE_TERRAFORM", raising=False)
    assert env_str("LAKEHOUSE_TERRAFORM") == "" and not env_set("LAKEHOUSE_TERRAFORM")
    monkeypatch.setenv("LAKEHOUSE_ENDPOINT_DEADLINE_S", "3")  # once read at import: now at call time
    assert endpoint.probe_deadline_s() == 3.0


def test_a_malformed_value_is_one_usage_error_naming_the_variable(monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_RETENTION_HOURS", "a week")
    with pytest.raises(UsageError, match=r"^LAKEHOUSE_RETENTION_HOURS must be a number, got 'a week'$"):
        env_float("LAKEHOUSE_RETENTION_HOURS")
    monkeypatch.setenv("COLUMNS", "wide")
    with pytest.raises(UsageError, match=r"^COLUMNS must be an integer, got 'wide'$"):
        env_int("COLUMNS")


def test_an_undeclared_name_or_the_wrong_type_is_refused():
    with pytest.raises(KeyError, match="LAKEHOUSE_NOPE is not a declared environment variable"):
        env_str("LAKEHOUSE_NOPE")
    with pytest.raises(KeyError):
        env_set("HOME")
    with pytest.raises(KeyError), environment_override(LAKEHOUSE_NOPE="1"):
        pass
    with pytest.raises(TypeError, match="LAKEHOUSE_RETENTION_HOURS is a number, not text"):
        env_str("LAKEHOUSE_RETENTION_HOURS")


def test_settings_come_from_the_variables(monkeypatch):
    for name in ("LAKEHOUSE_ENV", "AWS_ENDPOINT_URL", "AWS_REGION", "LAKEHOUSE_DOMAINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LAKEHOUSE_PROJECT", "acme")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    got = Settings.from_env()
    assert (got.project, got.env, got.region, got.endpoint_url) == (
        "acme",
        "local",
        "eu-west-1",
        LOCAL_ENDPOINT,
    )
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("LAKEHOUSE_DOMAINS", "a:b")
    got = Settings.from_env("dev")
    assert (got.region, got.endpoint_url, [str(p) for p in got.domains]) == ("eu-central-1", None, ["a", "b"])


def test_an_override_is_undone_and_a_default_does_not_replace_a_value(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://before")
    monkeypatch.delenv("LAKEHOUSE_FAILPOINT", raising=False)
    with environment_override(AWS_ENDPOINT_URL="http://during", LAKEHOUSE_FAILPOINT="x:y"):
        assert env_str("AWS_ENDPOINT_URL") == "http://during" and env_str("LAKEHOUSE_FAILPOINT") == "x:y"
        assert process_environment({"EXTRA": "1"})["AWS_ENDPOINT_URL"] == "http://during"
    assert env_str("AWS_ENDPOINT_URL") == "http://before" and not env_set("LAKEHOUSE_FAILPOINT")
    with environment_override(AWS_ENDPOINT_URL=None):
        assert not env_set("AWS_ENDPOINT_URL")
    assert env_str("AWS_ENDPOINT_URL") == "http://before"
    monkeypatch.setenv("PYSPARK_PYTHON", "/their/python")
    assert set_default("PYSPARK_PYTHON", "/our/python") == "/their/python"
    later = process_environment({"A": "1"}, {"A": "2"})
    assert later["A"] == "2" and later["PYSPARK_PYTHON"] == "/their/python"


ENVIRONMENT = ("environ", "environb", "getenv", "getenvb", "putenv", "unsetenv")


def _environment_uses(path: Path, root: Path = REPO) -> list[str]:
    """`os.environ`, `os.getenv` and their kin in a module, as attributes of os or imported from it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in ENVIRONMENT
        ):
            found.append((node.lineno, f"os.{node.attr}"))
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [(node.lineno, f"from os import {a.name}") for a in node.names if a.name in ENVIRONMENT]
    return [f"{path.relative_to(root)}:{line}: {what}" for line, what in sorted(found)]


def test_only_the_settings_module_reads_the_environment():
    uses = [
        use for path in sorted(SRC.rglob("*.py")) if path not in READERS for use in _environment_uses(path)
    ]
    assert uses == []


def test_the_environment_walker_sees_each_spelling(tmp_path):
    """The check above must not be one that cannot fail."""
    module = tmp_path / "m.py"
    module.write_text(
        "import os\nfrom os import getenv\na = os.environ.get('X')\nb = os.getenv('Y')\nos.environ['Z'] = '1'\n"
    )
    assert _environment_uses(module, tmp_path) == [
        "m.py:2: from os import getenv",
        "m.py:3: os.environ",
        "m.py:4: os.getenv",
        "m.py:5: os.environ",
    ]
