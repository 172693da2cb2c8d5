"""Matching quality on a realistic sample county: the full pipeline against the baselines.

Run: ``.venv/bin/python tests/benchmarks/bench_quality.py [--laborers 20000] [--vacancies 1500] [--seed 7]``

Generates the sample county, ingests it into a temporary SQLite store,
runs :func:`matcher.evaluate.evaluate_store` (held-out last post turned to per
person, or with ``--target hired`` the last hire; all eligible posts replayed)
and prints the table, the extra figures and the time of each step.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from matcher.evaluate import evaluate_store
from matcher.ingest import ingest_file
from sampledata import generate
from store import get_engine, migrate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laborers", type=int, default=20_000)
    parser.add_argument("--vacancies", type=int, default=1_500)
    parser.add_argument("--seed", type=int, default=7, help="sample county seed")
    parser.add_argument("--eval-seed", type=int, default=0, help="evaluation seed")
    parser.add_argument("--max-people", type=int, default=None)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--target", choices=("turned", "hired"), default="turned")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        summary = generate(args.laborers, args.vacancies, args.seed, Path(tmp) / "sample")
        print(f"sample: {summary.rows} in {time.perf_counter() - started:.1f}s")
        engine = get_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        started = time.perf_counter()
        for kind in ("laborers", "vacancies", "placements"):
            ingest_file(kind, summary.files[kind], engine=engine)
        print(f"ingest: {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        report = evaluate_store(
            engine, seed=args.eval_seed, max_people=args.max_people, folds=args.folds, target=args.target
        )
        print(report.format())
        print(f"evaluate_store wall time: {time.perf_counter() - started:.1f}s")
        engine.dispose()


if __name__ == "__main__":
    main()
