"""Benchmark the geography layer: gazetteer load time and batch resolution.

Run ``.venv/bin/python tests/benchmarks/bench_geo.py [--rows N] [--places K]``.
Prints figures only; nothing is asserted.

The address frame is built from real names: ``K`` villages drawn at random
from the whole country, each written as a ledger would (one in five with the
village suffix shortened, 村委会 → 村; one in ten without the city), then
``N`` rows drawn from them with repetition.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from features.geo import Gazetteer, get_gazetteer  # noqa: E402

_COLD_LOAD = (
    "import time; t0 = time.perf_counter(); from features.geo import Gazetteer; "
    "t1 = time.perf_counter(); Gazetteer.load(); t2 = time.perf_counter(); "
    "print(f'{t1 - t0:.3f} {t2 - t1:.3f}')"
)


def cold_load_seconds() -> tuple[float, float]:
    """Import and load time in a fresh interpreter, seconds."""
    out = subprocess.run(
        [sys.executable, "-c", _COLD_LOAD], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def address_frame(gazetteer: Gazetteer, n_rows: int, n_places: int, seed: int) -> pd.DataFrame:
    """``n_rows`` ledger-style addresses drawn from ``n_places`` random villages."""
    rng = np.random.default_rng(seed)
    villages = np.flatnonzero(gazetteer.levels == 4)
    chosen = rng.choice(villages, size=n_places, replace=False)
    records = []
    for row in chosen:
        chain = {p.level: p.name for p in gazetteer.ancestors(gazetteer.code(int(row)))}
        village = str(gazetteer.names[row])
        if rng.random() < 0.2 and village.endswith("村委会"):
            village = village.removesuffix("委会")
        records.append(
            {
                "province": chain.get("province"),
                "city": None if rng.random() < 0.1 else chain.get("city"),
                "county": chain.get("county"),
                "town": chain.get("town"),
                "village": village,
            }
        )
    places = pd.DataFrame.from_records(records)
    return places.iloc[rng.integers(0, n_places, size=n_rows)].reset_index(drop=True)


def main() -> None:
    """Print load time and ``resolve_many`` throughput."""
    parser = argparse.ArgumentParser(description="geography benchmark")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--places", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import_s, load_s = cold_load_seconds()
    print(f"cold import of features.geo: {import_s:.3f} s")
    print(f"cold Gazetteer.load():       {load_s:.3f} s")

    t0 = time.perf_counter()
    gazetteer = get_gazetteer()
    print(f"in-process load:             {time.perf_counter() - t0:.3f} s")

    t0 = time.perf_counter()
    frame = address_frame(gazetteer, args.rows, args.places, args.seed)
    print(f"built {len(frame):,} rows from {args.places:,} villages in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    result = gazetteer.resolve_many(frame)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    gazetteer.resolve_many(frame)
    second = time.perf_counter() - t0

    resolved = (result["level"] == "village").mean()
    print(f"resolve_many, first call:    {first:.2f} s ({len(frame) / first:,.0f} rows/s)")
    print(f"resolve_many, warm memo:     {second:.2f} s ({len(frame) / second:,.0f} rows/s)")
    print(f"rows resolved to a village:  {resolved:.2%}")
    print(f"rows with anything unresolved: {(result['unresolved'].map(len) > 0).mean():.2%}")
    print(f"peak resident memory:        {_peak_rss_mb():,.0f} MB")


def _peak_rss_mb() -> float:
    import resource

    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
