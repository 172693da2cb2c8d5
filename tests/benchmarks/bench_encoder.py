"""Encoder speed: fit on 200,000 laborers and 40,000 posts, transform 1,000,000 laborers.

Prints the figures (no assertion on time: the machines are shared). The frames are the
encoder tests' synthetic ones, with every person given a distinct skill set (the worst
case for the duplicate-document shortcut).

    .venv/bin/python -u tests/benchmarks/bench_encoder.py [--laborers 200000 --vacancies 40000 --transform 1000000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from models.encoder import PersonPostEncoder  # noqa: E402
from tests.models.test_encoder import TRADES, laborer_frame, vacancy_frame  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laborers", type=int, default=200_000)
    parser.add_argument("--vacancies", type=int, default=40_000)
    parser.add_argument("--transform", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(3)
    laborers, vacancies = laborer_frame(rng, args.laborers), vacancy_frame(rng, args.vacancies)
    pool = [w for _, words, _, _ in TRADES for w in words] + [f"技能{i}" for i in range(3000)]
    started = time.perf_counter()
    encoder = PersonPostEncoder().fit(laborers, vacancies)
    fit_seconds = time.perf_counter() - started
    many = pd.concat([laborer_frame(rng, 200_000)] * max(1, args.transform // 200_000), ignore_index=True)
    picks = np.array(pool, dtype=object)[rng.integers(0, len(pool), (len(many), 3))]
    many["skills"] = [list(row) for row in picks]
    started = time.perf_counter()
    vectors = encoder.transform_laborers(many)
    transform_seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"fit {args.laborers:,} laborers + {args.vacancies:,} posts: {fit_seconds:.1f} s")
    print(f"transform {len(many):,} laborers: {transform_seconds:.1f} s ({vectors.shape[1]} dimensions)")
    print(f"peak memory: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
