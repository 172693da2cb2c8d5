"""Benchmark job-fair shortlists: assignment (min-cost flow) against independent top-k, and the time at scale.

Run (one run, both parts; the large store takes ~10 minutes to build)::

    .venv/bin/python tests/benchmarks/bench_fair.py
    .venv/bin/python tests/benchmarks/bench_fair.py --large-home /tmp/fairbig --reuse-large   # reuse a built store

Part 1, the sample county (``sampledata.generate`` 6,000 laborers / 600 posts →
ingest → ``matcher.artifact.train`` in a temporary ``MATCHER_HOME``): a fair of
every open market post of the county, candidates the county's job seekers.
Both shortlists are chosen from the same scored, eligible pairs; top-k takes
each person's 3 best posts, then the best pairs overall until it has as
many invitations as the assignment. Printed: zero-employment households with
≥ 1 invitation, the largest invitations per opening, the Gini of invitations
over posts, and expected hires (hire probabilities summed per post, capped by
its openings).

Part 2, the time: ``--large-laborers`` (default 400,000, ≈ 50,000 job seekers
over the sample's 8 counties) and a fair of 500 open market posts drawn at
random from those counties; every job seeker of every county is a candidate
(those who cannot reach the venue keep only home-style posts). Printed: load,
scoring (hard constraints + ranker), solver, reasons, and the same figures.
No assertions: figures are printed, the machines are shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def build(home: Path, laborers: int, vacancies: int, seed: int) -> None:
    from matcher.artifact import train
    from matcher.ingest import ingest_file
    from sampledata import generate
    from store import get_engine, migrate

    t0 = time.perf_counter()
    generate(laborers=laborers, vacancies=vacancies, seed=seed, out=home / "sample")
    engine = get_engine()
    migrate(engine)
    for kind in ("laborers", "vacancies", "placements"):
        ingest_file(kind, home / "sample" / f"{kind}.csv", engine=engine)
    train(engine, home=Path(os.environ["MATCHER_HOME"]), seed=seed)
    print(f"  built {laborers:,} laborers / {vacancies:,} posts in {time.perf_counter() - t0:.0f} s ({home})")


def use_home(home: Path) -> None:
    os.environ["MATCHER_HOME"] = str(home)
    os.environ.pop("MATCHER_DATABASE_URL", None)
    from store import dispose_engines, get_settings

    dispose_engines()
    get_settings.cache_clear()


def show(sl: object) -> None:
    m, b = sl.metrics, sl.baseline  # type: ignore[attr-defined]
    rows = [
        (
            "zero-employment households with ≥1 invitation",
            f"{m.zero_households} / {m.zero_households_eligible}",
            f"{b.zero_households}",
            "higher",
        ),
        ("households with ≥1 invitation", m.households, b.households, "higher"),
        ("largest invitations per opening", f"{m.max_per_opening:.2f}", f"{b.max_per_opening:.2f}", "lower"),
        ("Gini of invitations over posts", f"{m.gini_posts:.3f}", f"{b.gini_posts:.3f}", "lower"),
        (
            "expected hires (capped by openings)",
            f"{m.expected_hires:.1f}",
            f"{b.expected_hires:.1f}",
            f"{(m.expected_hires / b.expected_hires - 1) * 100:+.1f} % (≥ -5 %)" if b.expected_hires else "",
        ),
        ("invitations", m.invitations, b.invitations, "same"),
        ("people invited", m.people, b.people, ""),
    ]
    print(f"  {'':48s} {'assignment':>14s} {'top-k':>10s}")
    for name, a, c, want in rows:
        print(f"  {name:48s} {a!s:>14s} {c!s:>10s}   {want}")
    t = sl.timings  # type: ignore[attr-defined]
    print("  time: " + ", ".join(f"{k} {v:.1f} s" for k, v in t.items()))


def part1(seed: int) -> None:
    from matcher.fair.model import create_fair
    from matcher.fair.shortlist import build_shortlist
    from store import get_engine

    home = Path(tempfile.mkdtemp(prefix="bench_fair_"))
    use_home(home)
    print("== part 1: the sample county (6,000 laborers, 600 posts)")
    build(home, 6000, 600, seed)
    engine = get_engine()
    county = str(
        engine.connect()
        .exec_driver_sql("SELECT county_code FROM vacancies GROUP BY county_code ORDER BY COUNT(*) DESC LIMIT 1")
        .scalar()
    )
    fair = create_fair(engine, name="样本县专场", date=dt.date.today(), place="县城", county=county)
    sl = build_shortlist(engine, fair.fair_id)
    print(
        f"  fair {fair.fair_id}: {len(fair.vacancy_ids)} posts, {int(sl.booths['openings'].sum()):,} openings, "
        f"{sl.candidates:,} candidates"
    )
    show(sl)


def part2(home: Path, laborers: int, reuse: bool, seed: int, posts: int) -> None:
    from matcher.fair.model import FAIR_KINDS, create_fair
    from matcher.fair.shortlist import build_shortlist
    from store import get_engine, load_vacancies

    use_home(home)
    print(f"== part 2: time for {posts} posts against every job seeker of a {laborers:,}-laborer sample")
    if not reuse:
        home.mkdir(parents=True, exist_ok=True)
        build(home, laborers, laborers // 100, seed)
    engine = get_engine()
    vac = load_vacancies(engine, status="open")
    market = vac[vac["kind"].isin(FAIR_KINDS) & (vac["openings"].fillna(0) > 0) & vac["county_code"].notna()]
    county = str(market["county_code"].mode().iloc[0])
    rng = np.random.default_rng(seed)
    ids = rng.choice(market["vacancy_id"].to_numpy(), size=min(posts, len(market)), replace=False).tolist()
    with engine.connect() as conn:
        counties = sorted(
            str(c)
            for c in conn.exec_driver_sql(
                "SELECT DISTINCT county_code FROM laborers WHERE county_code IS NOT NULL"
            ).scalars()
        )
    fair = create_fair(engine, name="大型专场", date=dt.date.today(), place="县城", county=None, vacancy_ids=ids)
    t0, c0 = time.perf_counter(), time.process_time()
    sl = build_shortlist(engine, fair.fair_id, counties=counties)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"  fair {fair.fair_id} at {county}: {len(ids)} posts, {int(sl.booths['openings'].sum()):,} openings, "
        f"{sl.candidates:,} candidates from {len(counties)} counties"
    )
    show(sl)
    shortlist_s = sum(v for k, v in sl.timings.items() if k != "load")
    print(
        f"  shortlist without loading the store and model: {shortlist_s:.1f} s; end to end {total:.1f} s "
        f"(CPU time of this process {cpu:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--large-laborers", type=int, default=400_000)
    parser.add_argument("--large-posts", type=int, default=500)
    parser.add_argument("--large-home", type=Path, default=None)
    parser.add_argument("--reuse-large", action="store_true", help="--large-home already holds a trained store")
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    part1(args.seed)
    if not args.skip_large:
        home = args.large_home or Path(tempfile.mkdtemp(prefix="bench_fair_large_"))
        part2(home, args.large_laborers, args.reuse_large, args.seed, args.large_posts)


if __name__ == "__main__":
    main()
