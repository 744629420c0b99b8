"""Issue 15, point 10: the local endpoint and the local Athena trust nothing they did not start.

`lakehouse up` refuses a server on its port that it did not start (it would get the credentials and
request bodies of every later command) unless told `--reuse`; `lakehouse query` runs DuckDB with no
local file or network access but the environment's buckets, so a view stored in the catalog (which
anyone reaching the local endpoint can write) cannot read a local file.
"""

from __future__ import annotations

import http.server
import threading
from typing import ClassVar

import duckdb
import pytest

from lakehouse.aws.catalog import Catalog
from lakehouse.cli.commands import main
from lakehouse.engine.local import LocalEngine
from lakehouse.errors import QueryError
from tests.plugin import free_port

pytestmark = pytest.mark.endpoint


class Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self):
        Recorder.seen.append((self.path, self.headers.get("Authorization", "")))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"a foreign dev server")

    do_POST = do_PUT = do_GET

    def log_message(self, *args):
        pass


def test_up_refuses_a_port_held_by_a_server_it_did_not_start(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LAKEHOUSE_STATE_DIR", str(tmp_path))
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert main(["up", "--port", str(port)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"port {port} is held by a server `lakehouse up` did not start" in err
        assert "--reuse" in err
        assert all(auth == "" for _, auth in Recorder.seen)  # it was probed, never sent credentials
        assert main(["up", "--port", str(port), "--reuse"]) == 0
        assert "already answering, reused" in capsys.readouterr().out
    finally:
        server.shutdown()
        server.server_close()


def test_a_view_in_the_catalog_cannot_read_a_local_file(deployed, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET\n")
    catalog = Catalog(deployed)
    gold = deployed.database("gold")
    catalog.put_view(gold, "leak", f"SELECT content FROM read_text('{secret}')", [("content", "varchar", "")])
    # refused by the dialect (read_text is no Trino function) or, failing that, by the sandbox
    with pytest.raises(
        QueryError,
        match=r"views .*leak cannot be created locally: .*(not supported locally|Permission Error)",
    ):
        LocalEngine(deployed)
    catalog.glue.delete_table(DatabaseName=gold, Name="leak")

    engine = LocalEngine(deployed)
    try:
        # whatever SQL gets past the dialect, DuckDB itself reads no local file and no other URL
        for raw in (
            f"SELECT * FROM read_text('{secret}')",
            f"SELECT * FROM read_csv('{secret}')",
            f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'",
            f"ATTACH '{tmp_path / 'x.db'}'",
            "SELECT * FROM read_csv('http://127.0.0.1:1/x.csv')",
        ):
            with pytest.raises(duckdb.PermissionException):
                engine.con.execute(raw)
        with pytest.raises(duckdb.InvalidInputException, match="the configuration has been locked"):
            engine.con.execute("SET enable_external_access = true")
        for sql in (
            f"SELECT * FROM read_csv('{secret}')",
            f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'",
            f"ATTACH '{tmp_path / 'x.db'}'",
            "SELECT * FROM read_csv('http://127.0.0.1:1/x.csv')",
            "SET enable_external_access = true",
        ):
            with pytest.raises(QueryError):
                engine.query(sql)
        assert engine.query("SELECT count(*) FROM dim_date").rows[0][0] >= 0  # the buckets still read
    finally:
        engine.close()
    assert not (tmp_path / "out.csv").exists()
