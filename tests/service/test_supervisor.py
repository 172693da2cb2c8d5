"""``matcher serve --workers N``'s supervisor as real processes: one socket per worker, restarts, clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from store.errors import EXIT_CODE

ROOT = Path(__file__).resolve().parents[2]
MATCHER = str(ROOT / ".venv" / "bin" / "matcher")
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pids(port: int, n: int) -> list[int]:
    """The serving pid of ``n`` requests, each on a new connection (the kernel picks the socket)."""
    out = []
    for _ in range(n):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            out.append(int(client.get("/").text))
    return out


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def test_workers_share_connections_restart_after_a_crash_and_stop_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "serve.log"
    code = (
        "from service.supervisor import serve_workers; "
        f"serve_workers('tests.service.supervisor_app:create_app', '127.0.0.1', {port}, {WORKERS})"
    )
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: log.read_text().count("Application startup complete") >= WORKERS, 60, "both workers up")
        first = _pids(port, 40)
        workers = set(first)
        assert len(workers) == WORKERS, f"connections reached {len(workers)} worker(s): {sorted(workers)}"
        assert min(first.count(p) for p in workers) >= 5  # shared out, not one worker holding most
        # heavy work in a worker's thread pool runs its math on one thread (each worker has a core)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            assert {client.get("/threads").text for _ in range(4)} == {"1"}

        victim = first[0]
        os.kill(victim, signal.SIGKILL)
        _wait(lambda: "died (exit code" in log.read_text(), 10, "the supervisor saw the death")
        _wait(lambda: log.read_text().count("Application startup complete") >= WORKERS + 1, 60, "a new worker")
        _wait(lambda: len(set(_pids(port, 20)) - {victim}) == WORKERS, 20, "two live workers answering")
        assert victim not in _pids(port, 20)

        now = set(_pids(port, 40))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not any(_alive(p) for p in now), "a worker outlived its supervisor"
        assert "stopped" in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_taken_port_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    env["MATCHER_HOME"] = str(tmp_path)
    try:
        done = subprocess.run(
            [MATCHER, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        holder.close()
    text = done.stdout + done.stderr
    assert done.returncode == EXIT_CODE["conflict"], text
    assert f"127.0.0.1:{port}" in text and "端口" in text and "--port" in text
    assert "Traceback" not in text
