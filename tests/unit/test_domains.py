"""Domain folders: how they are found, what a name clash does, and what ships of them to AWS."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest

from lakehouse.contract.domains import discover, sql_files
from lakehouse.deploy.bundle import package
from lakehouse.errors import ContractError
from tests.plugin import REPO

ORDERS = (REPO / "tests" / "fixtures" / "datasets" / "orders.yaml").read_text()


def domain(root, name: str, contract: str = "orders.yaml") -> None:
    (root / name).mkdir(parents=True)
    (root / name / contract).write_text(ORDERS.replace("name: orders", f"name: {contract[:-5]}"))


def test_a_root_of_domains_and_a_folder_that_is_one_domain_are_both_found(tmp_path):
    domain(tmp_path, "shop")
    domain(tmp_path, "billing", "invoices.yaml")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "notes").mkdir()  # no contract, no model: not a domain
    assert [d.name for d in discover(tmp_path)] == ["billing", "shop"]
    assert [d.name for d in discover(tmp_path / "shop")] == ["shop"]


def test_a_stray_contract_beside_domain_folders_is_refused_not_read_as_one_domain(tmp_path):
    """It would have turned the whole root into one domain and hidden every folder below it."""
    domain(tmp_path, "shop")
    (tmp_path / "stray.yaml").write_text(ORDERS)
    with pytest.raises(ContractError, match=r"holds contracts and domain folders \(shop/\)"):
        discover(tmp_path)


def test_two_domains_of_one_name_in_two_roots_are_refused(tmp_path):
    domain(tmp_path / "a", "shop")
    domain(tmp_path / "b", "shop", "invoices.yaml")
    with pytest.raises(ContractError, match="domain 'shop' is also at"):
        discover([tmp_path / "a", tmp_path / "b"])


def test_a_view_name_two_domains_use_is_refused(tmp_path):
    for name in ("shop", "billing"):
        domain(tmp_path, name, f"{name}_orders.yaml")
        (tmp_path / name / "views").mkdir()
        (tmp_path / name / "views" / "daily.sql").write_text("CREATE OR REPLACE VIEW daily AS SELECT 1 AS x")
    with pytest.raises(ContractError, match=r"'daily' is also .*daily.sql: rename one"):
        sql_files(tmp_path, "views")


def test_the_bundle_ships_a_domains_helper_packages_and_terraform_reads_what_was_built(tmp_path):
    """A domain's helper package imports locally (a namespace package); on Glue and Lambda it must be
    in the zip as a real package. Terraform uploads the copies in the build, not the repository's."""
    root = tmp_path / "roots"
    shutil.copytree(REPO / "domains" / "clickstream", root / "clickstream")
    (root / "clickstream" / "lib").mkdir()
    (root / "clickstream" / "lib" / "util.py").write_text("ANSWER = 42\n")
    built = package(root, REPO / "lambda", tmp_path / "build")

    names = set(zipfile.ZipFile(tmp_path / "build" / "lakehouse.zip").namelist())
    assert {
        "lakehouse_domains/__init__.py",
        "lakehouse_domains/clickstream/__init__.py",
        "lakehouse_domains/clickstream/lib/__init__.py",
        "lakehouse_domains/clickstream/lib/util.py",
        "lakehouse_domains/clickstream/alerts.py",
    } <= names
    assert not [n for n in names if "/tests/" in n]

    manifest = json.loads((tmp_path / "build" / "manifest.json").read_text())
    uploaded = [manifest["datasets"]["clickstream"]["contract"], *manifest["queries"].values()]
    for key in uploaded:
        assert (tmp_path / "build" / key).read_bytes() == (root / key.removeprefix("domains/")).read_bytes()
    assert built["queries"]["daily_funnel"] == "domains/clickstream/queries/daily_funnel.sql"
