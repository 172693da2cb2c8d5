"""One record written the way an API PUT writes it: where a single write's time goes.

Run: ``.venv/bin/python -u tests/benchmarks/bench_write.py [--laborers 20000] [--vacancies 1500] [--writes 200]``

Generates the sample county into a temporary SQLite store, then writes ``--writes`` posts one at a
time through :meth:`matcher.app.Application.write_record` (a changed openings count, as the service's
mixed load does) and prints the time per write (median and 95th percentile) and the stages that take
most of it (cProfile, cumulative). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laborers", type=int, default=20_000)
    parser.add_argument("--vacancies", type=int, default=1_500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    from matcher.app import Application
    from matcher.settings import Settings
    from sampledata import generate
    from store import load_vacancies

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        summary = generate(args.laborers, args.vacancies, args.seed, home / "sample")
        app = Application(Settings.load(home=home, database_url=f"sqlite:///{home / 'matcher.db'}"))
        app.migrate()
        for kind in ("laborers", "vacancies"):
            app.ingest_file(kind, summary.files[kind])
        posts = load_vacancies(app.engine).head(args.writes)
        rows = [
            {
                "vacancy_id": r.vacancy_id,
                "employer_id": r.employer_id,
                "kind": r.kind,
                "title": r.title,
                "openings": str(1 + n % 7),
                "county": r.county,
                "town": r.town,
                "village": r.village,
                "status": "open",
            }
            for n, r in enumerate(posts.itertuples())
        ]
        app.write_record("vacancies", rows[0])  # warm: caches, gazetteer, normaliser
        times = []
        for row in rows:
            started = time.perf_counter()
            app.write_record("vacancies", row)
            times.append((time.perf_counter() - started) * 1000)
        p50, p95 = np.percentile(times, [50, 95])
        print(f"{len(times)} one-record writes of a post: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        profile = cProfile.Profile()
        profile.enable()
        for row in rows[: min(50, len(rows))]:
            app.write_record("vacancies", row)
        profile.disable()
        stats = pstats.Stats(profile).sort_stats("cumulative")
        stats.print_stats(r"(features|matcher|store)/.*\.py", 12)


if __name__ == "__main__":
    main()
