"""What one request of the service's mixed load costs, part by part, in process and one call at a time.

Run (on a county built by ``bench_service.py``, which this script copies first, so the county is left as it was)::

    .venv/bin/python -u tests/benchmarks/bench_calls.py --home DIR [--calls 300]

Prints the median and 95th percentile, in ms of one core, of:

- a read from last night's run (``Application.stored_suggestions``: the stored list re-checked and explained);
- a fresh list (``Application.suggestions_many`` for people marked changed since the run);
- a write of a person (a changed ``expected_wage``) and of a post (a changed ``openings``) through
  ``Application.write_record``, as an API ``PUT`` writes them;
- a snapshot patched with one post's openings, and with one post closed;
- the parts of a write: validating one record of each ledger, resolving one record's place.

The same numbers under the HTTP server and its mixed load are ``bench_service.py``'s; these say where a
request's time goes without the server, the other worker and the load generator. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def timed(name: str, fn: Callable[[Any], object], items: Sequence[Any]) -> None:
    """Time ``fn`` on each item after a warm-up on the first few (lazy loads and first-use caches)."""
    for item in items[:5]:
        fn(item)
    took = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        took.append((time.perf_counter() - t0) * 1000)
    report(name, took)


def report(name: str, took: list[float]) -> None:
    """One line: the median and 95th percentile of ``took`` (ms)."""
    took = sorted(took)
    p95 = took[min(len(took) - 1, int(0.95 * len(took)))]
    print(f"  {name:<52} median {statistics.median(took):7.2f} ms   p95 {p95:7.2f} ms   ({len(took)} calls)")


def contract_rows(path: Path, id_col: str, n: int, rng: random.Random, where: Callable[[dict], bool]) -> list[dict]:
    from features.contract.columns import SCHEMAS

    kind = "laborers" if id_col == "laborer_id" else "vacancies"
    fields = {c.name for c in SCHEMAS[kind]} - {"updated_at"}
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if where(r)]
    return [{k: v for k, v in r.items() if k in fields and v} for r in rng.sample(rows, min(n, len(rows)))]


def county_parser(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's arguments, starting with ``--home``: a county built by ``bench_service.py``."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="a county built by bench_service.py")
    return parser


def require_county(home: Path) -> None:
    if not (home / "bench_service.json").exists():
        raise SystemExit(f"{home}: not a county built by bench_service.py (run it with --home first)")


def open_copy(source: Path, tmp: str) -> Any:
    """The county at ``source`` copied into ``tmp`` (the original is left as it was), opened as the service
    opens it: an :class:`matcher.app.Application` on the copy's SQLite store."""
    from matcher.app import Application
    from matcher.settings import Settings

    home = Path(tmp) / "home"
    shutil.copytree(source, home, ignore=shutil.ignore_patterns("logs", "bench_*"))
    return Application(Settings.load(home=home, database_url=f"sqlite:///{home / 'matcher.db'}"))


def asgi_reads(settings: Any, laborer_ids: Sequence[str]) -> None:
    """The same reads through the API app in process (ASGI calls, no HTTP): with the fast path for the hot
    read (``service/api/hot.py``) and with the framework's route, in turn on the same people."""
    import asyncio

    from service.api.main import create_app
    from store.keys import create_key

    async def run() -> None:
        api = create_app(settings)
        async with api.router.lifespan_context(api):
            application = api.state.application
            application.warm_up()
            _, key = create_key(application.engine, role="admin", county_code=None, label="bench_calls")
            auth = (b"authorization", f"Bearer {key}".encode())

            async def get(laborer_id: str, query: bytes) -> int:
                path = f"/laborers/{laborer_id}/recommendations"
                scope = {
                    "type": "http",
                    "asgi": {"version": "3.0"},
                    "http_version": "1.1",
                    "method": "GET",
                    "scheme": "http",
                    "path": path,
                    "raw_path": path.encode(),
                    "query_string": query,
                    "root_path": "",
                    "headers": [(b"host", b"bench"), auth],
                    "client": ("127.0.0.1", 40000),
                    "server": ("127.0.0.1", 80),
                    "state": {},
                }
                sent: list[dict[str, Any]] = []

                async def receive() -> dict[str, Any]:
                    return {"type": "http.request", "body": b"", "more_body": False}

                async def send(message: dict[str, Any]) -> None:
                    sent.append(message)

                await api(scope, receive, send)
                return int(sent[0]["status"])

            # "via" is a parameter the route ignores and the fast path leaves to the framework
            for name, query in (("fast path", b"k=5"), ("framework's route", b"k=5&via=route")):
                for laborer_id in laborer_ids[:5]:
                    assert await get(laborer_id, query) == 200
                took = []
                for laborer_id in laborer_ids:
                    t0 = time.perf_counter()
                    await get(laborer_id, query)
                    took.append((time.perf_counter() - t0) * 1000)
                report(f"read through the API app, {name} (ASGI)", took)

    asyncio.run(run())


