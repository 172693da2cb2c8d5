"""The morning report's tables as a person reads them: Chinese headers, words instead of codes, safe cells.

The tables themselves are computed in :mod:`matcher.batch.report_tables`
(English column names, codes such as ``public_welfare`` or ``online``, kept for the
API). :func:`visible_table` turns one into what a caseworker reads: code columns that
have a Chinese twin are dropped, codes become words (:data:`VALUE_WORDS`), and
:data:`LABELS` gives each column its Chinese header (and the English one the
workbook prints below it). :func:`table_sheet` writes it into a sheet and
:func:`table_csv` into a CSV with the Chinese headers; both neutralise every text
cell (:mod:`service.render.cells`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from matcher.batch.report_data import SHORTFALL_CATEGORIES
from matcher.batch.report_tables import FLAG_NAMES, RECORD_VALUES
from matcher.explain import KIND_ZH
from service.render.cells import append_row, cell_value, write_csv

__all__ = ["LABELS", "HIDDEN", "VALUE_WORDS", "visible_table", "table_sheet", "table_csv"]

LABELS: dict[str, tuple[str, str]] = {
    "county_code": ("县区代码", "county code"),
    "county": ("县区", "county"),
    "town_code": ("乡镇代码", "town code"),
    "town": ("乡镇", "town"),
    "village": ("村", "village"),
    "served": ("服务人数（有就业意愿）", "people served (wants a job)"),
    "with_3": ("≥3条建议人数", "people with ≥ 3 suggestions"),
    "share_with_3": ("≥3条建议占比", "share with ≥ 3 suggestions"),
    "with_1_2": ("1–2条建议人数", "people with 1–2 suggestions"),
    "with_0": ("无建议人数", "people without a suggestion"),
    "shortfall": ("有缺口说明人数", "people with a shortfall"),
    "covered": ("≥3条或有缺口说明", "≥ 3 suggestions or a shortfall"),
    **{f"shortfall_{k}": (f"缺口：{zh}", f"shortfall: {en}") for k, (zh, en) in SHORTFALL_CATEGORIES.items()},
    **{f"flag_{k}": (f"标记：{zh}", f"flag: {en}") for k, (zh, en) in FLAG_NAMES.items()},
    "wants_training": ("有培训意愿人数", "people wanting training"),
    "zero_households": ("零就业户（有成员在册求职）", "zero-employment households with a job seeker"),
    "zero_households_without": ("其中无任何建议的户", "of which without any suggestion"),
    "category": ("缺口类别", "shortfall category"),
    "category_en": ("缺口类别（英文）", "category (English)"),
    "mobility": ("外出意愿", "how far the person will go"),
    "people": ("人数", "people"),
    "share": ("占服务人数", "share of people served"),
    "kind": ("岗位类型", "type of post"),
    "kind_zh": ("标记类型", "flag kind"),
    "reason": ("原因", "reason"),
    "share_of_kind": ("占该类标记", "share of the kind"),
    "occupation_code": ("职业代码", "occupation code"),
    "occupation": ("职业", "occupation"),
    "group": ("所属中类", "middle group"),
    "posts": ("岗位数", "posts"),
    "openings": ("招聘人数", "openings"),
    "seekers": ("求职人数（技能或意向）", "seekers (skills or intention)"),
    "openings_per_seeker": ("岗位/求职比", "openings per seeker"),
    "gap": ("岗位减求职", "openings minus seekers"),
    "balance": ("供需判断", "balance"),
    "course": ("培训课程", "course"),
    "suggested": ("建议参加人数", "people it is suggested to"),
    "first_choice": ("其中首选", "of which first choice"),
    "unlocked_mean": ("人均可解锁附近岗位", "openings nearby it unlocks, per person"),
    "course_posts": ("需要该技能的在招岗位", "open posts needing the skill"),
    "course_openings": ("需要该技能的招聘人数", "openings needing the skill"),
    "household_id": ("户编号", "household id"),
    "households": ("户数", "households"),
    "members": ("家庭劳动力数", "members in the ledger"),
    "members_in_run": ("在册求职成员", "members seeking work"),
    "member_ids": ("成员编号", "member ids"),
    "flags": ("成员标记", "members' flags"),
    "shortfall_reason": ("缺口原因", "shortfall reason"),
    "vacancy_id": ("岗位编号", "post id"),
    "title": ("岗位名称", "title"),
    "exposure_without": ("被推荐人次（拥堵控制前）", "times suggested, before the congestion step"),
    "exposure_with": ("被推荐人次（拥堵控制后）", "times suggested, after the congestion step"),
    "per_opening_without": ("每个名额被推荐人次（控制前）", "times suggested per opening, before"),
    "per_opening_with": ("每个名额被推荐人次（控制后）", "times suggested per opening, after"),
    "item": ("项目", "item"),
    "item_en": ("项目代码", "item key"),
    "value": ("值", "value"),
}


#: Columns a person never reads, per table: codes whose Chinese twin is in the same table.
HIDDEN: dict[str, tuple[str, ...]] = {
    "flags": ("kind",),
    "flag_reasons": ("kind",),
    "shortfalls": ("category_en",),  # the English of the category is the sheet's second header row's job
    "run_record": ("item_en",),
}
#: Codes written as words, per column (any table).
VALUE_WORDS: dict[str, dict[str, str]] = {"kind": KIND_ZH, "value": RECORD_VALUES}


def visible_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The table ``name`` as a person reads it: hidden code columns dropped, codes as words, yes/no for booleans."""
    out = frame.drop(columns=[c for c in HIDDEN.get(name, ()) if c in frame.columns])
    for column, words in VALUE_WORDS.items():
        if column in out.columns:
            out[column] = [words.get(v, v) if isinstance(v, str) else v for v in out[column]]
    if name == "run_record":  # timings to the millisecond, shares and statistics to four digits
        out["value"] = [round(v, 3) if isinstance(v, float) else v for v in out["value"]]
    return out


