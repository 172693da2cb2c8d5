"""The matching core's lookup and batch figures before and after a change, in one run.

Run::

    .venv/bin/python -u tests/benchmarks/bench_before_after.py --base f191e02 [--laborers 100000 --vacancies 20000]

Checks out ``--base`` into a temporary git worktree (sharing this tree's virtual environment), then
runs ``bench_match.py`` (single lookups) and ``bench_batch.py`` (full and incremental nightly batch)
from that tree and from this one, alternately, on the same sample county, and prints the figures side
by side with their ratio (after / before). Asserts nothing: the machines are shared, so read ratios of
one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Figures read from the benchmarks' output: (name, script, pattern with one number group).
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("train, s", "bench_match.py", r"train ([\d.]+) s"),
    ("lookup, ranking core p50, ms", "bench_match.py", r"ranking core.*?p50 ([\d.]+) ms"),
    ("lookup, ranking core p99, ms", "bench_match.py", r"ranking core.*?p99 ([\d.]+) ms"),
    ("lookup, store read to list p50, ms", "bench_match.py", r"full lookup.*?p50 ([\d.]+) ms"),
    ("lookup, store read to list p99, ms", "bench_match.py", r"full lookup.*?p99 ([\d.]+) ms"),
    ("full batch, s", "bench_batch.py", r"FULL batch: ([\d.]+) s"),
    ("incremental batch, s", "bench_batch.py", r"INCREMENTAL batch: ([\d.]+) s"),
)


def run(tree: Path, script: str, args: list[str]) -> str:
    cmd = [sys.executable, "-u", str(tree / "tests" / "benchmarks" / script), *args]
    print(f"$ {' '.join(cmd)}", flush=True)
    # The tree's own code first on the path, also for the `matcher` processes the batch benchmark starts
    # (the shared environment's editable install comes after the path).
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-4000:], sep="\n")
        raise SystemExit(f"{script} failed in {tree}")
    return done.stdout


def figure(text: str, pattern: str) -> float | None:
    found = re.search(pattern, text)
    return float(found.group(1)) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the git revision to compare against")
    parser.add_argument("--laborers", type=int, default=100_000)
    parser.add_argument("--vacancies", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="before_after_"))
    base = work / "base"
    subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base], cwd=ROOT, check=True)
    try:
        (base / ".venv").symlink_to(ROOT / ".venv")
        size = ["--laborers", str(args.laborers), "--vacancies", str(args.vacancies)]
        outputs: dict[tuple[str, str], str] = {}
        for script, extra in (("bench_match.py", ["--queries", str(args.queries)]), ("bench_batch.py", [])):
            for label, tree in (("before", base), ("after", ROOT)):
                home = work / f"{label}-{script}"
                outputs[(label, script)] = run(tree, script, [*size, *extra, "--home", str(home)])
                shutil.rmtree(home, ignore_errors=True)
        for (label, script), text in outputs.items():
            print(f"\n===== {label}: {script}\n{text}")
        print(f"\n{'figure':34} {'before':>10} {'after':>10} {'after/before':>13}")
        for name, script, pattern in FIGURES:
            b, a = figure(outputs[("before", script)], pattern), figure(outputs[("after", script)], pattern)
            ratio = f"{a / b:.2f}" if a is not None and b else "-"
            print(f"{name:34} {b if b is not None else '-':>10} {a if a is not None else '-':>10} {ratio:>13}")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
