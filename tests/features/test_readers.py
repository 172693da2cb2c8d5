"""Reading ledger files as they arrive: encodings, Excel, JSON, and files that cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from features.readers import UnusableFile, read_table

ROWS = [{"劳动力编号": "L1", "姓名": "張三", "技能": "電焊、叉車"}, {"劳动力编号": "L2", "姓名": "李四", "技能": ""}]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_any_office_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "l.csv"
    text = "劳动力编号,姓名,技能\nL1,张三,电焊、叉车\nL2,李四,\n"
    path.write_bytes(text.encode(encoding))
    table = read_table(path)
    assert list(table.frame.columns) == ["劳动力编号", "姓名", "技能"]
    assert table.frame["姓名"].tolist() == ["张三", "李四"]
    assert table.first_row_number == 2


def test_gbk_is_reported_as_detected(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes("劳动力编号,姓名\nL1,张三\n".encode("gbk"))
    assert read_table(path).encoding == "gb18030"


def test_ids_keep_leading_zeros_and_no_float_conversion(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("劳动力编号,身份证号\n00012,36032219800101123X\n", encoding="utf-8")
    frame = read_table(path).frame
    assert frame.iloc[0].tolist() == ["00012", "36032219800101123X"]


def test_excel_and_blank_trailing_rows(tmp_path: Path) -> None:
    path = tmp_path / "l.xlsx"
    pd.DataFrame([*ROWS, {"劳动力编号": "", "姓名": "", "技能": ""}]).to_excel(path, index=False)
    table = read_table(path)
    assert len(table.frame) == 2 and table.frame["劳动力编号"].tolist() == ["L1", "L2"]


@pytest.mark.parametrize("shape", ["list", "wrapped", "lines"])
def test_json_shapes(tmp_path: Path, shape: str) -> None:
    path = tmp_path / ("l.jsonl" if shape == "lines" else "l.json")
    if shape == "list":
        path.write_text(json.dumps(ROWS, ensure_ascii=False), encoding="utf-8")
    elif shape == "wrapped":
        path.write_text(json.dumps({"records": ROWS}, ensure_ascii=False), encoding="utf-8")
    else:
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    table = read_table(path)
    assert table.frame["劳动力编号"].tolist() == ["L1", "L2"] and table.first_row_number == 1


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("missing.csv", None, "not found"),
        ("l.pdf", b"%PDF-1.4", "unsupported file type"),
        ("empty.csv", b"", "empty"),
        ("bad.json", b"{not json", "invalid JSON"),
        ("scalar.json", b"[1, 2, 3]", "list of objects"),
        ("broken.xlsx", b"PK\x03\x04 not a workbook", "not a readable .xlsx"),
    ],
)
def test_unusable_files_are_refused_with_a_bilingual_reason(
    tmp_path: Path, name: str, content: bytes | None, fragment: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UnusableFile) as err:
        read_table(path)
    assert fragment in err.value.message_en and err.value.message_zh
