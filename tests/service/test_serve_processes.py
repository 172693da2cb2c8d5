"""``matcher serve --workers 2`` as real processes: freshness across workers, model swap without dropped requests.

A small county (800 people, 150 posts) is built in a temporary ``MATCHER_HOME``
by the ``matcher`` commands (sample, migrate, ingest, train, batch — run in one
child process, so the stack is imported once), an admin key is created and
``matcher serve --workers 2`` is started on a free loopback port. Then:

- a post that appears in some people's lists is closed with one
  ``PUT /vacancies/{id}``; one second later 40 requests on new connections
  (so both workers answer) never suggest it;
- ``matcher train`` runs while a thread keeps asking for suggestions: every
  answer is a 200, and once ``/health`` reports the new model version on
  every worker, answers are served under it.

The server's process group is always terminated at the end.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from features.contract.columns import SCHEMAS

ROOT = Path(__file__).resolve().parents[2]
MATCHER = str(ROOT / ".venv" / "bin" / "matcher")
if not Path(MATCHER).exists():  # an install elsewhere: the command next to this interpreter
    MATCHER = str(Path(sys.executable).with_name("matcher"))

LABORERS, VACANCIES, SEED = 800, 150, 7
WORKERS = 2
READY_TIMEOUT = 60.0
SWAP_TIMEOUT = 60.0

pytestmark = pytest.mark.slow

#: Runs the `matcher` commands given as JSON in one process; exit codes 0 and 3 (rows rejected) pass.
SETUP_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
from service.cli import app
for argv in json.loads(sys.argv[2]):
    code = app(args=argv, standalone_mode=False)
    if code not in (None, 0, 3):
        sys.exit(f"matcher {' '.join(argv)} exited with {code}")
"""


@dataclass
class Server:
    base: str
    key: str
    home: Path
    proc: subprocess.Popen[bytes]
    log: Path
    seekers: list[str]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def client(self, **kw: Any) -> httpx.Client:
        """A client that opens a new connection per request (the kernel spreads them over the workers)."""
        return httpx.Client(
            base_url=self.base,
            headers=self.headers,
            timeout=30.0,
            limits=httpx.Limits(max_keepalive_connections=0),
            **kw,
        )

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-n:]
        except OSError:
            return "(no server log)"


