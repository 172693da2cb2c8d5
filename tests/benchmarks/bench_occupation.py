"""Accuracy and speed of the occupation normaliser on the labelled evaluation set.

Run: ``.venv/bin/python tests/benchmarks/bench_occupation.py [--n 20000]``

Prints top-1 and top-5 accuracy at each code level (1 = major group …
4 = detailed occupation) for all rows, for the rows a skill-table alias
covers and for the rows it does not (the honest part), then fit time and
batch throughput on ``--n`` distinct noisy titles built from the set.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from features.occupation_text import clean_title
from features.occupations import OccupationNormalizer
from features.skills import SkillTable
from features.taxonomy import Taxonomy, code_prefix

EVAL_PATH = Path(__file__).parents[2] / "features" / "data" / "occupation_eval.csv"


def accuracy_table(normalizer: OccupationNormalizer, frame: pd.DataFrame) -> pd.DataFrame:
    """Top-1 / top-5 accuracy per code level for the subsets all / in-table / not-in-table."""
    predictions = normalizer.normalize(frame["text"].tolist(), k=5)
    rows = []
    subsets = {
        "all": frame.index,
        "in_alias_table": frame.index[frame["in_alias_table"]],
        "not_in_alias_table": frame.index[~frame["in_alias_table"]],
    }
    for subset, index in subsets.items():
        for level in (1, 2, 3, 4):
            top1 = top5 = 0
            for i in index:
                gold = code_prefix(frame.at[i, "code"], level)
                got = [code_prefix(m.code, level) for m in predictions[i]]
                top1 += bool(got) and got[0] == gold
                top5 += gold in got
            n = max(len(index), 1)
            rows.append(
                {
                    "subset": subset,
                    "n": len(index),
                    "level": level,
                    "top1": round(top1 / n, 3),
                    "top5": round(top5 / n, 3),
                }
            )
    return pd.DataFrame(rows)


def load_eval(path: Path = EVAL_PATH) -> pd.DataFrame:
    """Read the evaluation CSV (``text, code, in_alias_table``)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["in_alias_table"] = frame["in_alias_table"].str.lower().eq("true")
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="titles for the speed test")
    args = parser.parse_args()

    start = time.perf_counter()
    taxonomy = Taxonomy.load()
    skills = SkillTable.load(taxonomy=taxonomy)
    normalizer = OccupationNormalizer().fit(taxonomy, skills)
    fit_seconds = time.perf_counter() - start

    frame = load_eval()
    table = accuracy_table(normalizer, frame)
    wide = table.pivot(index=["subset", "n"], columns="level", values=["top1", "top5"])
    wide.columns = [f"{kind}@L{level}" for kind, level in wide.columns]
    with pd.option_context("display.width", 160):
        print(f"evaluation set: {EVAL_PATH} ({len(frame)} rows)")
        print(wide.to_string())

    # Distinct raw titles so that no cache serves a repeat.
    texts = frame["text"].tolist()
    titles = [f"急招{texts[i % len(texts)]} {i}名" for i in range(args.n)]
    clean_title.cache_clear()
    start = time.perf_counter()
    normalizer.normalize(titles, k=5)
    seconds = time.perf_counter() - start
    print(f"fit (load + fit): {fit_seconds:.2f} s")
    print(f"normalize: {args.n} titles in {seconds:.2f} s = {args.n / seconds:,.0f} titles/s")


if __name__ == "__main__":
    main()
