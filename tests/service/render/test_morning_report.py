"""The morning report's files: workbook, CSV tables and PNG charts of a real batch run on the small sample county."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from matcher.batch.report_tables import ALL
from matcher.batch.runs import RunDir, latest_run
from matcher.errors import MatcherError
from service.render import report_charts
from service.render.report import SHEETS, write_report
from store import get_settings, load_laborers
from tests.matcher.conftest import Published


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
    county = pd.read_csv(csvs["coverage_county"], encoding="utf-8-sig", dtype={"县区代码": str})
    assert county.columns[0] == "县区代码"  # the workbook's Chinese headers, not the tables' column names
    assert county["县区代码"].iloc[-1] == ALL


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
    heading, *lines = [line for line in result.output.splitlines() if line.strip()]
    assert heading.startswith(f"批处理 {published.run.run_id} 的晨报已写入")  # Chinese first, then the files
    printed = [Path(line) for line in lines]
    assert printed[0].name == f"report_{published.run.run_id}.xlsx"
    assert len(printed) == 1 + len(SHEETS) + 5
    assert all(p.exists() for p in printed)


#: The place columns of the county sheet (a county's row and the totals row differ in these alone).
_PLACE = ["county code", "county"]


def test_one_countys_report_holds_that_county_alone(published: Published, tmp_path: Path) -> None:
    """``county_code``: the county's people and posts alone; its totals row equals its own row."""
    whole = _sheet(write_report(published.run, tmp_path / "all", engine=published.engine)[0], "县区汇总")
    county = str(next(c for c in whole["county code"] if str(c) != ALL))
    one = _sheet(
        write_report(published.run, tmp_path / "one", engine=published.engine, county_code=county)[0], "县区汇总"
    )
    assert set(map(str, one["county code"])) == {county, ALL}
    mine, total = (one[one["county code"].astype(str) == c].drop(columns=_PLACE) for c in (county, ALL))
    assert mine.reset_index(drop=True).equals(total.reset_index(drop=True))
    assert mine.reset_index(drop=True).equals(
        whole[whole["county code"].astype(str) == county].drop(columns=_PLACE).reset_index(drop=True)
    )


def test_an_unpublished_run_is_refused(published: Published, tmp_path: Path) -> None:
    partial = RunDir("R1", tmp_path / "R1.partial", {"status": "running"})
    with pytest.raises(MatcherError, match="not published"):
        write_report(partial, tmp_path / "out", engine=published.engine)
    assert latest_run(published.home / "runs").run_id == published.run.run_id
