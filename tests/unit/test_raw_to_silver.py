"""raw -> silver transforms on tiny DataFrames: typing, quarantine reasons, duplicates, lineage."""

from __future__ import annotations

import json

import pytest
from pyspark.sql import functions as F

from lakehouse.contract import quality
from lakehouse.transforms import silver as r2s

pytestmark = pytest.mark.spark

GOOD = {
    "event_id": "e1",
    "user_id": "u1",
    "session_id": "s1",
    "event_type": "page_view",
    "event_timestamp": "2025-01-06T10:15:00.250Z",
    "device_type": "mobile",
    "page_url": "https://shop.example.com/",
    "referrer_url": None,
    "metadata": {"k": "v"},
}


def event(**changes) -> str:
    return json.dumps({**GOOD, **changes})


def run_lines(spark, contract, files: dict[str, str]):
    """files {name: text} -> validated rows, through read_lines like the job does."""
    text = spark.createDataFrame(list(files.items()), "path string, value string")
    lines = r2s.read_lines(text, F.col("path"))
    return r2s.validate(r2s.parse_json_records(lines, contract), contract)


def reasons(df) -> dict[str, list[str]]:
    return {r["event_id"] or f"line{r['_source_line']}": r["_reasons"] for r in df.collect()}


def test_good_record_is_typed(spark, clickstream):
    row = run_lines(spark, clickstream, {"f": event()}).first()
    assert row["_reasons"] == [] and row["_warnings"] == []
    assert row["event_timestamp"].isoformat() == "2025-01-06T10:15:00.250000"
    assert row["metadata"] == {"k": "v"}
    assert (row["_source_file"], row["_source_line"]) == ("f", 1)


def test_malformed_json_is_quarantined_with_reason(spark, clickstream):
    text = "\n".join([event(event_id="a"), '{"event_id": "b", "user_id": ', "[1, 2]", '"just a string"'])
    got = run_lines(spark, clickstream, {"f": text}).orderBy("_source_line").collect()
    assert [r["_reasons"] for r in got] == [[], [r2s.MALFORMED], [r2s.MALFORMED], [r2s.MALFORMED]]
    assert [r["_source_line"] for r in got] == [1, 2, 3, 4]
    assert got[1]["_record"] == '{"event_id": "b", "user_id": '


def test_unparseable_timestamp_and_missing_user_id_are_quarantined(spark, clickstream):
    text = "\n".join(
        [
            event(event_id="t", event_timestamp="yesterday at noon"),
            json.dumps({k: v for k, v in GOOD.items() if k != "user_id"} | {"event_id": "u"}),
            event(event_id="blank", user_id="  "),
        ]
    )
    got = reasons(run_lines(spark, clickstream, {"f": text}))
    assert got["t"] == ["type_event_timestamp:event_timestamp:unparseable"]  # a code: never the raw value
    assert got["u"] == ["required_user_id:user_id:missing"]
    assert got["blank"] == ["required_user_id:user_id:missing"]


def test_quality_rules_quarantine_or_warn_as_the_contract_says(spark, clickstream):
    text = "\n".join(
        [
            event(event_id="x", event_type="teleport"),
            event(event_id="y", device_type="fridge"),
            event(event_id="z", page_url="ftp://files"),
            event(event_id="old", event_timestamp="1969-12-31T23:59:59Z"),
        ]
    )
    rows = {r["event_id"]: r for r in run_lines(spark, clickstream, {"f": text}).collect()}
    assert rows["x"]["_reasons"] == ["known_event_type:event_type:accepted_values"]
    assert rows["y"]["_reasons"] == [] and rows["y"]["_warnings"] == [
        "known_device_type:device_type:accepted_values"
    ]
    assert rows["z"]["_reasons"] == ["page_url_is_http:page_url:regex"]
    assert rows["old"]["_reasons"] == ["event_time_plausible:event_timestamp:range"]


def test_several_problems_are_all_named(spark, clickstream):
    row = run_lines(spark, clickstream, {"f": json.dumps({"event_id": "m", "event_type": "nope"})}).first()
    assert "required_user_id:user_id:missing" in row["_reasons"]
    assert "required_event_timestamp:event_timestamp:missing" in row["_reasons"]
    assert "known_event_type:event_type:accepted_values" in row["_reasons"]


def test_bom_crlf_and_blank_lines(spark, clickstream):
    text = "\ufeff" + event(event_id="a") + "\r\n\r\n" + event(event_id="b") + "\r\n"
    got = run_lines(spark, clickstream, {"f": text}).orderBy("_source_line").collect()
    assert [(r["event_id"], r["_source_line"], r["_reasons"]) for r in got] == [("a", 1, []), ("b", 3, [])]


