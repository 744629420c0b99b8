"""`lakehouse up && lakehouse deploy --env local` on a loaded machine: the probe waits, it does not give up.

What is under test is the CLI's endpoint probe between `up` and `deploy`. The deploy's Terraform apply
(about a minute, proven in tests/terraform/test_local_apply.py) is replaced by the tests' fast-path
deployer, which the same file shows creates the same resources, so twenty rounds fit in the suite.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from lakehouse.cli.commands import main
from lakehouse.local import endpoint
from tests.plugin import REPO, free_port

pytestmark = pytest.mark.endpoint


def test_up_then_deploy_succeeds_20_times_in_a_row_under_a_busy_loop(tmp_path, monkeypatch, capsys):
    from lakehouse.local import terraform
    from tests.support import fast_deploy as fast_path

    monkeypatch.setattr(
        terraform, "deploy", lambda settings: (f"{len(fast_path.deploy(settings))} resources", 0.0)
    )
    port = free_port()
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("LAKEHOUSE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{endpoint.HOST}:{port}")
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]  # both cores
    try:
        for i in range(20):
            assert main(["up", "--port", str(port)]) == 0, f"up, round {i}"
            code = main(["deploy", "--env", "local", "--project", "lhload"])
            assert code == 0, f"deploy, round {i}: {capsys.readouterr().err}"
    finally:
        for p in busy:
            p.kill()
            p.wait()
        endpoint.down(port)
    assert "not answering" not in capsys.readouterr().err
