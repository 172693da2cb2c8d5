"""The morning report: a real batch run on the small sample county, and hand-built tables with a known answer.

The published run comes from the session's trained county (``tests/matcher/conftest.py``:
2,500 laborers, 300 posts): its store and artifact are copied into a private
``MATCHER_HOME`` and ``run_batch`` runs once for this module.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from matcher.batch import report_charts
from matcher.batch.report import SHEETS, report_tables, write_report
from matcher.batch.report_data import ReportData, shortfall_category
from matcher.batch.report_tables import ALL, coverage, zero_households
from matcher.batch.runner import BatchOptions, run_batch
from matcher.batch.runs import RunDir, latest_run
from matcher.errors import MatcherError
from store import get_engine, get_settings, load_laborers


class Published(NamedTuple):
    run: RunDir
    engine: Engine
    home: Path


@pytest.fixture(scope="module")
def published(county, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("report_home")
    with sqlite3.connect(county.home / "matcher.db") as src, sqlite3.connect(home / "matcher.db") as dst:
        src.backup(dst)
    shutil.copytree(county.home / "artifacts", home / "artifacts")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCHER_HOME", str(home))
        mp.setenv("MATCHER_DATABASE_URL", f"sqlite:///{home / 'matcher.db'}")
        mp.delenv("MATCHER_POLICY", raising=False)
        get_settings.cache_clear()
        engine = get_engine()
        run = run_batch(engine, BatchOptions())
        yield Published(run, engine, home)
        engine.dispose()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def written(published: Published, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_report(published.run, tmp_path_factory.mktemp("report"), engine=published.engine)


def _sheet(path: Path, name: str) -> pd.DataFrame:
    """A report sheet as a frame with the English header row (row 2) as columns."""
    wb = load_workbook(path, read_only=True)
    rows = list(wb[name].iter_rows(values_only=True))
    wb.close()
    return pd.DataFrame(rows[2:], columns=rows[1])


def test_workbook_sheets_and_totals_equal_the_run(published: Published, written: list[Path]) -> None:
    book = written[0]
    assert book.suffix == ".xlsx"
    wb = load_workbook(book, read_only=True)
    assert wb.sheetnames == ["概要", *(s for s, _ in SHEETS.values()), "图表"]
    wb.close()
    record = published.run.record
    wants_job = len(load_laborers(published.engine, wants_job=True))

    counties = _sheet(book, "县区汇总")
    total = counties[counties["county code"] == ALL].iloc[0]
    served = int(total["people served (wants a job)"])
    assert served == record["people_served"] == wants_job
    with_3 = int(total["people with ≥ 3 suggestions"])
    short = int(total["people with a shortfall"])
    assert with_3 == record["people_with_3"]
    assert short == record["shortfalls"]
    assert with_3 + short == served  # ≥ 3 suggestions or a shortfall with a reason: everyone
    assert int(total["≥ 3 suggestions or a shortfall"]) == served
    by_county = counties[counties["county code"] != ALL]
    assert by_county["people served (wants a job)"].sum() == served

    towns = _sheet(book, "乡镇汇总")
    towns = towns[towns["county code"] != ALL]
    assert towns["people served (wants a job)"].sum() == served
    assert towns["people with ≥ 3 suggestions"].sum() == with_3
    categories = [c for c in towns.columns if str(c).startswith("shortfall: ")]
    assert towns[categories].to_numpy().sum() == short


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


def test_pngs_and_csvs_are_written_and_not_blank(written: list[Path]) -> None:
    from PIL import Image

    pngs = [p for p in written if p.suffix == ".png"]
    assert [p.name for p in pngs] == ["coverage.png", "flags.png", "supply_demand.png", "training.png", "exposure.png"]
    for png in pngs:
        assert png.stat().st_size > 15_000, png
        with Image.open(png) as im:
            assert im.width >= 600 and im.height >= 300
            colours = np.unique(np.asarray(im.convert("RGB")).reshape(-1, 3), axis=0)
            assert len(colours) > 20, png  # text and bars, not an empty canvas
    csvs = {p.stem: p for p in written if p.suffix == ".csv"}
    assert set(csvs) == set(SHEETS)
    county = pd.read_csv(csvs["coverage_county"], encoding="utf-8-sig", dtype={"county_code": str})
    assert county["county_code"].iloc[-1] == ALL


def test_charts_fall_back_to_english_without_a_cjk_font(
    published: Published, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A missing glyph would be a warning, and warnings are errors in this suite.
    monkeypatch.setattr(report_charts, "cjk_font", lambda: None)
    paths = write_report(published.run, tmp_path, engine=published.engine)
    assert all(p.exists() for p in paths)


def test_cli_report_latest_prints_the_paths(published: Published, tmp_path: Path) -> None:
    from service.cli import app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCHER_HOME", str(published.home))
        mp.setenv("MATCHER_DATABASE_URL", f"sqlite:///{published.home / 'matcher.db'}")
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["report", "latest", "--out", str(tmp_path / "out")])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    printed = [Path(line) for line in result.output.splitlines() if line.strip()]
    assert printed[0].name == f"report_{published.run.run_id}.xlsx"
    assert len(printed) == 1 + len(SHEETS) + 5
    assert all(p.exists() for p in printed)


def test_an_unpublished_run_is_refused(published: Published, tmp_path: Path) -> None:
    partial = RunDir("R1", tmp_path / "R1.partial", {"status": "running"})
    with pytest.raises(MatcherError, match="not published"):
        write_report(partial, tmp_path / "out", engine=published.engine)
    assert latest_run(published.home / "runs").run_id == published.run.run_id


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
