"""The organiser's outputs: an Excel workbook (summary, one sheet per booth, one per village) and a printable page.

Names and ID numbers are masked unless ``with_pii`` is given; phones are printed only
with ``with_pii`` (an organiser with the ``pii`` permission): without it the village lists
have no phone column at all. Only posts that have invitations get a booth sheet (a post
nobody can be invited to stays in the summary's booth table, with 0 invited). The
village lists are grouped by township and village, one sheet and one printed page per
village, so that each village cadre gets the page of their village.
The booth sheets carry the columns the organiser fills in at the fair (到场, 结果, 日期);
:mod:`matcher.fair.workbook` defines that layout and reads the filled-in workbook back
as placements. Every cell goes through :mod:`service.render.cells` (formula injection).
The printable page is written by :mod:`service.render.fair_page`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from matcher.explain import KIND_ZH
from matcher.fair.shortlist import Shortlist
from matcher.fair.solver import TIER_ZH
from matcher.fair.workbook import BOOTH_HEADER, OUTCOME_CHOICES, SUMMARY_TITLE
from service.render.cells import append_row
from service.render.fair_page import people_view, summary_rows, villages, write_html, write_pdf

__all__ = ["write_outputs", "write_workbook", "write_html", "write_pdf", "summary_lines", "summary_rows"]

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
#: Header of a village list; the phone column only in the printout with personal data.
VILLAGE_HEADER = ("户编号", "劳动力编号", "姓名", "联系电话", "优先类别", "邀请的展位", "已通知（打√）")


def _sheet_name(text: str, taken: set[str]) -> str:
    base = _SHEET_BAD.sub("", " ".join(text.split()))[:28] or "表"
    name, n = base, 2
    while name in taken:
        name = f"{base[:26]}_{n}"
        n += 1
    taken.add(name)
    return name


def _one_line(value: object) -> str:
    """Text for one console or title line: no tab, carriage return or other control character."""
    return " ".join(str(value or "").split())


def summary_lines(sl: Shortlist) -> list[str]:
    """What ``matcher fair shortlist`` prints: three short Chinese lines, no statistics jargon."""
    m, f = sl.metrics, sl.fair
    booths = int((sl.booths["invited"] > 0).sum())
    places = len(villages(sl.invitations))
    return [
        f"招聘会 {_one_line(f.name)}（{f.date.isoformat()}，{_one_line(f.place)}）："
        f"{len(sl.booths)}个岗位，招聘{int(sl.booths['openings'].sum())}人",
        f"邀请{m.people}人（{m.invitations}人次），覆盖{m.households}户，"
        f"其中零就业家庭{m.zero_households}户（共{m.zero_households_eligible}户）；预计录用约{m.expected_hires:.0f}人",
        f"打印：{booths}张展位名单（有邀请的岗位），{places}个村的通知名单",
    ]


def _booth_sheet(wb: object, sl: Shortlist, b: pd.Series, rows: pd.DataFrame, taken: set[str]) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet = wb.create_sheet(_sheet_name(f"{b['booth']}号 {b['title'] or ''}", taken))  # type: ignore[attr-defined]
    append_row(
        sheet,
        [
            f"{b['booth']}号展位 {_one_line(b['title'])}（{_one_line(b['employer_name'])}）岗位编号 {b['vacancy_id']}，"
            f"招聘{int(b['openings'])}人，邀请{int(b['invited'])}人"
        ],
    )
    append_row(
        sheet,
        [
            "到场后请填写“是否到场”（是/否）和“结果”（" + "/".join(OUTCOME_CHOICES) + "），"
            "交回后用 matcher ingest placements 本文件 导入"
        ],
    )
    append_row(sheet, BOOTH_HEADER)
    date = sl.fair.date.isoformat()
    for _, r in rows.iterrows():
        append_row(
            sheet,
            [
                int(r["rank"]),
                sl.fair.fair_id,
                r["vacancy_id"],
                r["laborer_id"],
                r["name"],
                r["id_number"],
                r["phone"],
                f"{r['town']}{r['village']}",
                TIER_ZH[r["tier"]],
                f"{r['probability']:.0%}",
                "；".join(r["reasons"]),
                "",
                "",
                date,
                "",
            ],
        )
    last = max(sheet.max_row, 4)
    choice = DataValidation(type="list", formula1='"' + ",".join(OUTCOME_CHOICES) + '"', allow_blank=True)
    sheet.add_data_validation(choice)
    choice.add(f"M4:M{last}")
    attended = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    sheet.add_data_validation(attended)
    attended.add(f"L4:L{last}")
    sheet.column_dimensions["K"].width = 80
    for cell in sheet["K"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _village_sheet(wb: object, sl: Shortlist, place: str, grp: pd.DataFrame, taken: set[str], with_pii: bool) -> None:
    sheet = wb.create_sheet(_sheet_name(f"村-{place}", taken))  # type: ignore[attr-defined]
    f = sl.fair
    append_row(
        sheet,
        [f"{place}：请通知以下人员于{f.date.isoformat()}到{_one_line(f.place)}参加{_one_line(f.name)}"],
    )
    header = [h for h in VILLAGE_HEADER if with_pii or h != "联系电话"]
    append_row(sheet, header)
    titles = dict(zip(sl.booths["vacancy_id"], sl.booths["title"], strict=True))
    for (household, laborer), rows in grp.groupby(["household_id", "laborer_id"], sort=True, dropna=False):
        first = rows.iloc[0]
        booths = "；".join(f"{r['booth']}号 {_one_line(titles.get(r['vacancy_id']))}" for _, r in rows.iterrows())
        values = {
            "户编号": household,
            "劳动力编号": laborer,
            "姓名": first["name"],
            "联系电话": first["phone"],
            "优先类别": TIER_ZH[first["tier"]],
            "邀请的展位": booths,
            "已通知（打√）": "",
        }
        append_row(sheet, [values[h] for h in header])
    sheet.column_dimensions["F" if with_pii else "E"].width = 60


def write_workbook(sl: Shortlist, path: Path, with_pii: bool = False) -> Path:
    """Write the workbook: 汇总 (summary and booth table), a sheet per booth with invitations, one per village."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    inv = people_view(sl.invitations, with_pii)
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    append_row(ws, [SUMMARY_TITLE])
    ws["A1"].font = Font(bold=True, size=14)
    for key, value in summary_rows(sl):
        append_row(ws, [key, value])
    append_row(ws, [])
    append_row(ws, ["展位号", "岗位编号", "岗位", "单位", "类型", "招聘人数", "邀请上限", "已邀请"])
    for _, b in sl.booths.iterrows():
        append_row(
            ws,
            [
                int(b["booth"]),
                b["vacancy_id"],
                b["title"],
                b["employer_name"],
                KIND_ZH.get(b["kind"], "其他"),
                int(b["openings"]),
                int(b["capacity"]),
                int(b["invited"]),
            ],
        )
    ws.column_dimensions["A"].width = 44
    taken = {"汇总"}
    by_booth = dict(tuple(inv.groupby("vacancy_id", sort=False)))
    for _, b in sl.booths[sl.booths["invited"] > 0].iterrows():  # a booth nobody is invited to gets no sheet
        _booth_sheet(wb, sl, b, by_booth.get(b["vacancy_id"], inv.iloc[:0]), taken)
    for place, grp in villages(inv):
        _village_sheet(wb, sl, place, grp, taken, with_pii)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_outputs(sl: Shortlist, out: Path, with_pii: bool = False) -> dict[str, Path | None]:
    """Workbook, HTML and (when possible) PDF into ``out``; returns the paths (``pdf`` None without Chromium)."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{sl.fair.fair_id}-shortlist"
    xlsx = write_workbook(sl, out / f"{stem}.xlsx", with_pii)
    page = write_html(sl, out / f"{stem}.html", with_pii)
    return {"xlsx": xlsx, "html": page, "pdf": write_pdf(page, out / f"{stem}.pdf")}
