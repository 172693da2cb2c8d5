"""Benchmark the sample-county generator at full size.

Run ``.venv/bin/python tests/benchmarks/bench_sample.py [--laborers N] [--vacancies M]
[--seed S] [--out DIR]`` (defaults: 1,000,000 laborers, 100,000 vacancies, a
temporary directory). Prints the wall time of each phase and in total, the rows
written and the peak resident memory (``ru_maxrss`` of this process and its
children). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sampledata.generator import AS_OF, SampleCounty, _apply_history, write_sample  # noqa: E402
from sampledata.geography import build_geography  # noqa: E402
from sampledata.history import simulate_history  # noqa: E402
from sampledata.laborers import make_ledger  # noqa: E402
from sampledata.vacancies import make_posts  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident set size of this process plus its children, MiB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laborers", type=int, default=1_000_000)
    parser.add_argument("--vacancies", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_sample_"))

    t_all = time.perf_counter()
    times: dict[str, float] = {}
    t = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    geo = build_geography(rng, args.laborers)
    times["geography"] = time.perf_counter() - t
    t = time.perf_counter()
    people, households = make_ledger(rng, args.laborers, geo, AS_OF)
    times["laborers"] = time.perf_counter() - t
    t = time.perf_counter()
    posts = make_posts(rng, args.vacancies, geo, AS_OF)
    times["vacancies"] = time.perf_counter() - t
    t = time.perf_counter()
    history = simulate_history(rng, people, posts, AS_OF)
    _apply_history(people, posts, history)
    from features.contract.vocab import EMPLOYED_STATUSES

    employed = np.isin(people["employment_status"].to_numpy(), EMPLOYED_STATUSES)
    households["zero_employment"] = (
        np.bincount(people["_hh"].to_numpy(), weights=employed, minlength=len(households)) == 0
    )
    times["placements"] = time.perf_counter() - t
    t = time.perf_counter()
    summary = write_sample(SampleCounty(geo, people, posts, households, history, args.seed), out)
    times["write csv"] = time.perf_counter() - t
    total = time.perf_counter() - t_all

    print(f"sample {args.laborers:,d} laborers x {args.vacancies:,d} vacancies, seed {args.seed}")
    for phase, seconds in times.items():
        print(f"  {phase:12s} {seconds:8.1f} s")
    print(f"  {'total':12s} {total:8.1f} s")
    for name, rows in summary.rows.items():
        size = summary.files[name].stat().st_size / 2**20
        print(f"  {name:12s} {rows:>10,d} rows {size:8.1f} MiB")
    print(f"  counties     {len(summary.counties)}")
    print(f"  peak RSS     {peak_rss_mb():8.0f} MiB (self + children)")
    print(f"  output       {out}")


if __name__ == "__main__":
    main()
