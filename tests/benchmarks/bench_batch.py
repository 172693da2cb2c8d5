"""Benchmark the nightly batch: full run, incremental run after a small change, coverage, violations, memory.

Run::

    .venv/bin/python -u tests/benchmarks/bench_batch.py --laborers 200000 --vacancies 40000
    .venv/bin/python -u tests/benchmarks/bench_batch.py --laborers 1000000 --vacancies 100000

Builds the sample (or reuses ``--home`` with ``--reuse``), ingests, trains,
then times ``matcher batch --full``; changes 1 % of the laborers and 5 % of
the posts through the ordinary ingest path; times the incremental run.
Each batch runs as its own ``matcher batch`` process so its wall time and
peak memory (``/usr/bin/time``-style, from ``resource`` of the child) are
the batch's alone. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
MATCHER = str(ROOT / ".venv" / "bin" / "matcher")


def child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 3):
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}")
    return wall, proc.stdout


def build(home: Path, args: argparse.Namespace, env: dict[str, str]) -> None:
    out = home / "sample"
    wall, _ = run(
        [
            MATCHER,
            "sample",
            "--laborers",
            str(args.laborers),
            "--vacancies",
            str(args.vacancies),
            "--seed",
            str(args.seed),
            "--out",
            str(out),
        ],
        env,
    )
    print(f"sample: {wall:.1f} s")
    run([MATCHER, "migrate"], env)
    for kind in ("laborers", "vacancies", "placements"):
        wall, text = run([MATCHER, "ingest", kind, str(out / f"{kind}.csv")], env)
        print(f"ingest {kind}: {wall:.1f} s — {text.strip().splitlines()[-1][:120]}")
    wall, text = run([MATCHER, "train", "--seed", str(args.seed)], env)
    print(f"train: {wall:.1f} s — {text.strip().splitlines()[-1][:120]}")


def change(home: Path, args: argparse.Namespace, env: dict[str, str]) -> None:
    """1 % of laborers and 5 % of posts changed, sent through `matcher ingest` as a county office would."""
    seed = int(time.time())  # a different change on every call, also with --reuse
    rng = np.random.default_rng(seed)
    out = home / "sample"
    lab = pd.read_csv(out / "laborers.csv", dtype=str, keep_default_na=False)
    pick = lab.sample(frac=0.01, random_state=seed % 2**31)
    pick = pick.assign(
        expected_wage=(pd.to_numeric(pick["expected_wage"], errors="coerce").fillna(2500) + 300)
        .astype(int)
        .astype(str),
        updated_at=dt.datetime.now().strftime("%Y-%m-%dT%H:%M:%S"),
    )
    pick.to_csv(home / "changed_laborers.csv", index=False)
    vac = pd.read_csv(out / "vacancies.csv", dtype=str, keep_default_na=False)
    vpick = vac.sample(frac=0.05, random_state=seed % 2**31).copy()
    # A day's changes: most posts change their openings, some their wage, some close.
    what = rng.choice(["openings", "wage", "closed"], size=len(vpick), p=[0.6, 0.2, 0.2])
    openings = pd.to_numeric(vpick["openings"], errors="coerce").fillna(1).astype(int)
    vpick["openings"] = np.where(what == "openings", openings + rng.integers(1, 4, len(vpick)), openings).astype(str)
    wage = pd.to_numeric(vpick["wage_max"], errors="coerce").fillna(3000)
    vpick["wage_max"] = np.where(what == "wage", wage + 200, wage).astype(int).astype(str)
    vpick["status"] = np.where(what == "closed", "closed", vpick["status"])
    vpick["updated_at"] = dt.datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
    print(f"changed posts: {dict(zip(*np.unique(what, return_counts=True), strict=True))}")
    vpick.to_csv(home / "changed_vacancies.csv", index=False)
    for kind, name in (("laborers", "changed_laborers.csv"), ("vacancies", "changed_vacancies.csv")):
        wall, text = run([MATCHER, "ingest", kind, str(home / name)], env)
        print(f"re-ingest changed {kind}: {wall:.1f} s — {text.strip().splitlines()[-1][:100]}")


def violations(home: Path, env: dict[str, str]) -> int:
    """Re-check every published suggestion against the hard constraints, outside the batch code."""
    os.environ.update(env)
    from matcher.batch.runs import latest_run, read_table
    from matcher.prepare import prepare_people, prepare_posts
    from matcher.reach import eligible, pair_geo, ring_of
    from store import get_engine, get_settings, load_laborers, load_vacancies

    get_settings.cache_clear()
    engine = get_engine()
    run_dir = latest_run(Path(os.environ["MATCHER_HOME"]) / "runs")
    sugg = read_table(run_dir, "suggestions", columns=["laborer_id", "vacancy_id"])
    people = prepare_people(load_laborers(engine, ids=sugg["laborer_id"].unique().tolist()))
    posts = prepare_posts(load_vacancies(engine))
    pi = sugg["laborer_id"].map(people.position).to_numpy(dtype=np.int64)
    pj = sugg["vacancy_id"].map(posts.position).to_numpy(dtype=np.int64)
    geo = pair_geo(people, posts, pi, pj)
    ok = eligible(
        people, posts, pi, pj, ring_of(people, posts, pi, pj, geo), dt.date.fromisoformat(run_dir.record["today"])
    )
    return int((~ok).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--laborers", type=int, default=200_000)
    parser.add_argument("--vacancies", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="--home holds an ingested, trained store")
    parser.add_argument("--workers", type=int, default=0, help="also time a local Dask cluster of N workers")
    parser.add_argument(
        "--skip-full",
        action="store_true",
        help="with --reuse: take the full run's figures from the latest published run",
    )
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="bench_batch_"))
    env = {**os.environ, "MATCHER_HOME": str(home)}
    env.pop("MATCHER_DATABASE_URL", None)
    print(f"home: {home}")
    if not args.reuse:
        build(home, args, env)
    if args.skip_full:
        latest = (home / "runs" / "LATEST").read_text(encoding="utf-8").strip()
        record = json.loads((home / "runs" / latest / "run.json").read_text(encoding="utf-8"))
        full = record["timings"]["total"]
        print(f"FULL batch (latest published run {latest}): {full:.1f} s")
    else:
        full, text = run([MATCHER, "batch", "--full"], env)
        peak_full = child_peak_mb()
        print(f"FULL batch: {full:.1f} s wall, peak memory of the largest child so far {peak_full:,.0f} MB")
        print("   " + "\n   ".join(text.strip().splitlines()[-4:]))
        record = json.loads((home / "runs" / text.strip().splitlines()[-1] / "run.json").read_text(encoding="utf-8"))
    print(f"   timings: {record['timings']}")
    print(
        f"   people served {record['people_served']:,}; ≥3 suggestions {record['people_with_3']:,}; "
        f"shortfalls {record['shortfalls']:,}; ≥3 or shortfall with reason: {record['covered_share']:.2%}"
    )
    change(home, args, env)
    inc, text = run([MATCHER, "batch"], env)
    print(f"INCREMENTAL batch: {inc:.1f} s wall = {inc / full:.1%} of the full run")
    print("   " + "\n   ".join(text.strip().splitlines()[-4:]))
    if args.workers:
        wall, text = run([MATCHER, "batch", "--full", "--workers", str(args.workers)], env)
        print(f"FULL batch on a local Dask cluster of {args.workers} workers: {wall:.1f} s")
    print(f"hard-constraint violations among published suggestions: {violations(home, env)}")
    print(f"peak memory of the largest child process: {child_peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
