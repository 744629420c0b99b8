"""lakehouse.zip: what every Lambda function runs and every Glue job loads with --extra-py-files."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from lakehouse.deploy.bundle import package
from tests.terraform.conftest import ROOT

HANDLERS = ("on_raw_object", "on_crawler_state", "on_job_state", "landed_alert")


def test_the_build_is_byte_for_byte_reproducible(tmp_path):
    package(ROOT / "domains", ROOT / "lambda", tmp_path / "a")
    package(ROOT / "domains", ROOT / "lambda", tmp_path / "b")
    for name in ("lakehouse.zip", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_every_handler_imports_from_the_zip_with_only_the_lambda_runtime(tmp_path):
    package(ROOT / "domains", ROOT / "lambda", tmp_path)
    zip_path = tmp_path / "lakehouse.zip"
    names = zipfile.ZipFile(zip_path).namelist()
    assert {f"{h}/handler.py" for h in HANDLERS} <= set(names)
    assert "lakehouse/automation/handlers.py" in names and "yaml/__init__.py" in names
    # The Lambda python3.11 runtime has boto3 but none of the local loop's packages.
    probe = f"""
import sys
sys.path.insert(0, {str(zip_path)!r})
class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {{"pyspark", "duckdb", "pyarrow", "sqlglot", "rich", "moto", "pyathena"}}:
            raise ImportError(name + " is not in the Lambda runtime")
sys.meta_path.insert(0, Absent())
import importlib, yaml
for h in {HANDLERS!r}:
    assert callable(importlib.import_module(h + ".handler").handler)
assert yaml.__file__.startswith({str(zip_path)!r}), yaml.__file__
import lakehouse
assert lakehouse.__file__.startswith({str(zip_path)!r}), lakehouse.__file__
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