def test_deduplicate_keeps_the_earliest_then_first_seen(spark, clickstream):
    text_a = "\n".join(
        [
            event(event_id="d", event_timestamp="2025-01-06T10:00:05Z", page_url="https://x/late"),
            event(event_id="d", event_timestamp="2025-01-06T10:00:01Z", page_url="https://x/first"),
        ]
    )
    text_b = event(event_id="d", event_timestamp="2025-01-06T10:00:01Z", page_url="https://x/other-file")
    valid = run_lines(spark, clickstream, {"a": text_a, "b": text_b})
    marked = r2s.mark_duplicates(valid, clickstream)
    assert marked.where("_duplicate").count() == 2
    kept = r2s.deduplicate(valid, clickstream).collect()
    assert [(r["page_url"], r["_source_file"], r["_source_line"]) for r in kept] == [
        ("https://x/first", "a", 2)
    ]


def test_sorting_only_repeated_keys_marks_the_same_rows_as_sorting_all(spark, clickstream):
    """The job orders only the rows of keys seen more than once; the result must equal the full window,
    null keys included (null is one key, as in the window)."""
    lines = [
        event(event_id="once"),
        event(event_id="twice", event_timestamp="2025-01-06T10:00:05Z"),
        event(event_id="twice", event_timestamp="2025-01-06T10:00:01Z"),
        event(event_id="thrice", page_url="https://x/1"),
        event(event_id="thrice", page_url="https://x/2"),
        event(event_id="also-once"),
    ]
    valid = run_lines(spark, clickstream, {"a": "\n".join(lines), "b": event(event_id="thrice")})
    valid = valid.unionByName(valid.where("event_id = 'once'").withColumn("event_id", F.lit(None)))
    valid = valid.unionByName(valid.where("event_id IS NULL").withColumn("_source_line", F.lit(9)))
    repeated = r2s.repeated_keys(valid, clickstream)
    assert sorted((r[0] or "<null>") for r in repeated.collect()) == ["<null>", "thrice", "twice"]

    def marks(df):
        return sorted(
            (r["event_id"] or "", r["_source_file"], r["_source_line"], r["_duplicate"]) for r in df.collect()
        )

    split = marks(r2s.mark_duplicates(valid, clickstream, repeated=F.broadcast(repeated)))
    assert split == marks(r2s.mark_duplicates(valid, clickstream))
    assert len(split) == 9 and sum(m[3] for m in split) == 4  # twice: 1, thrice: 2, null: 1


def test_silver_and_quarantine_rows(spark, clickstream):
    checked = run_lines(spark, clickstream, {"s3://b/f.json": event() + "\n{oops"})
    silver = r2s.to_silver(checked.where(F.size("_reasons") == 0), clickstream, "run-1").first()
    assert silver["event_date"].isoformat() == "2025-01-06" and silver["_run_id"] == "run-1"
    q = r2s.to_quarantine(checked.where(F.size("_reasons") > 0), quality.described(clickstream)).first()
    assert (q["source_file"], q["source_line"], q["reason"], q["record"]) == (
        "s3://b/f.json",
        2,
        "readable_record:_record:malformed_json: not a JSON object",
        "{oops",
    )


def test_formats_with_quotes_are_bound_as_literals(spark):
    """Issue 15, point 8: `yyyy-MM-dd'T'HH:mm:ss` passed validation but broke the job's SQL."""
    import copy

    import yaml

    from lakehouse.contract.dataset import parse_contract
    from tests.plugin import REPO

    d = copy.deepcopy(yaml.safe_load((REPO / "domains" / "clickstream" / "clickstream.yaml").read_text()))
    column = next(c for c in d["columns"] if c["name"] == "event_timestamp")
    column["formats"] = ["yyyy-MM-dd'T'HH:mm:ss", "dd/MM/yyyy"]
    contract = parse_contract(d)
    got = run_lines(
        spark,
        contract,
        {
            "f": "\n".join(
                [
                    event(event_id="a", event_timestamp="2025-01-06T10:15:00"),
                    event(event_id="b", event_timestamp="06/01/2025"),
                ]
            )
        },
    )
    rows = {r["event_id"]: r for r in got.collect()}
    assert rows["a"]["event_timestamp"].isoformat() == "2025-01-06T10:15:00"
    assert rows["b"]["event_timestamp"].isoformat() == "2025-01-06T00:00:00"
    assert rows["a"]["_reasons"] == rows["b"]["_reasons"] == []


