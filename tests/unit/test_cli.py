"""CLI misuse: one clear line on stderr and exit 2, before anything touches an endpoint."""

from __future__ import annotations

import pytest

from lakehouse.cli.commands import main
from tests.plugin import REPO


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "clicks"], "unknown dataset 'clicks' (known: category_tree, clickstream"),
        (["run", "sales", "--snapshot-date", "2025-03-31"], "--snapshot-date is not an argument of 'sales'"),
        (
            ["run", "customer_features", "--snapshot-date", "31/03/2025"],
            "snapshot_date: must be a date, YYYY-MM-DD",
        ),
        (["run", "customer_features", "--snapshot-to", "2025-03-31"], "snapshot_to: needs snapshot_date"),
        (
            ["run", "customer_features", "--snapshot-date", "2025-03-31", "--snapshot-to", "2025-03-01"],
            "snapshot_to: 2025-03-01 is before snapshot_date 2025-03-31",
        ),
        (
            ["run", "customer_features", "--snapshot-date", "2020-01-01", "--snapshot-to", "2022-12-31"],
            "snapshot_to: 1096 days from 2020-01-01 to 2022-12-31: at most 366 per run",
        ),
        (["run", "customer_features", "--snapshot-date", "2999-01-01"], "2999-01-01 is in the future"),
        (["ingest", "nope", "x.json"], "unknown dataset 'nope'"),
        (["ingest", "clickstream", "/no/such/path"], "no such file or directory: /no/such/path"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["query"], "give either SQL or --file F"),
        (["query", "--file", "/no/such.sql"], "no such file: /no/such.sql"),
        (["query", "SELECT 1", "--format", "xml"], "invalid choice: 'xml'"),
        (["generate", "clickstream", "--out", "/tmp/x", "--days", "0"], "must be at least 1"),
        (
            ["generate", "user_activity", "--out", "/tmp/x", "--days", "30"],
            "--days does not apply to activity (it takes no sizing option)",
        ),
        (
            ["generate", "customer_features", "--out", "/tmp/x", "--start", "2025-01-01"],
            "--start does not apply to customer_features",
        ),
        (
            ["generate", "sales", "--out", "/tmp/x", "--events-per-hour", "9"],
            "--events-per-hour does not apply to sales",
        ),
        (["deploy", "--env", "prod"], "deploy applies the local environment only"),
        (["run", "clickstream", "--project", "Bad_Name"], "project 'Bad_Name' must be"),
    ],
)
def test_misuse_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and out == ""


def test_invalid_contract_is_one_line_and_exit_2(capsys, tmp_path):
    (tmp_path / "clickstream.yaml").write_text(
        (REPO / "domains" / "clickstream" / "clickstream.yaml")
        .read_text()
        .replace("keys: [event_id]", "keys: [evnt_id]")
    )
    code, _, err = run(capsys, "run", "clickstream", "--domains", str(tmp_path))
    assert code == 2
    assert err == f"error: {tmp_path / 'clickstream.yaml'}: keys: 'evnt_id' is not a declared column\n"


def test_endpoint_down_is_a_clear_failure(capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    code, _, err = run(capsys, "query", "SELECT 1")
    assert code == 1 and "not answering at http://127.0.0.1:9: run `lakehouse up`" in err


def test_generate_writes_files(capsys, tmp_path):
    code, out, _ = run(
        capsys, "generate", "clickstream", "--out", str(tmp_path), "--days", "1", "--events-per-hour", "5"
    )
    assert code == 0 and out.startswith("wrote 24 files")
