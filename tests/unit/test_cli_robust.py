"""The CLI on a closed pipe and against a slow endpoint: quiet, and patient within a deadline."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time

from lakehouse.local.endpoint import reachable
from tests.plugin import REPO, free_port


def test_output_to_a_closed_pipe_ends_quietly(tmp_path):
    export = tmp_path / "sales_orders_x.csv"
    export.write_text("ORDERNUMBER,ORDERDATE\n" + "".join(f"{i},2/24/2003 0:00\n" for i in range(50)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "lakehouse.cli.commands", "check", "sales_orders", str(export), "--json"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader went away (`| head` that has read enough)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) in (0, 1)
    assert "Traceback" not in err and "BrokenPipe" not in err, err


class _Slow(http.server.BaseHTTPRequestHandler):
    delay = 1.5  # longer than one 0.5 s probe

    def do_GET(self):
        time.sleep(self.delay)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_probe_waits_for_a_busy_endpoint_within_its_deadline():
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        t0 = time.monotonic()
        assert reachable(f"http://127.0.0.1:{port}", deadline_s=10)
        assert time.monotonic() - t0 >= 1.0
    finally:
        server.shutdown()
    t0 = time.monotonic()
    assert not reachable(f"http://127.0.0.1:{free_port()}", deadline_s=10, refused_s=1.0)
    assert time.monotonic() - t0 < 5  # nothing listens: no need to wait out the whole deadline
