"""The shape of the lists a nightly run publishes: scores that separate, k-consistent lists, wages.

Run: ``.venv/bin/python -u tests/benchmarks/bench_lists.py [--laborers 20000] [--vacancies 1500] [--seed 7]``

Generates the sample county, ingests it into a temporary SQLite store, trains, runs the full nightly
batch (k = 10) and prints, over the published suggestions:

* how many distinct scores they hold, and the share of lists in which two suggestions tie;
* the share of suggestions whose reasons say the wage is below the person's expectation
  (``低于期望``), overall and for people who would go out of their province;
* for ``--people`` random job seekers, whether ``recommend(k=5)`` is exactly the first five of
  ``recommend(k=10)`` (a lookup through :class:`matcher.lookup.Lookup`).

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laborers", type=int, default=20_000)
    parser.add_argument("--vacancies", type=int, default=1_500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--people", type=int, default=500, help="job seekers for the k=5 / k=10 check")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["MATCHER_HOME"] = str(home)
        os.environ.pop("MATCHER_DATABASE_URL", None)
        from matcher.artifact import train
        from matcher.batch.runner import BatchOptions, run_batch
        from matcher.batch.runs import read_table
        from matcher.ingest import ingest_file
        from matcher.lookup import Lookup
        from sampledata import generate
        from store import get_engine, load_laborers, migrate

        started = time.perf_counter()
        summary = generate(args.laborers, args.vacancies, args.seed, home / "sample")
        engine = get_engine(f"sqlite:///{home / 'matcher.db'}")
        migrate(engine)
        for kind in ("laborers", "vacancies", "placements"):
            ingest_file(kind, summary.files[kind], engine=engine)
        train(engine, home=home, seed=0)
        print(f"sample, ingest and train: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        run = run_batch(engine, BatchOptions(full=True, k=10), home=home)
        print(f"full batch: {time.perf_counter() - started:.1f} s (run {run.run_id})")
        sugg = read_table(run, "suggestions")
        people = load_laborers(engine, wants_job=True)
        print(f"suggestions: {len(sugg):,} for {sugg['laborer_id'].nunique():,} people")
        print(f"distinct scores: {sugg['score'].nunique():,}")
        tied = sugg.groupby("laborer_id")["score"].agg(lambda s: s.duplicated().any())
        print(f"lists in which two suggestions tie: {tied.mean():.1%}")
        below = sugg["reasons"].astype(str).str.contains("低于期望")
        far = set(people.loc[people["mobility"] == "nationwide", "laborer_id"])
        mine = sugg["laborer_id"].isin(far)
        print(
            f"suggestions saying the wage is below expectation: {below.mean():.1%} "
            f"(people who would leave the province: {below[mine].mean():.1%} of {int(mine.sum()):,})"
        )
        lookup = Lookup(engine, home=home)
        rng = np.random.default_rng(args.seed)
        seekers = people["laborer_id"].to_numpy()
        ids = list(rng.choice(seekers, size=min(args.people, len(seekers)), replace=False))
        five = {r.laborer_id: [s.vacancy_id for s in r.recommendations] for r in lookup.recommend(ids, k=5)}
        ten = {r.laborer_id: [s.vacancy_id for s in r.recommendations] for r in lookup.recommend(ids, k=10)}
        same = np.mean([five[i] == ten[i][: len(five[i])] and len(five[i]) == min(5, len(ten[i])) for i in ids])
        print(f"recommend(k=5) is the first five of recommend(k=10): {same:.1%} of {len(ids)} people")
        engine.dispose()


if __name__ == "__main__":
    main()
