"""The garbage collector's pauses in a worker under the mixed load, with and without a settled heap.

Run (on a county built by ``bench_service.py``, which this script copies first)::

    .venv/bin/python -u tests/benchmarks/bench_gc.py --home DIR [--calls 2000]

Loads the application as a server worker does (the posts, the index, the run's people), then makes
``--calls`` calls in process in the proportions of ``bench_service.py``'s mix: 90 % suggestions of
random job seekers of the run, 5 % writes of a person (each read back at once), 5 % writes of a post.
Twice, each in a fresh process: once as loaded, once after ``service.api.main.settle_heap`` (what a
worker does after warm-up and after each swap). Prints, per collector generation, the passes, their
total and their longest pause in ms. A full pass (generation 2) holds the worker's interpreter lock
throughout: every request of that worker waits. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import collections
import gc
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))


def one(home_in: Path, calls: int, settle: bool, seed: int) -> None:
    from bench_calls import contract_rows, open_copy

    from service.api.main import settle_heap

    with tempfile.TemporaryDirectory() as tmp:
        app = open_copy(home_in, tmp)
        home = app.settings.home
        view = app.run_view
        if view is None:
            raise SystemExit("no published run in the county: run bench_service.py first")
        seekers = view.laborer_ids()
        app.suggestions(seekers[0], 5)
        if settle:
            settle_heap()
        rng = random.Random(seed)
        n = max(1, calls // 20)
        people = contract_rows(
            home / "sample" / "laborers.csv", "laborer_id", n, rng, lambda r: r["wants_job"] == "true"
        )
        posts = contract_rows(home / "sample" / "vacancies.csv", "vacancy_id", n, rng, lambda r: True)
        pauses: dict[int, list[float]] = collections.defaultdict(list)
        started = [0.0]

        def watch(phase: str, info: dict) -> None:
            if phase == "start":
                started[0] = time.perf_counter()
            else:
                pauses[info["generation"]].append((time.perf_counter() - started[0]) * 1000)

        gc.callbacks.append(watch)
        t0 = time.perf_counter()
        for _ in range(calls):
            app._followed_at = time.monotonic()  # noqa: SLF001 - no refresh thread here
            r = rng.random()
            if r < 0.05 and people:
                row = people.pop()
                wage = str(int(float(row.get("expected_wage") or 3000)) + 50)
                app.write_record("laborers", {**row, "expected_wage": wage})
                app.suggestions(row["laborer_id"], 5)
            elif r < 0.10 and posts:
                app.write_record("vacancies", {**posts.pop(), "openings": str(rng.randint(0, 9))})
            else:
                app.suggestions(rng.choice(seekers), 5)
        elapsed = time.perf_counter() - t0
        gc.callbacks.remove(watch)
        label = "settled heap (frozen after loading)" if settle else "heap as loaded"
        tracked, frozen = len(gc.get_objects()), gc.get_freeze_count()
        print(f"{label}: {calls} calls in {elapsed:.1f} s; objects tracked {tracked}, frozen {frozen}")
        for gen in (0, 1, 2):
            got = pauses.get(gen, [])
            longest = max(got, default=0.0)
            print(f"  generation {gen}: {len(got):4d} passes, {sum(got):7.1f} ms in all, longest {longest:6.1f} ms")


def main() -> None:
    from bench_calls import county_parser, require_county

    parser = county_parser(__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--one", choices=("plain", "settled"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.home, args.calls, args.one == "settled", args.seed)
        return
    require_county(args.home)
    for mode in ("plain", "settled"):
        cmd = [sys.executable, "-u", __file__, "--home", str(args.home), "--calls", str(args.calls)]
        subprocess.run([*cmd, "--seed", str(args.seed), "--one", mode], check=True)


if __name__ == "__main__":
    main()
