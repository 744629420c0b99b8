"""`lakehouse up/down`: starts moto on loopback, reuses a running endpoint, stops only its own."""

from __future__ import annotations

import os
import subprocess

import pytest

from lakehouse.local import endpoint
from tests.plugin import free_port

pytestmark = pytest.mark.endpoint


def listening_addresses(pid: int) -> set[str]:
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=False).stdout
    return {line.split()[3] for line in out.splitlines() if f"pid={pid}," in line}


def test_up_reuse_down(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_STATE_DIR", str(tmp_path))
    port = free_port()
    first = endpoint.up(port)
    try:
        assert first.started and first.url == f"http://127.0.0.1:{port}"
        assert endpoint.answering(first.url + "/moto-api/")
        if os.path.exists("/usr/bin/ss") or os.path.exists("/bin/ss"):
            assert listening_addresses(first.pid) == {f"127.0.0.1:{port}"}
        again = endpoint.up(port)
        assert not again.started and again.pid == first.pid
    finally:
        assert endpoint.down(port)
    assert not endpoint.answering(first.url)
    assert not endpoint.down(port)  # nothing of ours left to stop


def test_down_leaves_a_foreign_endpoint_alone(tmp_path, monkeypatch, endpoint_url):
    monkeypatch.setenv("LAKEHOUSE_STATE_DIR", str(tmp_path))  # no PID file of ours here
    port = int(endpoint_url.rsplit(":", 1)[1])
    reused = endpoint.up(port, reuse=True)
    assert not reused.started
    assert not endpoint.down(port)
    assert endpoint.answering(endpoint_url)