def main() -> None:
    parser = county_parser(__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    require_county(args.home)

    import pandas as pd

    from features.contract import validate_frame
    from features.places import attach_places
    from service.logs import close_json_logging

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        app = open_copy(args.home, tmp)
        home = app.settings.home
        view = app.run_view
        if view is None:
            raise SystemExit("no published run in the county: run bench_service.py first")
        seekers = view.laborer_ids()
        app.suggestions(seekers[0], 5)  # loads the snapshot and the run's people
        n = args.calls
        print(f"county {args.home}: {len(seekers)} job seekers in the run, {len(app.serving.posts)} posts")

        def run_read(laborer_id: str) -> object:
            app._followed_at = time.monotonic()  # noqa: SLF001 - no refresh thread here: the snapshot is current
            return app.stored_suggestions(laborer_id, 5)

        answered = [i for i in rng.sample(seekers, min(len(seekers), 2 * n)) if run_read(i) is not None][:n]
        timed("read from the run (k=5)", run_read, answered)
        asgi_reads(app.settings, answered)
        fresh = rng.sample(seekers, min(len(seekers), n))
        app._changes.laborers.update(fresh)  # noqa: SLF001 - as if each had been written since the run
        timed("fresh list (k=5)", lambda i: app.suggestions_many([(i, 5)]), fresh)

        people = contract_rows(
            home / "sample" / "laborers.csv", "laborer_id", n, rng, lambda r: r.get("wants_job") == "true"
        )
        posts = contract_rows(home / "sample" / "vacancies.csv", "vacancy_id", n, rng, lambda r: True)

        def write_person(row: dict) -> object:
            row = {**row, "expected_wage": str(int(float(row.get("expected_wage") or 3000)) + rng.choice((-50, 50)))}
            return app.write_record("laborers", row)

        def write_post(row: dict) -> object:
            return app.write_record("vacancies", {**row, "openings": str(rng.randint(1, 9))})

        timed("write of a person (PUT /laborers/{id}, in process)", write_person, people)
        timed("write of a post (PUT /vacancies/{id}, in process)", write_post, posts)

        serving = app.serving
        ids = [str(v) for v in rng.sample(list(serving.posts.ids), min(n, len(serving.posts)))]
        timed("snapshot patched: one post's openings", lambda v: serving.patched({v: (5, True)}, serving.seq), ids)
        timed("snapshot patched: one post closed", lambda v: serving.patched({v: (0, False)}, serving.seq), ids)

        for kind, rows in (("laborers", people), ("vacancies", posts)):
            frames = [pd.DataFrame([r], dtype=object) for r in rows]  # as an API write builds it
            timed(f"validating one record ({kind})", lambda f, kind=kind: validate_frame(kind, f), frames)
            valid = [validate_frame(kind, f).frame for f in frames]
            timed(f"resolving one record's place ({kind})", attach_places, [v for v in valid if len(v)])
        close_json_logging()  # the API app's log, batched into the copy's logs/: written out before it is removed


if __name__ == "__main__":
    main()
