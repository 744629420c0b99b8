"""What `make tf-check` must catch, each shown on a deliberately broken copy, next to a clean control."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

from tests.terraform.conftest import ROOT, replace_in, tf_check

STORAGE = "terraform/modules/storage"


def _steps(toolchain, root: Path, rel: str) -> dict[str, tf_check.Step]:
    """init / validate / test of one directory; outputs with Terraform's line wrapping undone."""
    steps = {s.name.split()[0]: s for s in tf_check.check_dir(toolchain, root / rel, root)}
    for step in steps.values():
        step.output = " ".join(step.output.split())
    return steps


def test_the_unmodified_storage_module_validates_and_passes_its_tests(toolchain, workspace):
    steps = _steps(toolchain, workspace(), STORAGE)
    assert [(n, s.ok) for n, s in steps.items()] == [("init", True), ("validate", True), ("test", True)]
    assert "Success! 7 passed, 0 failed." in steps["test"].output


def test_a_wrong_attribute_name_fails_validate(toolchain, workspace):
    root = workspace(
        lambda r: replace_in(r / STORAGE / "main.tf", "bucket_key_enabled = true", "bucket_key_enable = true")
    )
    steps = _steps(toolchain, root, STORAGE)
    assert not steps["validate"].ok
    assert 'An argument named "bucket_key_enable" is not expected here' in steps["validate"].output
    assert 'Did you mean "bucket_key_enabled"?' in steps["validate"].output


def test_a_missing_required_argument_fails_validate(toolchain, workspace):
    def drop_bucket(r: Path) -> None:
        head = 'resource "aws_s3_bucket_versioning" "this" {\n  for_each = aws_s3_bucket.this\n'
        replace_in(r / STORAGE / "main.tf", head + "  bucket   = each.value.id\n", head)

    steps = _steps(toolchain, workspace(drop_bucket), STORAGE)
    assert not steps["validate"].ok
    assert 'The argument "bucket" is required, but no definition was found.' in steps["validate"].output


def test_a_bucket_without_kms_fails_the_terraform_tests(toolchain, workspace):
    def sse_s3(r: Path) -> None:
        main = r / STORAGE / "main.tf"
        replace_in(
            main,
            'sse_algorithm     = "aws:kms"\n      kms_master_key_id = var.kms_key_arn',
            'sse_algorithm = "AES256"',
        )

    steps = _steps(toolchain, workspace(sse_s3), STORAGE)
    assert steps["validate"].ok, "the configuration is valid Terraform; only the policy test can catch it"
    assert not steps["test"].ok
    assert "a data bucket is not SSE-KMS with the environment's key and bucket keys" in steps["test"].output


def test_a_table_that_drifts_from_its_contract_fails_the_catalog_tests(toolchain, workspace):
    # The contract says event_timestamp is a timestamp; a catalog built from a stale manifest would not.
    root = workspace()
    manifest_path = root / "build/terraform/manifest.json"
    manifest = json.loads(manifest_path.read_text())
    column = next(
        c for c in manifest["tables"]["silver.clickstream"]["columns"] if c["name"] == "event_timestamp"
    )
    column["type"] = "string"
    manifest_path.write_text(json.dumps(manifest))
    steps = _steps(toolchain, root, "terraform/modules/catalog")
    assert not steps["test"].ok
    assert "a silver table's columns differ from its contract" in steps["test"].output


WEB_ORDERS = """\
name: web_orders
description: Orders from the web shop's API, one JSON object per line.
owner: shop
source: {format: json, file_pattern: "*.json*"}
columns:
  - {name: order_id, type: string, required: true}
  - {name: customer_id, type: string, required: true}
  - {name: ordered_at, type: timestamp, required: true}
  - {name: amount, type: "decimal(12,2)"}
keys: [order_id]
event_time: ordered_at
zones:
  raw: {partitions: [year, month, day], crawl: true}
  silver:
    partitions:
      - {name: order_date, type: date, expr: "to_date(ordered_at)"}
"""


def test_adding_a_contract_adds_its_tables_jobs_crawler_and_roles_with_no_terraform_edit(
    toolchain, workspace
):
    root = workspace(contracts={"web_orders.yaml": WEB_ORDERS})
    comparison = filecmp.dircmp(ROOT / "terraform", root / "terraform", ignore=[".terraform"])
    assert not (comparison.diff_files or comparison.left_only or comparison.right_only)

    composition = root / "terraform/lakehouse"
    out = toolchain.run(["init", "-backend=false", "-no-color"], composition)
    assert out.returncode == 0, out.stdout + out.stderr
    out = toolchain.run(["test", "-verbose", "-no-color"], composition)
    assert out.returncode == 0 and "Success! 4 passed, 0 failed." in out.stdout, out.stdout + out.stderr
    state = " ".join(out.stdout.split())  # -verbose prints each run's state
    for expected in (
        '# module.catalog[0].aws_glue_catalog_table.this["raw.web_orders"]:',
        '# module.catalog[0].aws_glue_catalog_table.this["silver.web_orders"]:',
        '# module.catalog[0].aws_glue_catalog_table.this["silver.web_orders_quarantine"]:',
        'name = "lhtest-test-web_orders-raw_to_silver"',
        '# module.catalog[0].aws_glue_crawler.raw["web_orders"]:',
        '# module.security.aws_iam_role.component["job-web_orders-raw_to_silver"]:',
        "arn:aws:s3:::lhtest-test-raw/web_orders/*",
    ):
        assert expected in state, f"{expected!r} missing from the composition's state"
    assert "web_orders-silver_to_gold" not in state  # no star mapping: it ends in silver

    # and the catalog's contract-equality tests now cover it too
    steps = _steps(toolchain, root, "terraform/modules/catalog")
    assert steps["test"].ok, steps["test"].output[-3000:]
