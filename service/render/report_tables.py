"""The morning report's tables as workbook sheets: bilingual headers and the sheet writer.

The tables themselves are computed in :mod:`matcher.batch.report_tables`
(English column names); :data:`LABELS` gives each column the Chinese and
English header the workbook prints, and :func:`table_sheet` writes one table
into one sheet.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from matcher.batch.report_data import SHORTFALL_CATEGORIES
from matcher.batch.report_tables import FLAG_NAMES

__all__ = ["LABELS", "table_sheet"]

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
    "mobility": ("外出意愿", "mobility"),
    "people": ("人数", "people"),
    "share": ("占服务人数", "share of people served"),
    "kind": ("类型", "kind"),
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
    "members": ("家庭劳动力数", "members in the ledger"),
    "members_in_run": ("在册求职成员", "members seeking work"),
    "member_ids": ("成员编号", "member ids"),
    "flags": ("成员标记", "members' flags"),
    "shortfall_reason": ("缺口原因", "shortfall reason"),
    "vacancy_id": ("岗位编号", "post id"),
    "title": ("岗位名称", "title"),
    "exposure_without": ("曝光（无拥堵控制）", "exposure without congestion step"),
    "exposure_with": ("曝光（有拥堵控制）", "exposure with congestion step"),
    "per_opening_without": ("每个名额曝光（无）", "exposure per opening, without"),
    "per_opening_with": ("每个名额曝光（有）", "exposure per opening, with"),
    "item": ("项目", "item"),
    "item_en": ("项目（英文）", "item (English)"),
    "value": ("值", "value"),
}


def table_sheet(ws: Any, frame: pd.DataFrame) -> None:
    """Chinese headers in row 1, English in row 2, data below; frozen headers and a filter."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    columns = list(frame.columns)
    labels = [LABELS.get(c, (c, c)) for c in columns]
    ws.append([zh for zh, _ in labels])
    ws.append([en for _, en in labels])
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for cell in ws[2]:
        cell.font = Font(italic=True, color="666666", size=9)
        cell.fill = fill
    for row in frame.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in row])
    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        width = max(_width(labels[j - 1][0]), min(_width(labels[j - 1][1]), 24))
        if len(frame):
            sample = frame[column].head(200).astype(str)
            width = max(width, min(max(_width(s) for s in sample), 60))
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


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, dict | list | tuple):
        return str(value)
    return value
