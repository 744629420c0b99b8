"""The local AWS endpoint: moto in server mode on 127.0.0.1, started and stopped by PID.

`up` reuses the endpoint it started itself (its PID file names a live moto server); any other
server answering on the port is refused unless the user says it is theirs (`reuse=True`, the CLI's
`--reuse`: a user's LocalStack or moto), since every later command sends it the AWS credentials in the
environment and the request bodies. `down` stops only a server that `up` started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from lakehouse.errors import ForeignEndpoint
from lakehouse.jobs.process import pid_alive
from lakehouse.settings import env_float, env_str

__all__ = ["pid_alive"]

HOST = "127.0.0.1"  # never bind beyond loopback
DEFAULT_PORT = 4566


def state_dir() -> Path:
    path = Path(env_str("LAKEHOUSE_STATE_DIR"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pid_file(port: int) -> Path:
    return state_dir() / f"endpoint-{port}.pid"


@dataclass(frozen=True)
class Endpoint:
    url: str
    pid: int | None
    started: bool  # False when an endpoint was already answering and is reused


def answering(url: str, timeout: float = 0.5) -> bool:
    """True if anything speaks HTTP at url (any status counts: LocalStack and moto answer differently)."""
    try:
        urllib.request.urlopen(url, timeout=timeout)
        return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def probe_deadline_s() -> float:
    """How long `reachable` waits by default: LAKEHOUSE_ENDPOINT_DEADLINE_S (15 s)."""
    return env_float("LAKEHOUSE_ENDPOINT_DEADLINE_S")


def _probe(url: str, timeout: float) -> str:
    """answered | refused (nothing listens) | slow (no answer in time: busy, or still starting)."""
    try:
        urllib.request.urlopen(url, timeout=timeout)
        return "answered"
    except urllib.error.HTTPError:
        return "answered"
    except urllib.error.URLError as exc:
        return "refused" if isinstance(exc.reason, ConnectionRefusedError) else "slow"
    except ConnectionRefusedError:
        return "refused"
    except OSError:
        return "slow"


def reachable(url: str, deadline_s: float | None = None, refused_s: float = 2.0) -> bool:
    """Whether the endpoint answers, retried with growing timeouts until a deadline (`deadline_s`, by
    default probe_deadline_s()): a busy or just-started endpoint may miss one short probe and answer the
    next. A port where nothing listens is given `refused_s`, not the whole deadline."""
    deadline_s = probe_deadline_s() if deadline_s is None else deadline_s
    start = time.monotonic()
    end, timeout = start + deadline_s, 0.5
    while True:
        state = _probe(url, min(timeout, max(end - time.monotonic(), 0.1)))
        if state == "answered":
            return True
        now = time.monotonic()
        if now >= end or (state == "refused" and now - start >= refused_s):
            return False
        time.sleep(0.2)
        timeout = min(timeout * 2, 5.0)


def _is_moto(pid: int) -> bool:
    cmdline = Path(f"/proc/{pid}/cmdline")
    return not cmdline.exists() or b"moto.server" in cmdline.read_bytes()  # no /proc (macOS): trust the PID


def ours_alive(port: int) -> int | None:
    """The PID of the endpoint `up` started on port, if it still runs (and the PID was not reused)."""
    pid_file = _pid_file(port)
    try:
        pid = int(pid_file.read_text()) if pid_file.exists() else None
    except ValueError:
        pid = None
    return pid if pid and pid_alive(pid) and _is_moto(pid) else None


def up(port: int = DEFAULT_PORT, timeout: float = 20.0, reuse: bool = False) -> Endpoint:
    """Start moto on HOST:port and wait until it is ready. Reuses the endpoint `up` started before; a
    server it did not start is reused only with `reuse=True`, else ForeignEndpoint."""
    url = f"http://{HOST}:{port}"
    ours = ours_alive(port)
    if ours and reachable(url, timeout):  # ours, just busy: wait for it rather than start a second one
        return Endpoint(url, ours, started=False)
    if answering(url):
        if not reuse:
            raise ForeignEndpoint(
                f"port {port} is held by a server `lakehouse up` did not start (no live PID file in "
                f"{state_dir()}): not sending it AWS credentials. Stop it, pick another --port, or pass "
                "--reuse if it is your own LocalStack or moto"
            )
        return Endpoint(url, None, started=False)
    log = open(state_dir() / f"endpoint-{port}.log", "ab")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    _pid_file(port).write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _pid_file(port).unlink(missing_ok=True)
            raise RuntimeError(
                f"the local endpoint exited at start (code {proc.returncode}); see "
                f"{state_dir() / f'endpoint-{port}.log'}"
            )
        if answering(f"{url}/moto-api/", timeout=2.0):
            return Endpoint(url, proc.pid, started=True)
        time.sleep(0.1)
    stop_pid(proc.pid)
    raise RuntimeError(f"the local endpoint did not answer on {url} within {timeout:.0f}s")


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after timeout; reaps the process if it is our child."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        if not pid_alive(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def down(port: int = DEFAULT_PORT) -> bool:
    """Stop the endpoint that `up` started on port. Returns False when there was none of ours."""
    pid_file = _pid_file(port)
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    pid_file.unlink()
    if not pid_alive(pid):
        return False
    if not _is_moto(pid):
        return False  # the PID was reused by something else: not ours to stop
    stop_pid(pid)
    return True


def reset(url: str) -> None:
    """Wipe all state of a moto endpoint (tests use it between cases)."""
    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=5).read()
