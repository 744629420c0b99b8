"""`lakehouse new`: a draft contract from a sample landing file parses as a contract, and `lakehouse
check` on the same file quarantines none of its readable records. No Spark, no endpoint: check_file is
pure Python.

The generated samples carry deliberate bad records (`_generated.json` counts them). Each draft is
written from a cleaned copy that drops the bad records, found by the generator's own definition of
each kind, the count dropped asserted against the truth: all of them for user_activity and
retail_events; for sales_orders the unparseable date only, since its other two (a month off MONTH_ID,
quantity 0) are bad by business rules a draft cannot know and pass any type. Drafts from the raw files
are tested too: a draft describes what the sample holds, so it accepts every value a type can hold,
and check then quarantines exactly the lines no contract can read.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from lakehouse_domains.activity.generate import generate_user_activity
from lakehouse_domains.retail.generate import generate_retail
from lakehouse_domains.sales.generate import generate_sales

from lakehouse.contract.dataset import Contract, load_contracts, parse_contract
from lakehouse.errors import UsageError
from lakehouse.landing.check import check_file
from lakehouse.landing.draft import draft_contract, write_draft


def drafted(dataset: str, sample: Path) -> tuple[Contract, str]:
    text = draft_contract(dataset, sample)
    return parse_contract(yaml.safe_load(text), sample.parent / f"{dataset}.yaml"), text


def types(contract: Contract) -> dict[str, tuple[str, tuple[str, ...], bool]]:
    return {c.name: (c.type, c.formats, c.required) for c in contract.columns}


def activity_lines(tmp_path: Path) -> tuple[list[str], dict]:
    """All three user_activity deliveries as one sample (re-sent lines included), and the truth."""
    truth = generate_user_activity(tmp_path / "gen", seed=42)
    lines = []
    for name in truth["files"]:
        lines += (tmp_path / "gen" / name).read_text(encoding="utf-8").splitlines()
    return lines, truth


def test_json_lines_with_nested_objects(tmp_path):
    lines, truth = activity_lines(tmp_path)
    kept = []
    for line in lines:  # the generator's four bad kinds, each as it defines it
        try:
            r = json.loads(line)
        except ValueError:
            continue  # not_json
        if "user_id" in r and r["action_ts"] != "sometime" and r["action_type"] != "Liked":
            kept.append(line)
    assert len(lines) - len(kept) == sum(truth["bad_lines"].values()) == 4
    sample = tmp_path / "user_activity_2025-03-15.json"
    sample.write_text("\n".join(kept) + "\n", encoding="utf-8")

    contract, text = drafted("user_activity", sample)

    assert contract.source.format == "json" and contract.source.file_pattern == "user_activity*.json*"
    assert types(contract) == {
        "user_id": ("string", (), True),
        "user_name": ("struct<FirstName:string,LastName:string,Title:string>", (), False),
        "user_address": (
            "struct<Street:string,City:string,State:string,Country:string,ZipCode:string>",
            (),
            False,
        ),
        "user_contact": ("struct<type:string,value:string>", (), False),
        "action_type": ("string", (), False),
        "action_ts": ("timestamp", (), True),  # ISO 8601: no formats, as the hand-written contract
        "item_id": ("string", (), False),
        "item_name": ("string", (), False),
        "item_category": ("string", (), False),
        "device": ("string", (), False),
        "b2c": ("boolean", (), False),
        "last_modified_at": ("timestamp", (), True),
    }
    assert all(contract.column(n).flatten for n in ("user_name", "user_address", "user_contact"))
    assert ("user_name_first_name", "string") in contract.silver_columns
    # the corrected record repeats (user_id, action_ts): the version's time makes the key
    assert contract.keys == contract.dedupe_key == ("user_id", "last_modified_at")
    assert contract.event_time == "action_ts"  # not last_modified_at: a change time, not an event time
    assert [(p.name, p.expr) for p in contract.silver_partitions] == [("event_date", "to_date(`action_ts`)")]
    assert contract.raw_partitions == ("year", "month", "day") and not contract.facts and not contract.model
    assert f"# records repeating an earlier one exactly: {truth['redelivered_unchanged']}" in text

    report = check_file(sample, contract, 0.0)
    assert (report.rows, report.quarantined, dict(report.parse_failures)) == (len(kept), 0, {})
    assert report.columns[5].formats == {"ISO 8601": len(kept)}


def test_a_draft_from_the_raw_deliveries_follows_their_bad_lines(tmp_path):
    lines, truth = activity_lines(tmp_path)
    sample = tmp_path / "user_activity.json"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")

    contract, text = drafted("user_activity", sample)

    # "sometime" is no time: action_ts stays a string, and the draft says why
    action_ts = next(line for line in text.splitlines() if "name: action_ts" in line)
    assert action_ts.endswith(
        "{name: action_ts, type: string}  # mostly times, but not every value parses with one format"
    )
    assert not contract.column("user_id").required  # one line lacks it
    assert contract.event_time == "last_modified_at"
    report = check_file(sample, contract, 1.0)
    assert report.quarantined == truth["bad_lines"]["not_json"] == 1  # no contract reads a cut-off line
    assert dict(report.parse_failures) == {"readable_record:_record:malformed_json": 1}
    header = " ".join(line.removeprefix("# ") for line in text.splitlines()[:2])
    assert f"({truth['lines'] - 1} records; lines no contract can read: 1)" in header


def test_cp1252_crlf_csv_with_two_date_formats(tmp_path):
    truth = generate_sales(tmp_path / "gen", seed=7)
    raw = (tmp_path / "gen" / "sales_orders.csv").read_bytes()
    rows = raw.split(b"\r\n")
    header = next(csv.reader([rows[0].decode("cp1252")]))
    at = header.index("ORDERDATE")

    def readable(row: bytes) -> bool:
        value = next(csv.reader([row.decode("cp1252")]))[at]
        for fmt in ("%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S"):  # the generator's two formats
            try:
                return bool(datetime.strptime(value, fmt))
            except ValueError:
                continue
        return False

    kept = [rows[0]] + [r for r in rows[1:] if r and readable(r)]
    assert len(rows) - 2 - (len(kept) - 1) == truth["sales_orders"]["bad"]["unparseable date"] == 1
    sample = tmp_path / "sales_orders.csv"
    sample.write_bytes(b"\r\n".join(kept) + b"\r\n")

    contract, text = drafted("sales_orders", sample)

    src = contract.source
    assert (src.format, src.file_pattern, src.encoding, src.delimiter, src.header) == (
        "csv",
        "sales_orders*.csv*",
        "cp1252",
        ",",
        True,
    )
    assert "# CRLF line ends (the job strips the CR)" in text
    t = types(contract)
    # one format per shape, letters sized to the digits seen (`M/d`: months of one and two digits)
    assert t["orderdate"] == ("timestamp", ("M/d/yyyy H:mm", "yyyy-MM-dd HH:mm:ss"), True)
    assert t["priceeach"] == t["sales"] == ("decimal(12,2)", (), False)
    assert t["quantityordered"] == t["msrp"] == ("bigint", (), False)
    assert t["ordernumber"] == t["orderlinenumber"] == ("string", (), True)  # identifiers kept as text
    assert t["postalcode"][0] == t["customername"][0] == t["addressline2"][0] == "string"
    assert contract.keys == ("ordernumber", "orderlinenumber") and contract.event_time == "orderdate"
    assert "dealsize" not in t  # the export has no DEALSIZE column

    report = check_file(sample, contract, 0.0)
    assert (report.rows, report.quarantined) == (truth["sales_orders"]["lines"] - 1, 0)
    formats = next(c for c in report.columns if c.name == "orderdate").formats
    assert set(formats) == {"M/d/yyyy H:mm", "yyyy-MM-dd HH:mm:ss"} and sum(formats.values()) == report.rows
    # the month/MONTH_ID and quantity 0 lines are bad only by business rules a draft cannot know:
    # they pass, and the user adds the rules (the sample contract's expression and range rules)


def test_a_date_in_a_third_format_becomes_a_third_format(tmp_path):
    generate_sales(tmp_path, seed=7)
    contract, _ = drafted("sales_orders", tmp_path / "sales_orders.csv")
    assert contract.column("orderdate").formats == (
        "M/d/yyyy H:mm",
        "yyyy-MM-dd HH:mm:ss",
        "dd.MM.yyyy HH:mm",
    )
    assert check_file(tmp_path / "sales_orders.csv", contract, 0.0).quarantined == 0


def test_epoch_milliseconds_csv(tmp_path):
    truth = generate_retail(tmp_path / "gen", seed=42)
    rows = list(csv.reader(io.StringIO((tmp_path / "gen" / "events.csv").read_text(encoding="utf-8"))))
    # the generator's bad kinds: a formatted timestamp, the event "wishlist", an empty visitorid
    kept = [r for r in rows[1:] if r[0].isdigit() and r[2] != "wishlist" and r[1]]
    assert len(rows) - 1 - len(kept) == sum(truth["events"]["bad"].values()) == 3
    sample = tmp_path / "events.csv"
    with sample.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([rows[0], *kept])

    contract, text = drafted("retail_events", sample)

    assert contract.source.file_pattern == "events*.csv*" and contract.source.encoding == "utf-8"
    assert types(contract) == {
        "timestamp": ("timestamp", ("epoch_millis",), True),
        "visitorid": ("string", (), True),
        "event": ("string", (), False),
        "itemid": ("string", (), False),
        "transactionid": ("string", (), False),  # only on transaction rows
    }
    assert contract.event_time == "timestamp" and contract.keys == ("timestamp", "visitorid")
    assert [p.expr for p in contract.silver_partitions] == ["to_date(`timestamp`)"]
    assert f"# records repeating an earlier one exactly: {truth['events']['duplicates']}" in text
    report = check_file(sample, contract, 0.0)
    assert (report.rows, report.quarantined) == (len(kept), 0)
    assert report.columns[0].formats == {"epoch_millis": len(kept)}


def test_a_formatted_time_among_epoch_numbers_gets_its_own_format(tmp_path):
    generate_retail(tmp_path, seed=42)
    contract, _ = drafted("retail_events", tmp_path / "events.csv")
    assert contract.column("timestamp").formats == ("epoch_millis", "yyyy-MM-dd HH:mm:ss")
    assert check_file(tmp_path / "events.csv", contract, 0.0).quarantined == 0


HAND_WRITTEN = (
    "\ufeffOrder Id;Amount (EUR);Paid;Created At;Ship Date;Zip;Note\r\n"
    "A-1;12.50;true;2024-03-01T10:15:00;15.03.2024;01234;first\r\n"
    "A-2;7.05;false;2024-03-01T11:00:30;1.04.2024;98765;\r\n"
    'A-3;100.00;TRUE;2024-03-02T09:00:00;30.04.2024;00420;"semi; colon"\r\n'
    "A-4;0.99;false;2024-03-02T23:59:59;2.05.2024;10115;café\r\n"
)


def test_hand_written_semicolon_csv(tmp_path):
    sample = tmp_path / "orders_2024-03-02.csv"
    sample.write_bytes(HAND_WRITTEN.encode("utf-8"))

    contract, text = drafted("orders", sample)

    src = contract.source
    assert (src.file_pattern, src.encoding, src.delimiter, src.header) == ("orders*.csv*", "utf-8", ";", True)
    assert "# a UTF-8 BOM (the job skips it), CRLF line ends (the job strips the CR)" in text
    assert types(contract) == {
        "order_id": ("string", (), True),
        "amount_eur": ("decimal(12,2)", (), False),
        "paid": ("boolean", (), False),
        "created_at": ("timestamp", (), True),  # ISO 8601
        "ship_date": ("date", ("d.MM.yyyy",), False),  # days of one and two digits, months of two
        "zip": ("string", (), False),  # leading zeros: text
        "note": ("string", (), False),  # blank in one record
    }
    assert contract.keys == ("order_id",) and contract.event_time == "created_at"
    assert [(p.name, p.type, p.expr) for p in contract.silver_partitions] == [
        ("event_date", "date", "to_date(`created_at`)")
    ]
    report = check_file(sample, contract, 0.0)
    assert (report.rows, report.quarantined) == (4, 0)
    assert {c.name: dict(c.formats) for c in report.columns}["ship_date"] == {"d.MM.yyyy": 4}


def test_hand_written_json_with_arrays_maps_and_epoch_seconds(tmp_path):
    records = [
        {
            "id": 7,
            "tags": ["a", "b"],
            "scores": [1, 2.5],
            "attrs": {"Content-Type": "x"},
            "created": 1700000000,
        },
        {"id": 8, "tags": [], "scores": [3], "attrs": {"k": {"n": 1}}, "created": 1700003600, "userId": "u"},
        {"id": 9, "price": 2, "created": 1700007200, "ok": True},
        {"id": 10, "price": 2.5, "created": 1700010800, "ok": False},
    ]
    sample = tmp_path / "things.jsonl"
    sample.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    contract, text = drafted("things", sample)

    assert contract.source.file_pattern == "things*.jsonl*"
    assert types(contract) == {
        "id": ("string", (), True),  # digits in an id: kept as text
        "tags": ("array<string>", (), False),
        "scores": ("array<double>", (), False),
        "attrs": ("map<string,string>", (), False),  # a key that is no field name: a map
        "created": ("timestamp", ("epoch_seconds",), True),
        "price": ("double", (), False),
        "ok": ("boolean", (), False),
    }
    assert "# not declared (no valid name; in _extra_fields): userId" in text
    assert check_file(sample, contract, 0.0).quarantined == 0


def test_write_draft_writes_a_loadable_domain_and_never_overwrites(tmp_path):
    sample = tmp_path / "orders.csv"
    sample.write_bytes(HAND_WRITTEN.encode("utf-8"))
    root = tmp_path / "domains"
    root.mkdir()

    path = write_draft("orders", sample, root, "shop")

    assert path == root / "shop" / "orders.yaml"
    assert load_contracts(root)["orders"].domain == "shop"
    with pytest.raises(UsageError, match="already exists; it is not overwritten"):
        write_draft("orders", sample, root, "shop")
    with pytest.raises(UsageError, match=r"'orders' is already defined in .*shop/orders\.yaml"):
        write_draft("orders", sample, root)  # another domain: load_contracts would refuse two
    assert write_draft("returns", sample, root).relative_to(root) == Path("returns/returns.yaml")


@pytest.mark.parametrize(
    ("dataset", "file", "message"),
    [
        ("Orders", "orders.csv", "dataset name 'Orders' must be lower_snake_case"),
        ("orders_quarantine", "orders.csv", "reserved"),
        ("orders", "missing.csv", "no such file"),
        ("orders", "empty.csv", "has no record a contract could describe"),
    ],
)
def test_bad_input_is_one_usage_error(tmp_path, dataset, file, message):
    (tmp_path / "orders.csv").write_bytes(HAND_WRITTEN.encode("utf-8"))
    (tmp_path / "empty.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        draft_contract(dataset, tmp_path / file)


def test_names_yaml_would_read_as_booleans_or_null_are_quoted(tmp_path):
    sample = tmp_path / "flags.csv"
    sample.write_text("on,no,null\nx1,a,2024-01-01\nx2,b,2024-01-02\n", encoding="utf-8")
    contract, text = drafted("flags", sample)
    assert contract.column_names == ("on", "no", "null") and contract.keys == ("on",)
    assert contract.event_time == "null" and contract.column("null").type == "date"
    assert 'keys: ["on"]' in text and contract.silver_partitions[0].expr == "to_date(`null`)"
    assert check_file(sample, contract, 0.0).quarantined == 0
