"""How long a write waits for the store's write lock when two serving workers write at once.

Run (on a county built by ``bench_service.py``, which this script copies, so the county is left as it was)::

    .venv/bin/python -u tests/benchmarks/bench_write_lock.py --home DIR [--writes 300] [--rate 15]

Two processes, as ``matcher serve --workers 2`` has, each load the county and write ``--writes`` people (a
changed ``expected_wage``, through ``Application.write_record`` as an API ``PUT`` does) at about ``--rate``
a second each (random gaps), while a thread of each computes fresh lists without pause (the interpreter
lock is contended as in a busy worker). Twice, each time on a fresh copy: with SQLite's busy handler alone
(the writers' turns switched off), and with the writers taking turns (``store.engine.write_lock``, as
shipped). Prints, over both processes' writes, the wait for the turn and the lock (until the write
transaction has begun), the time the lock is held (until the commit) and the whole write, p50 / p90 / p99
/ max in ms. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def writer(home: Path, slot: int, turns: bool, writes: int, rate: float, seed: int, barrier: Any, out: Any) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_calls import contract_rows

    import matcher.ingest as ingest
    from matcher.app import Application
    from matcher.settings import Settings
    from store.engine import checkpoint, defer_checkpoints

    if not turns:
        ingest.write_lock = lambda engine: contextlib.nullcontext()  # SQLite's busy handler alone
    waits: list[float] = []
    holds: list[float] = []
    inner = ingest._write_turn

    @contextlib.contextmanager
    def timed_turn(engine: Any, on_wait: Any) -> Any:
        t0 = time.perf_counter()
        with inner(engine, on_wait) as got:
            t1 = time.perf_counter()
            waits.append((t1 - t0) * 1000)
            yield got
        holds.append((time.perf_counter() - t1) * 1000)

    ingest._write_turn = timed_turn
    rng = random.Random(seed)
    app = Application(Settings.load(home=home, database_url=f"sqlite:///{home / 'matcher.db'}"))
    app.warm_up()
    defer_checkpoints(app.engine)  # as a serving worker: checkpoints by a background thread
    people = contract_rows(
        home / "sample" / "laborers.csv", "laborer_id", 2 * writes, rng, lambda r: r.get("wants_job") == "true"
    )[slot::2]
    seekers = app.run_view.laborer_ids() if app.run_view is not None else []
    stop = threading.Event()

    def busy() -> None:  # fresh lists without pause: the interpreter lock is contended
        local = random.Random(seed + 1)
        while not stop.is_set():
            person = local.choice(seekers)
            app._changes.laborers.add(person)  # noqa: SLF001 - as if written since the run
            app.suggestions_many([(person, 5)])

    def background() -> None:
        while not stop.wait(1.0):
            checkpoint(app.engine)

    for target in (busy, background):
        threading.Thread(target=target, daemon=True).start()
    barrier.wait()
    took = []
    for i, row in enumerate(people):
        time.sleep(rng.expovariate(rate))
        wage = str(int(float(row.get("expected_wage") or 3000)) + 1 + (i + slot) % 50)
        t0 = time.perf_counter()
        app.write_record("laborers", {**row, "expected_wage": wage})
        took.append((time.perf_counter() - t0) * 1000)
    stop.set()
    out.put((waits, holds, took))


def pct(values: list[float]) -> str:
    v = sorted(values)
    n = len(v)
    return f"p50 {v[n // 2]:6.2f}  p90 {v[int(n * 0.9)]:6.2f}  p99 {v[min(n - 1, int(n * 0.99))]:6.2f}  max {v[-1]:7.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="a county built by bench_service.py")
    parser.add_argument("--writes", type=int, default=300, help="writes per process")
    parser.add_argument("--rate", type=float, default=15.0, help="writes a second per process (mean)")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    if not (args.home / "bench_service.json").exists():
        raise SystemExit(f"{args.home}: not a county built by bench_service.py (run it with --home first)")
    print(f"county {args.home}: 2 processes × {args.writes} writes of a person at ~{args.rate:g}/s each, ms")
    ctx = multiprocessing.get_context("spawn")
    for turns in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp) / "home"
            shutil.copytree(args.home, home, ignore=shutil.ignore_patterns("logs", "bench_*"))
            barrier, out = ctx.Barrier(2), ctx.Queue()
            procs = [
                ctx.Process(target=writer, args=(home, s, turns, args.writes, args.rate, args.seed + s, barrier, out))
                for s in range(2)
            ]
            for p in procs:
                p.start()
            got = [out.get() for _ in procs]
            for p in procs:
                p.join()
            waits = [w for g in got for w in g[0]]
            holds = [h for g in got for h in g[1]]
            took = [t for g in got for t in g[2]]
            label = "writers take turns (write_lock)" if turns else "SQLite's busy handler alone"
            print(f"  {label}")
            print(f"    wait for the lock   {pct(waits)}")
            print(f"    lock held           {pct(holds)}")
            print(f"    whole write         {pct(took)}   ({len(took)} writes)")


if __name__ == "__main__":
    main()