def _run(args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> str:
    proc = subprocess.run([MATCHER, *args], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode in ok, (
        f"matcher {' '.join(args)} → {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the server's whole process group (uvicorn's supervisor and its workers)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:  # workers left behind by a supervisor that died first
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


def _health(base: str) -> tuple[int, dict[str, Any]]:
    try:
        r = httpx.get(f"{base}/health", timeout=5.0)
    except httpx.HTTPError:
        return 0, {}
    try:
        body = r.json()
    except ValueError:
        body = {}
    return r.status_code, body if isinstance(body, dict) else {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("serve_home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    env["MATCHER_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    sample = home / "sample"
    steps = [
        [
            "sample",
            "--laborers",
            str(LABORERS),
            "--vacancies",
            str(VACANCIES),
            "--seed",
            str(SEED),
            "--out",
            str(sample),
        ],
        ["migrate"],
        *[["ingest", kind, str(sample / f"{kind}.csv")] for kind in ("laborers", "vacancies", "placements")],
        ["train", "--seed", str(SEED)],
        ["batch"],
        ["keys", "create", "--role", "admin", "--label", "test_serve_processes"],
    ]
    # the same commands as `matcher …` would run, in one process (one import of the stack, not eight)
    proc = subprocess.run(
        [sys.executable, "-c", SETUP_SCRIPT, str(ROOT), json.dumps(steps)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"set-up failed ({proc.returncode})\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    key = proc.stdout.strip().splitlines()[-1]
    assert key.startswith("mk_"), proc.stdout[-1000:]
    with (sample / "laborers.csv").open(encoding="utf-8") as fh:
        seekers = [row["laborer_id"] for row in csv.DictReader(fh) if row["wants_job"].strip().lower() == "true"]
    assert len(seekers) >= 20, "the sample has too few job seekers"

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = home / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [MATCHER, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed whole in the finally
        )
    srv = Server(base, key, home, proc, log, seekers)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            assert proc.poll() is None, f"matcher serve exited with {proc.returncode}\n{srv.log_tail()}"
            status, _ = _health(base)
            if status == 200:
                break
            assert time.monotonic() < deadline, f"/health not 200 within {READY_TIMEOUT:.0f} s\n{srv.log_tail()}"
            time.sleep(0.25)
        # both workers up (one that is still starting accepts nothing: the other answers /health alone)
        while srv.log_tail(10**7).count("Application startup complete") < WORKERS:
            assert proc.poll() is None, f"matcher serve exited with {proc.returncode}\n{srv.log_tail()}"
            assert time.monotonic() < deadline, (
                f"not every worker started within {READY_TIMEOUT:.0f} s\n{srv.log_tail()}"
            )
            time.sleep(0.25)
        ready_in_row = 0
        while ready_in_row < 10:  # and ready: 10 answers in a row on new connections are 200
            status, _ = _health(base)
            ready_in_row = ready_in_row + 1 if status == 200 else 0
            assert time.monotonic() < deadline, f"/health flaps after start\n{srv.log_tail()}"
            if status != 200:
                time.sleep(0.25)
        yield srv
    finally:
        _stop(proc)


def _recommend(client: httpx.Client, laborer_id: str, k: int = 5) -> httpx.Response:
    return client.get(f"/laborers/{laborer_id}/recommendations", params={"k": k})


def _ids(body: dict[str, Any]) -> list[str]:
    return [str(r["vacancy_id"]) for r in body.get("recommendations") or []]


def _vacancy_body(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The contract fields of a stored post (as GET answers it), with ``changes`` applied."""
    fields = {c.name for c in SCHEMAS["vacancies"]} - {"vacancy_id", "updated_at"}
    body = {k: v for k, v in record.items() if k in fields and v is not None and v != ""}
    body.update(changes)
    return body


def test_closed_post_leaves_every_worker_within_a_second(server: Server) -> None:
    with server.client() as client:
        holders: dict[str, list[str]] = {}
        for laborer_id in server.seekers[:120]:
            r = _recommend(client, laborer_id)
            assert r.status_code == 200, r.text
            for vacancy_id in _ids(r.json()):
                holders.setdefault(vacancy_id, []).append(laborer_id)
        assert holders, "no suggestions at all for the sample's job seekers"
        counts = Counter({v: len(p) for v, p in holders.items()})
        post, _ = counts.most_common(1)[0]
        people = holders[post]

        r = client.get(f"/vacancies/{post}")
        assert r.status_code == 200, r.text
        record = r.json()
        assert record.get("status") == "open", record
        r = client.put(f"/vacancies/{post}", json=_vacancy_body(record, status="closed"))
        assert r.status_code == 200, r.text
        r = client.get(f"/vacancies/{post}")
        assert r.status_code == 200 and r.json().get("status") == "closed", r.text

        time.sleep(1.0)
        seen: list[tuple[str, str]] = []
        for i in range(40):
            laborer_id = people[i % len(people)]
            r = _recommend(client, laborer_id)
            assert r.status_code == 200, r.text
            body = r.json()
            if post in _ids(body):
                seen.append((laborer_id, str(body.get("source"))))
        assert not seen, f"closed post {post} still suggested 1 s after the PUT in {len(seen)}/40 answers: {seen[:5]}"


def test_model_swap_drops_no_request(server: Server) -> None:
    status, health = _health(server.base)
    assert status == 200, health
    old = health.get("model_version")
    assert old, health

    stop = threading.Event()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    answered: list[tuple[float, dict[str, Any]]] = []

    def load() -> None:
        with server.client() as client:
            i = 0
            while not stop.is_set():
                laborer_id = server.seekers[i % len(server.seekers)]
                i += 1
                try:
                    r = _recommend(client, laborer_id)
                except httpx.HTTPError as exc:  # a refused or reset connection is a dropped request
                    statuses[0] += 1
                    failures.append(f"{laborer_id}: {type(exc).__name__}: {exc}")
                    continue
                statuses[r.status_code] += 1
                if r.status_code == 200:
                    answered.append((time.monotonic(), r.json()))
                elif len(failures) < 20:
                    failures.append(f"{laborer_id}: {r.status_code} {r.text[:300]}")
                time.sleep(0.005)  # steady, not flooding: `matcher train` shares the cores

    thread = threading.Thread(target=load, name="load", daemon=True)
    thread.start()
    try:
        time.sleep(0.5)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
        env["MATCHER_HOME"] = str(server.home)
        _run(["train", "--seed", str(SEED + 1)], env)

        # the new version on every worker: 10 /health answers in a row (new connections) name it
        deadline = time.monotonic() + SWAP_TIMEOUT
        new: str | None = None
        in_row = 0
        while in_row < 10:
            assert time.monotonic() < deadline, f"model_version still {old!r} after {SWAP_TIMEOUT:.0f} s"
            status, health = _health(server.base)
            version = health.get("model_version") if status == 200 else None
            if version and version != old and (new is None or version == new):
                new = version
                in_row += 1
            else:
                in_row = 0
                time.sleep(0.1)
        swapped_at = time.monotonic()
        time.sleep(1.0)  # keep the load running under the new version
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive()

    total = sum(statuses.values())
    assert total >= 20, f"only {total} requests sent during the swap"
    assert statuses == Counter({200: total}), f"requests failed during the model swap: {dict(statuses)} {failures[:5]}"
    after = [body for at, body in answered if at > swapped_at]
    assert after, "no answer after the swap"
    versioned = [body for body in after if "model_version" in body]
    if versioned:  # the answer names its model: every one after the swap is the new one
        assert {b["model_version"] for b in versioned} == {new}
    # answers after the swap are served (computed now or still-valid lists) and the health names the new model
    with server.client() as client:
        for laborer_id in server.seekers[:10]:
            r = _recommend(client, laborer_id)
            assert r.status_code == 200, r.text
            assert r.json().get("source") in ("run", "live")
    status, health = _health(server.base)
    assert status == 200 and health.get("model_version") == new, health


def test_the_server_log_never_holds_what_was_searched(server: Server) -> None:
    """A search by ID number or phone (``?q=``) leaves no trace of them in what ``matcher serve`` prints
    (the operator's journal: uvicorn's own access lines would carry the whole query) nor in its logs."""
    id_number, phone = "360322199107153318", "13912345678"
    with server.client() as client:
        for q in (id_number, phone):
            for _ in range(4):  # new connections: both workers
                r = client.get("/laborers", params={"q": q})
                assert r.status_code == 200, r.text
    time.sleep(1.5)  # the service's log is written in batches: a line reaches it at most about a second late
    printed = server.log.read_text(encoding="utf-8", errors="replace")
    logs = "".join(p.read_text(encoding="utf-8", errors="replace") for p in (server.home / "logs").glob("*"))
    assert "GET /laborers" in logs  # the app's own access log has the requests (by route, without the query)
    for secret in (id_number, phone):
        assert secret not in printed, f"{secret} printed by matcher serve:\n{printed[-2000:]}"
        assert secret not in logs, f"{secret} in the service's logs"
