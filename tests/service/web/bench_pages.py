"""Time to first byte of the pages, and the weight of a person's card (a benchmark, not a test).

    .venv/bin/python tests/service/web/bench_pages.py --laborers 100000 --vacancies 20000 --loads 200

Builds a sample county in a temporary data directory (generate, ingest, train, one nightly run),
serves it with uvicorn on 127.0.0.1, logs a caseworker and an organiser in through the login form,
then loads a person's card (a different person each time) and the organiser's post list
``--loads`` times each, one request at a time, and prints p50 and p95 of the time to the first
byte, and the card's weight (HTML + the stylesheet + the script).
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))


def _build(home: Path, laborers: int, vacancies: int) -> tuple[object, dict[str, str], list[str]]:
    import sampledata
    from matcher.app import Application
    from matcher.batch.runner import BatchOptions, run_batch
    from matcher.settings import Settings
    from store.keys import create_key

    summary = sampledata.generate(laborers=laborers, vacancies=vacancies, seed=7, out=home / "sample")
    settings = Settings.load(home=home, database_url=f"sqlite:///{home / 'matcher.db'}")
    app = Application(settings)
    app.migrate()
    for kind in ("laborers", "vacancies", "placements"):
        app.ingest_file(kind, summary.files[kind])
    app.train()
    run_batch(app.engine, BatchOptions(full=True), today=app.today(), home=app.home, policy=app.policy)
    from store import load_laborers

    people = load_laborers(app.engine)
    county = str(people["county_code"].mode().iloc[0])
    keys = {role: create_key(app.engine, role=role, county_code=county)[1] for role in ("caseworker", "organizer")}
    ids = people.loc[(people["county_code"] == county) & people["wants_job"].astype(bool), "laborer_id"].tolist()
    return settings, keys, ids


def _login(client: httpx.Client, key: str) -> None:
    form = client.get("/login", headers={"Accept": "text/html"})
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"key": key, "login_token": token}, headers={"Accept": "text/html"})
    assert answer.status_code == 200, answer.text[:200]


def _ttfb(client: httpx.Client, path: str) -> float:
    start = time.perf_counter()
    with client.stream("GET", path, headers={"Accept": "text/html"}) as answer:
        next(answer.iter_raw(), None)
        elapsed = time.perf_counter() - start
        assert answer.status_code == 200, (path, answer.status_code)
    return elapsed * 1000


def _summary(name: str, times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    return f"{name}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms over {len(times)} loads"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laborers", type=int, default=100_000)
    parser.add_argument("--vacancies", type=int, default=20_000)
    parser.add_argument("--loads", type=int, default=200)
    args = parser.parse_args()
    from service.api.main import create_app

    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        t0 = time.perf_counter()
        settings, keys, ids = _build(Path(tmp), args.laborers, args.vacancies)
        print(f"county built in {time.perf_counter() - t0:.0f} s: {len(ids)} job seekers")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, follow_redirects=True, timeout=60) as cw:
                _login(cw, keys["caseworker"])
                rng = random.Random(0)
                _ttfb(cw, f"/people/{ids[0]}")  # warm-up
                cards = [_ttfb(cw, f"/people/{rng.choice(ids)}") for _ in range(args.loads)]
                html = cw.get(f"/people/{ids[0]}", headers={"Accept": "text/html"}).content
                assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
                weight = len(html) + sum(len(cw.get(a.decode()).content) for a in assets)
            with httpx.Client(base_url=base, follow_redirects=True, timeout=60) as org:
                _login(org, keys["organizer"])
                _ttfb(org, "/posts")
                posts = [_ttfb(org, "/posts") for _ in range(args.loads)]
        finally:
            server.should_exit = True
            thread.join(timeout=30)
        print(_summary("person's card", cards))
        print(_summary("organiser's post list", posts))
        print(f"person's card weight: {weight / 1024:.1f} KB (HTML + CSS + JS)")


if __name__ == "__main__":
    main()
