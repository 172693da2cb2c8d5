"""A post whose title does not tell the occupation is stored without a code and listed for a clerk.

The normaliser answers ``unknown`` below its calibrated confidence (``features.occupations``,
``docs/occupations.md``); the ingest keeps such a post (nothing valid is lost), leaves its
``occupation_code`` empty with ``occupation_source = "unknown"``, and its summary names the posts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from matcher.ingest import ingest_file
from store import load_vacancies, migrate


def test_unclear_titles_are_stored_without_a_code_and_named_for_a_clerk(engine: Engine, tmp_path: Path) -> None:
    migrate(engine)
    path = tmp_path / "posts.csv"
    base = {"企业编号": "E1", "岗位类型": "企业", "招聘人数": 2, "所在县": "永寿县"}
    pd.DataFrame(
        [
            {"岗位编号": "P1", "岗位名称": "焊工（二保焊）", **base},
            {"岗位编号": "P2", "岗位名称": "急招！高薪诚聘，包吃住", **base},
            {"岗位编号": "P3", "岗位名称": "bartender", **base},
            {"岗位编号": "P4", "岗位名称": "若干名", **base},
        ]
    ).to_csv(path, index=False)
    summary = ingest_file("vacancies", path, engine=engine)
    assert (summary.inserted, summary.rejected) == (4, 0)
    stored = load_vacancies(engine).set_index("vacancy_id")
    assert stored.loc["P1", "occupation_code"] == "6-18-02-04" and stored.loc["P1", "occupation_source"] == "normalised"
    assert stored.loc["P3", "occupation_code"] == "4-03-02-09"  # an English title gets an honest answer
    for vid in ("P2", "P4"):
        assert pd.isna(stored.loc[vid, "occupation_code"]) and stored.loc[vid, "occupation_source"] == "unknown"
    assert [v for _, v, _ in summary.occupation_unknown] == ["P2", "P4"]
    line = next(line for line in summary.details() if "看不出职业" in line)
    assert "P2" in line and "P4" in line and "第3行" in line and "for a clerk" in line
