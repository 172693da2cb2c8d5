"""Workbooks as clerks make them: merged cells, formulas, several sheets of people."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine

from matcher.ingest import ingest_file
from store import load_laborers, migrate


@pytest.fixture
def engine(engine: Engine) -> Engine:
    migrate(engine)
    return engine


def _save_with_cached_values(book: Workbook, path: Path, cached: dict[str, str]) -> Path:
    """Save ``book``, then give some formula cells the value Excel would have saved with them."""
    book.save(path)
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    for name, data in parts.items():
        if name.startswith("xl/worksheets/"):
            for cell, value in cached.items():
                head = f'<c r="{cell}">'.encode()
                at = data.find(head)
                if at >= 0:
                    end = data.find(b"</c>", at)
                    data = data[:end].replace(b"<v />", f"<v>{value}</v>".encode()) + data[end:]
            parts[name] = data
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def test_merged_cells_are_filled_for_every_row_they_cover(engine: Engine, tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    ws.append(["劳动力编号", "户编号", "所在县", "乡镇", "年龄"])
    ws.append(["L1", "H1", "永寿县", "监军街道", 40])
    ws.append(["L2", None, None, None, 41])
    ws.append(["L3", None, None, None, 42])
    ws.append(["L4", "H2", "永寿县", "常宁镇", 43])
    for col in "BCD":
        ws.merge_cells(f"{col}2:{col}4")
    path = tmp_path / "merged.xlsx"
    book.save(path)
    summary = ingest_file("laborers", path, engine=engine)
    assert (summary.inserted, summary.rejected) == (4, 0), summary.rejects
    stored = load_laborers(engine).set_index("laborer_id")
    assert stored.loc[["L1", "L2", "L3"], "household_id"].tolist() == ["H1"] * 3
    assert stored.loc[["L1", "L2", "L3"], "town"].tolist() == ["监军街道"] * 3
    assert stored.loc["L4", "household_id"] == "H2"


def test_a_formula_is_read_as_its_saved_value_and_one_without_is_reported(engine: Engine, tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    ws.append(["劳动力编号", "户编号", "所在县", "年龄"])
    ws.append(["L1", "H1", "永寿县", "=30+10"])
    ws.append(["L2", "H1", "永寿县", "=30+11"])  # never calculated: no saved value
    path = _save_with_cached_values(book, tmp_path / "f.xlsx", {"D2": "40"})
    summary = ingest_file("laborers", path, engine=engine)
    assert (summary.inserted, summary.rejected) == (1, 1)
    (reject,) = [r for r in summary.rejects if "formula" in r.reason_en]
    assert (reject.row, reject.column) == (3, "age") and "formula without a saved value" in reject.reason_en
    assert "=30+11" in reject.value and {r.row for r in summary.rejects} == {3}
    assert load_laborers(engine).loc[0, "age"] == 40


def test_every_sheet_with_people_is_read_and_named(engine: Engine, tmp_path: Path) -> None:
    book = Workbook()
    notes = book.active
    notes.title = "说明"
    notes.append(["本表由某镇填报，请勿修改表头"])
    one = book.create_sheet("一组")
    one.append(["某镇一组脱贫劳动力"])  # a title row above the header
    one.append(["劳动力编号", "户编号", "所在县", "年龄"])
    one.append(["L1", "H1", "永寿县", 40])
    two = book.create_sheet("二组")
    two.append(["laborer_id", "household_id", "county", "age"])  # another spelling of the same columns
    two.append(["L2", "H2", "永寿县", 41])
    two.append(["L3", "H2", "永寿县", 200])
    path = tmp_path / "groups.xlsx"
    book.save(path)
    summary = ingest_file("laborers", path, engine=engine)
    assert (summary.inserted, summary.rejected) == (2, 1)
    assert summary.sheets == ["一组", "二组"] and summary.skipped_sheets == ["说明"]
    details = "\n".join(summary.details())
    assert "一组、二组" in details and "说明" in details and "ignored columns" not in details
    assert sorted(load_laborers(engine)["laborer_id"]) == ["L1", "L2"]
    assert summary.reject_file is not None
    rejects = pd.read_csv(summary.reject_file, dtype=str, skiprows=1, encoding="utf-8-sig")
    assert rejects.loc[0, "工作表 sheet"] == "二组" and rejects.loc[0, "表内行号 sheet row"] == "3"
