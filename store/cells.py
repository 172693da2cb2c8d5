"""Cells that are safe to open in a spreadsheet (CSV and formula injection, OWASP).

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
by Excel, WPS and LibreOffice as a formula (``=HYPERLINK(...)``, ``@SUM(...)``, ``-2+3``).
Every file the project writes for a person to open (reports, shortlists, rejects files,
exposure tables) passes its text cells through :func:`safe_text`, which prefixes such a
value with a single quote, as OWASP recommends; numbers stay numbers. Workbooks additionally
store every text cell as text (``data_type = "s"``), see :func:`safe_frame`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["FORMULA_STARTS", "safe_text", "safe_value", "safe_frame", "is_formula_like"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as a formula (full-width signs included)."""
    return text.startswith(FORMULA_STARTS)


def safe_text(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if is_formula_like(text) else text


def safe_value(value: Any) -> Any:
    """A cell's value made safe: strings neutralised, everything else unchanged."""
    return safe_text(value) if isinstance(value, str) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are neutralised."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[column] = series.map(safe_value)
    out.columns = [safe_value(c) for c in out.columns]
    return out
