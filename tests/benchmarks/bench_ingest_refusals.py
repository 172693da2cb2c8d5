"""How fast hostile files are refused: a header of 100,000 columns, a huge cell, a mixed-encoding file.

    .venv/bin/python tests/benchmarks/bench_ingest_refusals.py [--columns 100000] [--repeat 5]

Prints the wall time of each refusal (median of the repeats) and the size of what was written; the goal
for the absurd header is well under a second (it is refused from the header line, before parsing).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--columns", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from features.readers import UnusableFile
    from matcher.ingest import ingest_file
    from store import get_engine, migrate

    with tempfile.TemporaryDirectory(prefix="bench_refusals_") as tmp:
        root = Path(tmp)
        engine = get_engine(f"sqlite:///{root / 'store.db'}")
        migrate(engine)
        wide = root / "wide.csv"
        wide.write_text(",".join(f"c{i}" for i in range(args.columns)) + "\n" + ",".join("1" * args.columns) + "\n")
        mixed = root / "mixed.csv"
        lines = ["劳动力编号,姓名,所在县"] + [f"L{i},张三,永寿县" for i in range(20_000)]
        mixed.write_bytes(
            b"\n".join(line.encode("gbk" if i == 15_000 else "utf-8") for i, line in enumerate(lines)) + b"\n"
        )
        for name, path in (("absurd header", wide), ("mixed encoding", mixed)):
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                try:
                    ingest_file("laborers", path, engine=engine)
                except UnusableFile:
                    pass
                else:
                    raise SystemExit(f"{name}: not refused")
                times.append(time.perf_counter() - start)
            size, median = path.stat().st_size, 1000 * statistics.median(times)
            print(f"{name}: {size / 1e6:.1f} MB refused in {median:.0f} ms (median of {args.repeat})")

        huge = root / "huge.csv"
        huge.write_text("laborer_id,household_id,county,age\nL1,H1,永寿县," + "9" * 5_000_000 + "\n", encoding="utf-8")
        start = time.perf_counter()
        summary = ingest_file("laborers", huge, engine=engine)
        wall = time.perf_counter() - start
        rejects = summary.reject_file.stat().st_size if summary.reject_file else 0
        print(
            f"huge cell: {huge.stat().st_size / 1e6:.1f} MB input, {summary.rejected} row refused "
            f"in {1000 * wall:.0f} ms, rejects file {rejects / 1e6:.1f} MB (never larger than the input)"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
