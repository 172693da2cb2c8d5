"""Spreadsheets as clerks make them: title rows, numbers where text belongs, repeated headers, control
characters, absurd headers, mixed encodings, one person under two ids, a household in two places."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from features.contract.idcard import check_character
from features.readers import UnusableFile, read_table
from matcher.ingest import ingest_file
from store import load_laborers, migrate

BASE = {"household_id": "H1", "county": "永寿县", "age": "40"}


@pytest.fixture
def engine(engine: Engine) -> Engine:
    migrate(engine)
    return engine


def make_id(birth: str = "19800101", seq: str = "123") -> str:
    first17 = "610426" + birth + seq
    return first17 + check_character(first17)


def test_a_header_below_a_title_row_is_found_in_csv_and_excel(engine: Engine, tmp_path: Path) -> None:
    csv_path = tmp_path / "l.csv"
    csv_path.write_text(
        "永寿县2026年脱贫劳动力台账,,,\n填报单位：某镇,,,\n劳动力编号,户编号,所在县,年龄\nL1,H1,永寿县,40\n",
        encoding="utf-8",
    )
    summary = ingest_file("laborers", csv_path, engine=engine)
    assert (summary.inserted, summary.rejected) == (1, 0)
    xlsx = tmp_path / "l.xlsx"
    grid = [
        ["永寿县劳动力台账", None, None, None],
        ["劳动力编号", "户编号", "所在县", "年龄"],
        ["L2", "H2", "永寿县", "41"],
    ]
    pd.DataFrame(grid).to_excel(xlsx, index=False, header=False)
    table = read_table(xlsx, "laborers")
    assert list(table.frame.columns) == ["劳动力编号", "户编号", "所在县", "年龄"] and table.first_row_number == 3
    assert ingest_file("laborers", xlsx, engine=engine).inserted == 1


@pytest.mark.parametrize("cell", ["3.60322E+17", "3.60322198001011E+17", "610426198001011000"])
def test_an_id_number_stored_as_a_number_says_how_to_fix_it(engine: Engine, tmp_path: Path, cell: str) -> None:
    path = tmp_path / "l.csv"
    pd.DataFrame([{"laborer_id": "L1", **BASE, "age": "", "id_number": cell}]).to_csv(path, index=False)
    summary = ingest_file("laborers", path, engine=engine)
    reasons = [r for r in summary.rejects if r.column == "id_number"]
    assert reasons and "format the column as text" in reasons[0].reason_en and "文本" in reasons[0].reason_zh


def test_an_id_number_in_a_numeric_excel_cell(engine: Engine, tmp_path: Path) -> None:
    """Excel keeps a number, not the 18 characters: 6.10426198001011E+17."""
    path = tmp_path / "l.xlsx"
    pd.DataFrame([{"laborer_id": "L1", **BASE, "age": "", "id_number": float(make_id())}]).to_excel(path, index=False)
    summary = ingest_file("laborers", path, engine=engine)
    assert any("format the column as text" in r.reason_en for r in summary.rejects), summary.rejects


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        (["劳动力编号", "户编号", "所在县", "年龄", "姓名", "姓名"], ("姓名", "姓名.1")),
        (["劳动力编号", "户编号", "所在县", "年龄", "姓名", "name"], ("姓名", "name")),
        (["laborer_id", "劳动力编号", "户编号", "所在县", "年龄"], ("laborer_id", "劳动力编号")),
    ],
)
def test_two_headers_for_one_column_are_refused_naming_both(
    engine: Engine, tmp_path: Path, headers: list[str], named: tuple[str, str]
) -> None:
    path = tmp_path / "l.csv"
    path.write_text(
        ",".join(headers) + "\n" + ",".join(["L1", "H1", "永寿县", "40", "张三", "李四"][: len(headers)]) + "\n"
    )
    with pytest.raises(UnusableFile) as info:
        ingest_file("laborers", path, engine=engine)
    assert all(n in info.value.message_en and n in info.value.message_zh for n in named)


def test_control_characters_are_removed_alike_on_every_store(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "l.json"
    rows = [
        {"laborer_id": "L1", **BASE, "姓名\x07": "张\x00三\x1b[31m", "skills": ["电焊\x00"], "caseworker": "李\x9b"}
    ]
    pd.DataFrame(rows).to_json(path, orient="records", force_ascii=False)
    summary = ingest_file("laborers", path, engine=engine)
    assert (summary.inserted, summary.rejected, summary.control_cells) == (1, 0, 3)
    assert any("control characters" in line for line in summary.details())
    row = load_laborers(engine).iloc[0]
    assert (row["name"], row["skills"], row["caseworker"]) == ("张三[31m", ["电焊"], "李")


def test_an_absurd_header_is_refused(engine: Engine, tmp_path: Path) -> None:
    """Refused from the header line alone (how fast: tests/benchmarks/bench_ingest_refusals.py)."""
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join("1" * 100_000) + "\n")
    with pytest.raises(UnusableFile) as info:
        ingest_file("laborers", path, engine=engine)
    assert "100,000 columns" in info.value.message_en and len(info.value.message_en) < 300


def test_a_mixed_encoding_file_is_refused_naming_the_first_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    lines = ["劳动力编号,姓名,所在县", "L1,张三,永寿县", "L2,李四,永寿县", "L3,王五,永寿县"]
    data = b"\n".join(line.encode("gbk" if i == 2 else "utf-8") for i, line in enumerate(lines)) + b"\n"
    path.write_bytes(data)
    with pytest.raises(UnusableFile) as info:
        read_table(path)
    assert "line 3" in info.value.message_en and "第3行" in info.value.message_zh


def test_the_same_person_under_two_ids_is_reported_naming_the_existing_record(engine: Engine, tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    pd.DataFrame([{"laborer_id": "L1", **BASE, "age": "", "id_number": make_id()}]).to_csv(first, index=False)
    assert ingest_file("laborers", first, engine=engine).inserted == 1
    second = tmp_path / "b.csv"
    rows = [
        {"laborer_id": "L1", **BASE, "age": "", "id_number": make_id(), "skills": "电焊"},  # the same person: fine
        {"laborer_id": "L9", **BASE, "age": "", "id_number": make_id()},  # stored as L1
        {"laborer_id": "L5", **BASE, "age": "", "id_number": make_id(seq="125")},
        {"laborer_id": "L6", **BASE, "age": "", "id_number": make_id(seq="125")},  # L5 in row 4
    ]
    pd.DataFrame(rows).to_csv(second, index=False)
    summary = ingest_file("laborers", second, engine=engine)
    assert summary.same_person == [(3, "L9", "L1", "store"), (5, "L6", "L5", "row 4")]
    line = next(x for x in summary.details() if "another laborer id" in x)
    assert "L9 = L1 (stored)" in line and "L6 = L5 (row 4)" in line
    assert make_id() not in line  # the number itself is never shown


def test_a_household_in_two_places_is_reported(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    rows = [
        {"laborer_id": "L1", **BASE, "town": "监军街道"},
        {"laborer_id": "L2", **BASE, "town": "常宁镇"},
        {"laborer_id": "L3", **BASE, "household_id": "H2", "town": "常宁镇"},
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    summary = ingest_file("laborers", path, engine=engine)
    assert summary.inserted == 3 and [h for h, _ in summary.household_conflicts] == ["H1"]
    assert any("H1" in line and "different places" in line for line in summary.details())
