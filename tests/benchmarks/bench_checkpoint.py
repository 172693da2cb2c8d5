"""What SQLite's checkpoints cost one-record writes: in the commits (SQLite's default) or beside them.

Run (on a county built by ``bench_service.py``, which this script copies, so the county is left as it was)::

    .venv/bin/python -u tests/benchmarks/bench_checkpoint.py --home DIR [--writes 400]

Writes ``--writes`` people (a changed ``expected_wage``, as an API ``PUT`` writes them) through
``Application.write_record`` twice, each time on a fresh copy of the county: once as SQLite does by default
(the commit that takes the write-ahead log past 1,000 pages checkpoints it), once as a serving worker does
(``store.engine.defer_checkpoints``, with a thread calling ``store.engine.checkpoint`` once a second, as the
service's refresh thread does). Prints the writes' p50 / p90 / p99 / max / mean in ms and the log's size at
the end. Prints figures; asserts nothing.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def run(source: Path, writes: int, seed: int, deferred: bool) -> None:
    from bench_calls import contract_rows, open_copy

    from store.engine import checkpoint, defer_checkpoints

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        app = open_copy(source, tmp)
        home = app.settings.home
        app.warm_up()
        stop = threading.Event()
        if deferred:
            defer_checkpoints(app.engine)

            def background() -> None:
                while not stop.wait(1.0):
                    checkpoint(app.engine)

            threading.Thread(target=background, daemon=True).start()
        people = contract_rows(
            home / "sample" / "laborers.csv", "laborer_id", writes, rng, lambda r: r.get("wants_job") == "true"
        )
        took = []
        for i, row in enumerate(people):
            wage = str(int(float(row.get("expected_wage") or 3000)) + 1 + i % 50)
            t0 = time.perf_counter()
            app.write_record("laborers", {**row, "expected_wage": wage})
            took.append((time.perf_counter() - t0) * 1000)
        stop.set()
        took.sort()
        n = len(took)
        wal = home / "matcher.db-wal"
        size = wal.stat().st_size / 2**20 if wal.exists() else 0.0
        label = "beside the commits (a serving worker)" if deferred else "in the commits (SQLite's default)"
        print(
            f"  checkpoints {label:<40} p50 {took[n // 2]:6.2f}  p90 {took[int(n * 0.9)]:6.2f}  "
            f"p99 {took[min(n - 1, int(n * 0.99))]:6.2f}  max {took[-1]:7.2f}  mean {statistics.fmean(took):6.2f} ms"
            f"   ({n} writes; log {size:.1f} MiB at the end)"
        )
        app.engine.dispose()


def main() -> None:
    from bench_calls import county_parser, require_county

    parser = county_parser(__doc__)
    parser.add_argument("--writes", type=int, default=400)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    require_county(args.home)
    print(f"county {args.home}: {args.writes} writes of a person, one at a time")
    for deferred in (False, True):
        run(args.home, args.writes, args.seed, deferred)


if __name__ == "__main__":
    main()
