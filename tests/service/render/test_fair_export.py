"""A fair's shortlist workbook and page on the trained sample county: written, filled in by hand, ingested, reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook

from matcher.fair.model import create_fair
from matcher.fair.report import fair_report
from matcher.fair.shortlist import build_shortlist
from matcher.ingest import ingest_file
from service.render.fair_export import write_outputs
from service.render.fair_report import report_lines
from tests.matcher.conftest import TODAY

COUNTY = "610426"


def test_workbook_round_trip_and_report(county_copy, tmp_path: Path) -> None:
    engine = county_copy.engine
    day = TODAY - dt.timedelta(days=1)
    fair = create_fair(engine, name="马坊镇专场", date=day, place="马坊镇", county=COUNTY)
    sl = build_shortlist(engine, fair.fair_id, home=county_copy.home)
    paths = write_outputs(sl, tmp_path / "out")
    assert paths["xlsx"].exists() and paths["html"].exists()
    phone = next(v for v in sl.invitations["phone"] if isinstance(v, str))
    assert phone not in paths["html"].read_text(encoding="utf-8")
    wb = load_workbook(paths["xlsx"])
    assert wb.worksheets[0].title == "汇总"
    assert any(ws.title.startswith("村-") for ws in wb.worksheets)
    booth = next(ws for ws in wb.worksheets[1:] if ws.cell(3, 1).value == "序号" and ws.max_row >= 5)
    booth.cell(4, 12).value, booth.cell(4, 13).value = "是", "录用"
    booth.cell(5, 12).value = "是"
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    summary = ingest_file("placements", filled, engine=engine)
    assert (summary.rejected, summary.inserted) == (0, 2), summary.line()
    assert ingest_file("placements", filled, engine=engine).unchanged == 2
    rep = fair_report(engine, fair.fair_id)
    assert (rep.attended, rep.interviews, rep.hires, rep.hires_invited) == (2, 1, 1, 1)
    assert rep.invitations == len(sl.invitations)
    assert rep.openings_left == int(sl.booths["openings"].sum()) - 1
    assert any("零就业" in line for line in report_lines(rep))
