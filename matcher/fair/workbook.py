"""Read back the fair's own workbook, filled in by hand, as placement rows.

``matcher ingest placements FILE.xlsx`` calls :func:`fair_workbook_table`
first (the hook in :func:`matcher.ingest.ingest_file`). A workbook is a fair
workbook by its layout, defined here and written by
:mod:`service.render.fair_export`: a first sheet ``汇总`` whose A1 reads
:data:`SUMMARY_TITLE`, and booth sheets whose third row is
:data:`BOOTH_HEADER`. Every other file goes the ordinary way.

Per booth row: a filled ``结果`` is the outcome (已报名 / 已面试 / 录用 / 未录用 or
any word the contract accepts); ``是否到场`` = 是 with no result counts as
``applied`` (the person came to the booth); rows with neither are skipped.
A cell the export neutralised against formula injection (a leading ``'`` before
``=``, ``+``, ``-`` or ``@``) is read back as it was before.
The rows keep ``fair_id``, the date written in the row and ``source`` = fair,
so the ranker learns from fairs too and ``matcher fair report`` sees them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.readers import RawTable, UnusableFile
from store.cells import is_formula_like

__all__ = ["fair_workbook_table", "is_fair_workbook", "BOOTH_HEADER", "SUMMARY_TITLE", "OUTCOME_CHOICES"]

#: A1 of the first sheet (``汇总``) of a fair workbook.
SUMMARY_TITLE = "招聘会邀请名单"
#: Header row (row 3) of every booth sheet; a booth sheet is recognised by it.
BOOTH_HEADER = (
    "序号",
    "招聘会编号",
    "岗位编号",
    "劳动力编号",
    "姓名",
    "身份证号",
    "联系电话",
    "所在村",
    "优先类别",
    "录用可能性",
    "匹配理由",
    "是否到场",
    "结果",
    "日期",
    "备注",
)
#: The results offered in the booth sheets' ``结果`` column.
OUTCOME_CHOICES = ("已报名", "已面试", "录用", "未录用")

_YES = {"是", "到", "已到", "到场", "√", "✓", "y", "yes", "1", "true"}
_COLUMNS = ["劳动力编号", "岗位编号", "结果", "日期", "来源", "招聘会编号", "工作表行"]


def _cell_text(value: object) -> str:
    """A cell as text, without the ``'`` the export puts before formula-like text (``store.cells.safe_text``)."""
    text = "" if value is None else str(value).strip()
    return text[1:] if text.startswith("'") and is_formula_like(text[1:]) else text


def _header_ok(row: tuple[object, ...]) -> bool:
    cells = tuple("" if c is None else str(c).strip() for c in row[: len(BOOTH_HEADER)])
    return cells == BOOTH_HEADER


def is_fair_workbook(path: Path) -> bool:
    """True when ``path`` is an .xlsx laid out as a fair workbook (see the module docstring)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return False
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - not a workbook we can open: let the ordinary reader explain
        return False
    try:
        first = wb.worksheets[0] if wb.worksheets else None
        if first is None or first.title != "汇总":
            return False
        a1 = next(first.iter_rows(min_row=1, max_row=1, max_col=1, values_only=True), (None,))[0]
        return str(a1 or "").strip() == SUMMARY_TITLE
    finally:
        wb.close()


def fair_workbook_table(path: Path) -> RawTable | None:
    """The filled booth rows as a placements table, or ``None`` when ``path`` is not a fair workbook."""
    if not is_fair_workbook(path):
        return None
    from openpyxl import load_workbook

    col = {name: i for i, name in enumerate(BOOTH_HEADER)}
    rows: list[list[str]] = []
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets[1:]:
            it = ws.iter_rows(values_only=True)
            head = [next(it, ()) for _ in range(3)]
            if len(head) < 3 or not _header_ok(tuple(head[2])):
                continue
            for n, raw in enumerate(it, start=4):
                cells = [_cell_text(c) for c in raw] + [""] * len(BOOTH_HEADER)
                outcome = cells[col["结果"]]
                if not outcome and cells[col["是否到场"]].lower() in _YES:
                    outcome = "已报名"
                if not outcome or not cells[col["劳动力编号"]]:
                    continue
                rows.append(
                    [
                        cells[col["劳动力编号"]],
                        cells[col["岗位编号"]],
                        outcome,
                        cells[col["日期"]][:10],
                        "fair",
                        cells[col["招聘会编号"]],
                        f"{ws.title}!{n}",
                    ]
                )
    finally:
        wb.close()
    if not rows:
        raise UnusableFile(
            f"{path.name}: a fair workbook with no filled 是否到场 or 结果 cell; nothing to ingest",
            f"{path.name}：招聘会名单中没有填写“是否到场”或“结果”的行，没有可导入的记录",
        )
    return RawTable(pd.DataFrame(rows, columns=_COLUMNS), None, 1, "xlsx")
