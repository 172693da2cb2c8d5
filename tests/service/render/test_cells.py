"""The cell writers' invariant, property-tested: no text they write is ever read as a formula, and nothing is lost.

For any text (formula signs, full-width signs, control characters, Chinese), :func:`cell_value`
gives the text itself or the text behind one ``'``, never something a spreadsheet would run; in a
workbook the cell is stored as text, in a CSV the field reads back exactly as written.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from service.render.cells import append_row, cell_value, write_csv
from store.cells import FORMULA_STARTS, is_formula_like

#: Text as clerks and attackers type it: formula signs first, then anything printable or Chinese.
texts = st.builds(
    lambda head, body: head + body,
    st.sampled_from(["", *FORMULA_STARTS, "'", " ", "1"]),
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from(list("=+-@\t\r\n张三")),
        max_size=30,
    ),
)


@given(texts)
def test_a_cell_value_is_never_formula_like_and_keeps_the_text(text: str) -> None:
    value = cell_value(text)
    assert not is_formula_like(value)
    assert value == text or (is_formula_like(text) and value == "'" + text)


@settings(max_examples=40, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_workbook_and_csv_cells_read_back_as_text(tmp_path_factory, values: list[str]) -> None:  # type: ignore[no-untyped-def]
    tmp = Path(tmp_path_factory.mktemp("cells"))
    wb = Workbook()
    append_row(wb.active, values)
    wb.save(tmp / "t.xlsx")
    cells = [c for c in load_workbook(tmp / "t.xlsx").active[1]]
    for cell in cells:
        if cell.value is not None:
            assert cell.data_type == "s" and not is_formula_like(str(cell.value)), cell.value
    write_csv(pd.DataFrame({"列": values}), tmp / "t.csv")
    rows = list(csv.reader(io.StringIO((tmp / "t.csv").read_bytes().decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == [cell_value(v) for v in values]
    assert not any(is_formula_like(r[0]) for r in rows)
