"""The morning report's tables: a real batch run on the small sample county, and hand-built tables with a known answer.

The published run comes from the session's trained county (``tests/matcher/conftest.py``:
2,500 laborers, 300 posts): its store and artifact are copied into a private
``MATCHER_HOME`` and ``run_batch`` runs once for this module. The files a
person opens (workbook, CSV, charts) are tested in
``tests/service/render/test_morning_report.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from matcher.batch.report_build import report_tables
from matcher.batch.report_data import ReportData, shortfall_category
from matcher.batch.report_tables import ALL, coverage, zero_households
from matcher.batch.runs import RunDir
from tests.matcher.conftest import Published


def test_tables_agree_with_the_run_and_the_store(published: Published) -> None:
    data, t = report_tables(published.run, published.engine)
    record = published.run.record
    people = data.people
    assert len(people) == record["people_served"] and people["laborer_id"].is_unique
    assert (people["town"] != "（未识别）").all()

    # Supply: the openings of every suggestible post with an occupation, counted once in the run-wide block.
    sd = t.supply_demand[t.supply_demand["county_code"] == ALL]
    open_posts = data.posts[data.posts["suggestible"] & (data.posts["openings"] > 0)]
    assert sd["openings"].sum() == open_posts.loc[open_posts["occupation_code"].notna(), "openings"].sum()
    assert sd["seekers"].max() <= len(people)
    assert set(sd["balance"]) <= {"岗多人少", "人多岗少", "大致平衡"}
    more_posts = sd[sd["balance"] == "岗多人少"]
    assert (more_posts["openings"] >= 2 * more_posts["seekers"]).all()
    groups = t.supply_demand_groups[t.supply_demand_groups["county_code"] == ALL]
    assert groups["openings"].sum() == sd["openings"].sum()
    assert groups["occupation_code"].str.endswith("-00-00").all()

    # Training: only for people who want it; every course named in a training flag is listed.
    training = t.training[t.training["county_code"] == ALL]
    assert training["suggested"].max() <= int(people["wants_training"].sum())
    assert len(training) and (training["first_choice"] <= training["suggested"]).all()

    # Flags: the people per kind equal the run's flags table.
    flags = t.flags[t.flags["county_code"] == ALL].set_index("kind")["people"]
    for kind, n in data.flags.groupby("kind")["laborer_id"].nunique().items():
        assert flags[kind] == n

    # Exposure: the published lists and the plain top-k reproduce the run record's statistics.
    exp = t.exposure
    assert exp["exposure_with"].sum() == record["suggestions"]
    assert exp["per_opening_with"].max() == pytest.approx(record["exposure_with"]["exposure_per_opening_max"])
    assert exp["per_opening_without"].max() == pytest.approx(record["exposure_without"]["exposure_per_opening_max"])
    assert exp["per_opening_with"].max() <= exp["per_opening_without"].max()

    items = dict(zip(t.run_record["item_en"], t.run_record["value"], strict=True))
    assert items["run_id"] == published.run.run_id and "timings.total" in items


def _hand_data() -> ReportData:
    """Five people of two towns; households H1 (two members, nothing suggested), H2, H3 zero-employment."""
    people = pd.DataFrame(
        {
            "laborer_id": ["A", "B", "C", "D", "E"],
            "county_code": ["610426"] * 5,
            "county": ["永寿县"] * 5,
            "town_code": ["T1", "T1", "T1", "T2", "T2"],
            "town": ["马坊镇", "马坊镇", "马坊镇", "常宁镇", "常宁镇"],
            "village": ["罗家村", "罗家村", "何家村", "果纳村", "果纳村"],
            "household_id": ["H1", "H1", "H2", "H3", "H4"],
            "n_suggestions": [0, 0, 10, 0, 3],
            "shortfall": ["no_posts", "few_posts", None, "limits", None],
            "shortfall_reason": ["无岗位", "不足3个", None, "年龄不符", None],
            "wants_training": [False, True, False, False, True],
            "flag_public_welfare": [True, False, False, True, False],
            "flag_home_based": [False] * 5,
            "flag_training": [False, True, False, False, False],
            "flag_business": [False] * 5,
        }
    )
    households = pd.DataFrame(
        {"household_id": ["H1", "H2", "H3"], "members": [3, 1, 2], "zero_employment": [True, True, True]}
    )
    run = RunDir("R0", Path("."), {"status": "complete", "options": {"k": 10}})
    return ReportData(
        run, people, pd.DataFrame(columns=["laborer_id", "kind", "reasons", "suggest"]), pd.DataFrame(), households
    )


def test_coverage_and_households_have_the_known_answer() -> None:
    data = _hand_data()
    towns = coverage(data, "town").set_index("town")
    assert towns.loc[
        "马坊镇", ["served", "with_3", "with_0", "shortfall", "zero_households", "zero_households_without"]
    ].tolist() == [3, 1, 2, 2, 2, 1]
    assert towns.loc[
        "常宁镇", ["served", "with_3", "with_0", "shortfall_limits", "flag_public_welfare", "zero_households_without"]
    ].tolist() == [2, 1, 1, 1, 1, 1]
    total = towns.loc[ALL]
    assert total["served"] == 5 and total["zero_households"] == 3 and total["zero_households_without"] == 2
    assert total["share_with_3"] == pytest.approx(0.4)

    homes = zero_households(data)
    assert homes["household_id"].tolist() == ["H3", "H1"]  # sorted by town, village: 常宁镇 before 马坊镇
    h1 = homes.set_index("household_id").loc["H1"]
    assert h1["members_in_run"] == 2 and h1["member_ids"] == "A、B" and h1["members"] == 3
    assert h1["flags"] == "公益性岗位托底、技能培训" and h1["shortfall_reason"] == "无岗位；不足3个"


@pytest.mark.parametrize(
    ("reason", "key"),
    [
        ("within reach of a person who cannot leave home there are no open posts", "no_posts"),
        (
            "within reach of a person who stays in the township there are only 5 open posts, 4 of them closed by age "
            "or physical limits",
            "limits",
        ),
        ("within reach of a person who stays in the village there are only 2 open posts (all listed)", "few_posts"),
        ("", "other"),
    ],
)
def test_shortfall_categories(reason: str, key: str) -> None:
    assert shortfall_category(reason) == key
