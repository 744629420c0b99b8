"""Issue 15, point 8: contract values are bound as literals, names are fullmatched, capped and
reserved, gold tables have one owner; `lakehouse deploy` refuses a bad contract with one line."""

from __future__ import annotations

import copy
import shutil

import pytest
import yaml

from lakehouse.contract.dataset import load_contracts, parse_contract
from lakehouse.contract.model import parse_model
from lakehouse.deploy.views import render, sql_literal
from lakehouse.errors import ContractError
from tests.plugin import REPO

CLICKSTREAM = REPO / "domains" / "clickstream" / "clickstream.yaml"


def doc() -> dict:
    return copy.deepcopy(yaml.safe_load(CLICKSTREAM.read_text()))


@pytest.mark.parametrize(
    "name, problem",
    [
        ("_ledger", "'_ledger' is reserved: names starting with '_'"),
        ("pipeline_runs", "'pipeline_runs' is reserved: it is one of the kit's audit tables"),
        ("quality_results", "'quality_results' is reserved"),
        ("orders_quarantine", "'orders_quarantine' is reserved: '<dataset>_quarantine'"),
        ("clicks\n", "must be lower_snake_case"),  # `^...$` accepted the trailing newline
        ("x" * 65, "is 65 characters long: at most 64"),
    ],
)
def test_reserved_invalid_and_overlong_names_are_refused(name, problem):
    d = doc()
    d["name"] = name
    with pytest.raises(ContractError, match="name: ") as exc:
        parse_contract(d)
    assert problem in str(exc.value)
    d = doc()
    d["star"]["facts"][0]["name"] = name
    with pytest.raises(ContractError, match=r"star\.facts\[0\]\.name: "):
        parse_contract(d)


def test_a_trailing_newline_in_a_key_list_is_refused():
    d = doc()
    d["keys"] = ["event_id\n"]
    with pytest.raises(ContractError, match=r"keys\[0\]: 'event_id\\n' must be lower_snake_case"):
        parse_contract(d)


@pytest.mark.parametrize("bound", ["2000-01-01' OR true OR '", "1); DROP TABLE x; --", True])
def test_a_range_bound_that_is_not_a_value_of_its_columns_type_is_refused(bound):
    d = doc()
    rule = next(r for r in d["quality"] if r["check"] == "range")
    rule["min"] = bound
    with pytest.raises(ContractError, match=r"quality\[\d\]\.min: .* must be an ISO 8601 date or time"):
        parse_contract(d)


def test_a_numeric_bound_must_be_a_number():
    d = yaml.safe_load((REPO / "tests" / "fixtures" / "datasets" / "orders.yaml").read_text())
    d["quality"][0]["min"] = "0' OR '1'='1"
    with pytest.raises(
        ContractError, match=r"min: .* must be a number for a decimal\(10,2\) column|must be a number"
    ):
        parse_contract(d)


def test_gold_table_names_are_unique_across_contracts(tmp_path):
    shutil.copy(CLICKSTREAM, tmp_path / "clickstream.yaml")
    other = doc()
    other["name"] = "clicks_two"
    (tmp_path / "clicks_two.yaml").write_text(yaml.safe_dump(other))
    with pytest.raises(
        ContractError,
        match=r"clickstream\.yaml: star: table 'dim_users' is also defined by dataset 'clicks_two'",
    ):
        load_contracts(tmp_path)


def test_model_names_and_tables_are_reserved_too():
    model = yaml.safe_load((REPO / "domains" / "sales" / "models" / "sales.yaml").read_text())
    model["tables"][0]["name"] = "quality_results"
    with pytest.raises(ContractError, match=r"tables\[0\]\.name: 'quality_results' is reserved"):
        parse_model(model, "sales.yaml")


def test_view_parameters_are_bound_as_sql_literals(tmp_path):
    sql = "SELECT 1 WHERE x >= ${m.low} AND y = ${m.label} AND z = ${m.flag}"
    params = {"m": {"low": 5000, "label": "O'Brien' OR 1=1 --", "flag": True}}
    assert render(sql, tmp_path, params) == (
        "SELECT 1 WHERE x >= 5000 AND y = 'O''Brien'' OR 1=1 --' AND z = TRUE"
    )
    assert sql_literal([1]) is None and sql_literal(float("nan")) is None


@pytest.mark.parametrize(
    "edit, line",
    [
        (lambda d: d.update(name="_ledger"), "name: '_ledger' is reserved"),
        (lambda d: d.update(name="pipeline_runs"), "name: 'pipeline_runs' is reserved"),
        (
            lambda d: next(r for r in d["quality"] if r["check"] == "range").update(
                min="2000-01-01' OR '1'='1"
            ),
            "min: \"2000-01-01' OR '1'='1\" must be an ISO 8601 date or time",
        ),
    ],
    ids=["_ledger", "pipeline_runs", "quote-in-min"],
)
def test_deploy_refuses_a_bad_contract_with_one_line(settings, tmp_path, capsys, edit, line):
    from lakehouse.cli.commands import main

    d = doc()
    edit(d)
    (tmp_path / f"{d['name']}.yaml").write_text(yaml.safe_dump(d))
    code = main(["deploy", "--env", "local", "--project", "lhtest", "--domains", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and line in err, err


def test_a_csv_contract_refuses_a_nested_column_even_beside_a_column_with_formats():
    """A column's `formats` list once shadowed the source format in the parser, so a CSV contract with
    any formatted column skipped the scalar-type check and accepted an array column the job cannot read."""
    d = yaml.safe_load((REPO / "domains" / "sales" / "sales_orders.yaml").read_text())
    assert d["source"]["format"] == "csv" and any(c.get("formats") for c in d["columns"])
    d["columns"].append({"name": "tags", "type": "array<string>"})
    with pytest.raises(ContractError, match=r"CSV columns hold text: use a scalar type"):
        parse_contract(d, "sales_orders.yaml")
