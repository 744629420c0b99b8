"""Contracts: the clickstream contract loads; invalid contracts fail with file, field and problem."""

from __future__ import annotations

import copy

import pytest
import yaml

from lakehouse.contract.dataset import find_contract, load_contract, parse_contract
from lakehouse.errors import ContractError
from tests.plugin import REPO

CLICKSTREAM = REPO / "domains" / "clickstream" / "clickstream.yaml"


def doc() -> dict:
    return copy.deepcopy(yaml.safe_load(CLICKSTREAM.read_text()))


def test_clickstream_contract_loads_with_its_star_schema():
    c = load_contract(CLICKSTREAM)
    assert c.name == "clickstream"
    assert c.column_names == (
        "event_id",
        "user_id",
        "session_id",
        "event_type",
        "event_timestamp",
        "device_type",
        "page_url",
        "referrer_url",
        "metadata",
    )
    assert c.column("metadata").type == "map<string,string>"
    assert c.keys == ("event_id",) and c.dedupe_key == ("event_id",)
    assert c.raw_partitions == ("year", "month", "day", "hour")
    assert [p.name for p in c.silver_partitions] == ["event_date"]
    assert c.gold_tables == ("dim_users", "dim_pages", "dim_devices", "dim_date", "fact_clicks")
    assert c.facts[0].references == ("dim_users", "dim_pages", "dim_devices", "dim_date")


@pytest.mark.parametrize(
    ("mutate", "where", "problem"),
    [
        (lambda d: d.pop("keys"), "keys", "is required"),
        (lambda d: d.update(keys=["nope"]), "keys", "'nope' is not a declared column"),
        (lambda d: d["columns"][0].update(type="varchar(10)"), "columns[0].type", "not a supported type"),
        (lambda d: d["columns"][8].update(type="map<string>"), "columns[8].type", "map needs <key,value>"),
        (lambda d: d["columns"].append(dict(d["columns"][0])), "columns", "declared twice"),
        (lambda d: d.update(event_time="user_id"), "event_time", "must be a timestamp or date column"),
        (lambda d: d["source"].update(format="xml"), "source.format", "'xml' is not one of json, csv"),
        (lambda d: d.update(colums=[]), "colums", "unknown field"),
        (lambda d: d["zones"]["raw"].update(partitions=["day", "hour"]), "zones.raw.partitions", "prefix of"),
        (lambda d: d["quality"][2].update(pattern="(["), "quality[2].pattern", "invalid regular expression"),
        (
            lambda d: d["star"]["facts"][0].update(references=["dim_nope"]),
            "star.facts[0].references",
            "'dim_nope' is not a dimension",
        ),
        (
            lambda d: d["star"]["dimensions"][0].update(scd_type=3),
            "star.dimensions[0].scd_type",
            "is not 1 or 2",
        ),
        (lambda d: d["columns"][1].update(required="yes"), "columns[1].required", "must be a bool"),
    ],
)
def test_invalid_contract_names_file_field_and_problem(tmp_path, mutate, where, problem):
    d = doc()
    mutate(d)
    path = tmp_path / "clickstream.yaml"
    path.write_text(yaml.safe_dump(d))
    with pytest.raises(ContractError) as err:
        load_contract(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {where}: "), message
    assert problem in message
    assert "\n" not in message


def test_yaml_syntax_error_is_reported_with_its_line(tmp_path):
    path = tmp_path / "clickstream.yaml"
    path.write_text("name: clickstream\ncolumns: [\n  {name: a\n")
    with pytest.raises(ContractError, match=r"clickstream.yaml: line \d+: not valid YAML"):
        load_contract(path)


def test_name_must_match_file(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text(CLICKSTREAM.read_text())
    with pytest.raises(ContractError, match="'clickstream' must match the file name 'other'"):
        load_contract(path)


def test_unknown_dataset_lists_known_ones():
    with pytest.raises(ContractError, match=r"unknown dataset 'clicks' \(known: category_tree, clickstream"):
        find_contract(REPO / "domains", "clicks")


def test_parse_contract_accepts_a_minimal_dataset():
    c = parse_contract(
        {
            "name": "tiny",
            "source": {"format": "csv"},
            "columns": [
                {"name": "id", "type": "bigint", "required": True},
                {"name": "ts", "type": "timestamp"},
            ],
            "keys": ["id"],
            "event_time": "ts",
            "zones": {"raw": {"partitions": ["year"]}, "silver": {}},
        }
    )
    assert c.source.file_pattern == "*.csv" and c.dedupe_key == ("id",) and c.facts == ()


def test_nested_structs_flatten_into_snake_case_silver_columns_and_keep_their_json_keys():
    c = load_contract(REPO / "domains" / "activity" / "user_activity.yaml")
    assert c.column("user_name").type == "struct<FirstName:string,LastName:string,Title:string>"
    assert c.silver_columns[:4] == (
        ("user_id", "string"),
        ("user_name_first_name", "string"),
        ("user_name_last_name", "string"),
        ("user_name_title", "string"),
    )
    d = doc()
    d["columns"].append({"name": "page_url_host", "type": "string"})
    d["columns"].append({"name": "page_url", "type": "struct<Host:string>", "flatten": True})
    d["columns"] = [c for c in d["columns"] if c["name"] != "page_url" or "flatten" in c]
    with pytest.raises(ContractError, match="silver column 'page_url_host' comes from two columns"):
        parse_contract(d)
    d = doc()
    d["columns"][0]["flatten"] = True
    with pytest.raises(ContractError, match=r"only a struct<\.\.\.> column can be flattened"):
        parse_contract(d)


def test_a_source_without_a_time_column_has_no_event_time():
    c = load_contract(REPO / "domains" / "retail" / "category_tree.yaml")
    assert c.event_time is None and c.dedupe_key == ("categoryid",)


@pytest.mark.parametrize(
    ("bound", "parsed"),
    [
        pytest.param("now", ("+", 0, "second"), id="now"),
        pytest.param("now+1 day", ("+", 1, "day"), id="plus-day"),
        pytest.param(" NOW - 2 hours ", ("-", 2, "hour"), id="minus-hours-any-case"),
        pytest.param("now+999999 minutes", ("+", 999999, "minute"), id="six-digits"),
        pytest.param("now+1000000 days", None, id="seven-digits-refused"),
        pytest.param("now+1 week", None, id="unknown-unit"),
        pytest.param("2025-01-01", None, id="absolute"),
    ],
)
def test_one_parser_reads_relative_bounds_for_the_contract_and_the_job(bound, parsed):
    """The contract check and the job's rule read `now[+-N unit]` through the same function, so a
    bound the contract accepts is one the job understands (they once used two regexes)."""
    from lakehouse.contract.dataset import bound_problem, relative_time

    assert relative_time(bound) == parsed
    if parsed is not None:
        assert bound_problem(bound, "timestamp") is None
