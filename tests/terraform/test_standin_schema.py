"""The hashicorp/aws schema rebuilt from @cdktf/provider-aws: spot checks against the provider's docs."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.terraform.conftest import tf_check


@pytest.fixture(scope="module")
def aws(toolchain):
    if not toolchain.standin:
        pytest.skip("a real terraform and registry are in use: no stand-in schema to check")
    with gzip.open(toolchain.env["LAKEHOUSE_TF_SCHEMA"], "rt") as handle:
        (body,) = json.load(handle)["provider_schemas"].values()
    return body


def test_it_covers_the_whole_provider(aws):
    assert len(aws["resource_schemas"]) > 1500 and len(aws["data_source_schemas"]) > 600
    assert tf_check.PROVIDER_VERSION == "6.25.0"


def test_arguments_are_required_optional_or_computed_as_documented(aws):
    bucket = aws["resource_schemas"]["aws_s3_bucket"]["block"]["attributes"]
    assert bucket["bucket"] == {"type": "string", "optional": True}
    assert bucket["arn"] == {"type": "string", "computed": True}
    assert bucket["tags"]["type"] == ["map", "string"]
    versioning = aws["resource_schemas"]["aws_s3_bucket_versioning"]["block"]
    assert versioning["attributes"]["bucket"] == {"type": "string", "required": True}
    assert versioning["block_types"]["versioning_configuration"]["min_items"] == 1


def test_nested_blocks_keep_their_shape(aws):
    table = aws["resource_schemas"]["aws_glue_catalog_table"]["block"]
    sd = table["block_types"]["storage_descriptor"]
    assert sd["max_items"] == 1 and sd["nesting_mode"] == "list"
    assert sd["block"]["block_types"]["columns"]["block"]["attributes"]["name"]["required"]
    assert "max_items" not in table["block_types"]["partition_keys"]


def test_data_sources_read_back_their_optional_arguments(aws):
    region = aws["data_source_schemas"]["aws_region"]["block"]["attributes"]["region"]
    assert region == {"type": "string", "optional": True, "computed": True}


def test_computed_nested_objects_are_typed(aws):
    endpoint = aws["resource_schemas"]["aws_redshiftserverless_workgroup"]["block"]["attributes"]["endpoint"]
    assert endpoint["computed"] and endpoint["type"][0] == "list"
    assert endpoint["type"][1][1]["address"] == "string"