def test_profiles_of_two_sets_merge_into_the_profile_of_both(spark, clickstream):
    from lakehouse.contract.tables import EXTRA_FIELDS
    from lakehouse.jobs.accounting import profile

    first = run_lines(
        spark, clickstream, {"a.json": "\n".join([event(event_id="a1"), "{bad", event(event_id="a2", x="1")])}
    )
    second = run_lines(
        spark,
        clickstream,
        {"b.json": "\n".join(["nope", event(event_id="b1", event_type="teleport"), "[1]", "{bad"])},
    )
    both = profile(first.unionByName(second), EXTRA_FIELDS)
    assert profile(first, EXTRA_FIELDS).merged(profile(second, EXTRA_FIELDS)) == both
    assert (both.read, both.rejected, both.files, both.new_fields) == (7, 5, {"a.json", "b.json"}, {"x": 1})
    assert both.examples[r2s.MALFORMED] == ["a.json:2", "b.json:1", "b.json:3"]  # the first three of four


def test_a_file_read_in_many_blocks_keeps_every_line_number(spark, clickstream, tmp_path, monkeypatch):
    """A large export is read in blocks on every core; each record still carries its exact line."""
    from lakehouse.jobs import readers
    from lakehouse.jobs.accounting import checked_cache
    from lakehouse.jobs.io import DirectIO

    body = [event(event_id=f"e{i}") if i % 5 else ("" if i % 10 else "   ") for i in range(1, 120)]
    body[0] = "\ufeff" + body[0]  # a BOM, then CRLF line ends below, and blank lines at block starts
    big = tmp_path / "big.json"
    big.write_bytes(("\r\n".join(body) + "\r\n").encode().replace(b'"e77"', b'"\xfc77"'))  # not UTF-8
    small = tmp_path / "small.json"
    small.write_text("\n\n" + event(event_id="s3") + "\n{bad\n")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "1000")  # blocks of ~1 kB: ~30 for `big`
    try:
        monkeypatch.setattr(readers, "READ_IN_BLOCKS_FROM", 2000)  # `big` is large, `small` is read whole
        sizes = {str(f): f.stat().st_size for f in (big, small)}
        records = readers.read_records(spark, clickstream, [str(big), str(small)], DirectIO(), sizes=sizes)
        assert records.rdd.getNumPartitions() > 20
        cached = checked_cache(r2s.validate(records, clickstream))
        rows = (
            r2s.number_lines(cached).select("_source_file", "_source_line", "event_id", "_reasons").collect()
        )
        cached.unpersist()
        only_large = readers.read_records(spark, clickstream, [str(big)], DirectIO(), sizes=sizes)
        alone = r2s.number_lines(checked_cache(r2s.validate(only_large, clickstream)))
        alone_lines = sorted(r["_source_line"] for r in alone.collect())
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    found = {(r[0].rsplit("/", 1)[1], r[1]): (r[2], list(r[3])) for r in rows}
    expected = {("big.json", i): (f"e{i}", []) for i in range(1, 120) if i % 5}
    expected[("big.json", 77)] = ("\ufffd77", [r2s.NOT_UTF8])
    expected |= {("small.json", 3): ("s3", []), ("small.json", 4): (None, [r2s.MALFORMED])}
    assert found == expected  # blank lines counted, never records
    assert alone_lines == sorted(line for f, line in expected if f == "big.json")  # no file read whole


def test_a_large_gzip_is_read_line_by_line_and_a_cut_off_one_not_at_all(
    spark, clickstream, tmp_path, monkeypatch
):
    """A large .json.gz is read by Spark's line reader as it is decompressed (read whole, 113 MB of
    gzip exhausted the JVM's heap), with its line numbers; a cut-off one yields nothing, rather than
    the lines before the cut, and is left to `unreadable_records` to quarantine whole."""
    import gzip

    from lakehouse.jobs import readers
    from lakehouse.jobs.accounting import checked_cache
    from lakehouse.jobs.io import DirectIO

    text = "\n".join(event(event_id=f"g{i}") if i % 7 else "" for i in range(1, 400)) + "\n"
    whole, cut = tmp_path / "big.json.gz", tmp_path / "cut.json.gz"
    whole.write_bytes(gzip.compress(text.encode()))
    cut.write_bytes(gzip.compress(text.encode())[:-200])
    monkeypatch.setattr(readers, "GZIP_BY_LINES_FROM", 1000)  # both are "large"
    sizes = {str(f): f.stat().st_size for f in (whole, cut)}
    records = readers.read_records(spark, clickstream, [str(whole), str(cut)], DirectIO(), sizes=sizes)
    assert r2s.BLOCK in records.columns  # read by lines, not whole
    cached = checked_cache(r2s.validate(records, clickstream))
    rows = r2s.number_lines(cached).select("_source_file", "_source_line", "event_id").collect()
    cached.unpersist()
    assert sorted((r[0].rsplit("/", 1)[1], r[1], r[2]) for r in rows) == sorted(
        ("big.json.gz", i, f"g{i}") for i in range(1, 400) if i % 7
    )
    only_cut = readers.read_records(spark, clickstream, [str(cut)], DirectIO(), sizes=sizes)
    assert only_cut.count() == 0