def headers(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The (Chinese, English) header of each column."""
    return [LABELS.get(c, (c, c)) for c in frame.columns]


def table_csv(name: str, frame: pd.DataFrame, path: Path) -> Path:
    """Write the table ``name`` as a CSV with Chinese headers (UTF-8 with BOM, text cells neutralised)."""
    shown = visible_table(name, frame)
    zh = [z for z, _ in headers(shown)]
    if len(set(zh)) != len(zh):  # a header twice would lose a column in a spreadsheet's filter
        zh = [f"{z}（{en}）" for z, en in headers(shown)]
    return write_csv(shown.set_axis(zh, axis=1), path)


def table_sheet(ws: Any, frame: pd.DataFrame, name: str | None = None) -> None:
    """Chinese headers in row 1, English in row 2, data below; frozen headers and a filter."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    if name is not None:
        frame = visible_table(name, frame)
    columns = list(frame.columns)
    labels = headers(frame)
    append_row(ws, [zh for zh, _ in labels])
    append_row(ws, [en for _, en in labels])
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for cell in ws[2]:
        cell.font = Font(italic=True, color="666666", size=9)
        cell.fill = fill
    for row in frame.itertuples(index=False, name=None):
        append_row(ws, row)
    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        width = max(_width(labels[j - 1][0]), min(_width(labels[j - 1][1]), 24))
        if len(frame):
            sample = [cell_value(v) for v in frame[column].head(200)]
            width = max(width, min(max(_width("" if s is None else s) for s in sample), 60))
        ws.column_dimensions[letter].width = width + 2
        fmt = _format(column, frame[column])
        if fmt:
            for (cell,) in ws.iter_rows(min_row=3, min_col=j, max_col=j):
                cell.number_format = fmt
    ws.freeze_panes = "A3"
    if len(frame):
        ws.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{len(frame) + 2}"


def _format(column: str, values: pd.Series) -> str | None:
    if column.startswith("share"):
        return "0.0%"
    if values.dtype.kind == "f":
        return "0.00"
    return None


def _width(text: Any) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))
