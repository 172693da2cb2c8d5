"""Writing cells a person opens: every text neutralised against formula injection, stored as text.

Every workbook row and CSV file the exports write goes through here (see
``docs/exports.md``). A text cell that a spreadsheet would read as a formula
(``=``, ``+``, ``-``, ``@``, tab, carriage return, and their full-width forms) gets a
leading ``'`` (:func:`store.cells.safe_text`, OWASP's advice for CSV injection); in a
workbook every text cell is also typed as a string (``data_type = "s"``), so
nothing in it is ever evaluated. Numbers stay numbers, and blanks (``None``, NaN)
stay blank: no cell ever reads ``None`` or ``nan``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from store.cells import safe_frame, safe_value

__all__ = ["cell_value", "append_row", "write_cell", "write_csv"]


def cell_value(value: Any) -> Any:
    """A value as a cell holds it: numpy scalars unwrapped, blanks as ``None``, text neutralised.

    Booleans become 是 / 否 (a sheet a caseworker reads never says True or False);
    lists and dicts become their items joined by ``；``.
    """
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT or (not isinstance(value, str | bytes | list | tuple | dict) and _is_na(value)):
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple | np.ndarray):
        return safe_value("；".join(str(v) for v in value if cell_value(v) is not None))
    if isinstance(value, dict):
        return safe_value("；".join(f"{k}：{v}" for k, v in value.items()))
    return safe_value(value)


def _is_na(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_text(cell: Any) -> None:
    if isinstance(cell.value, str):
        cell.data_type = "s"


def append_row(ws: Any, values: Iterable[Any]) -> None:
    """Append one row to an openpyxl worksheet, every cell through :func:`cell_value`, text typed as text."""
    ws.append([cell_value(v) for v in values])
    for cell in ws[ws.max_row]:
        _as_text(cell)


def write_cell(ws: Any, ref: str, value: Any) -> Any:
    """Set one cell (``"A1"``) safely; returns the cell."""
    cell = ws[ref]
    cell.value = cell_value(value)
    _as_text(cell)
    return cell


def write_csv(frame: pd.DataFrame, path: Path, float_format: str | None = "%.4g") -> Path:
    """Write ``frame`` as UTF-8 CSV with a BOM (Excel opens it as Chinese), every text cell neutralised.

    Lines end in CRLF (RFC 4180), so a field holding a carriage return or a line feed is
    quoted: a ``\r`` inside a name can never start a new row whose first cell is a formula.
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == bool:
            out[column] = out[column].map({True: "是", False: "否"})
        elif out[column].dtype == object:
            out[column] = [cell_value(v) for v in out[column]]
    safe_frame(out).to_csv(path, index=False, encoding="utf-8-sig", float_format=float_format, lineterminator="\r\n")
    return path
