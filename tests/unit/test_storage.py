"""S3 URIs as the kit splits them: keys are taken whole, whatever characters an export's name has."""

from __future__ import annotations

import pytest

from lakehouse.aws.storage import split_uri


def test_a_key_keeps_question_marks_and_hashes():
    # a URL parser would cut these off as a query and a fragment, and the job would read another key
    assert split_uri("s3://raw/clickstream/hour=10/b{x,y}*?.json") == (
        "raw",
        "clickstream/hour=10/b{x,y}*?.json",
    )
    assert split_uri("s3://raw/a#1/ex [1].json") == ("raw", "a#1/ex [1].json")
    assert split_uri("s3://raw/") == ("raw", "") == split_uri("s3://raw")
    assert split_uri("S3://raw/k") == ("raw", "k")  # the scheme in any case, as before


@pytest.mark.parametrize("uri", ["s3:///key", "http://bucket/key", "bucket/key"])
def test_anything_else_is_refused(uri):
    with pytest.raises(ValueError, match="not an s3:// URI"):
        split_uri(uri)
