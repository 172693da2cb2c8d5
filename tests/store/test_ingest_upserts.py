"""Upserts that never lose a newer fact, and rejects files that are safe and never lost.

Duplicate ids inside one file (newest ``updated_at`` wins, ties the later row, a refused row never takes a
valid one down), rows without ``updated_at`` (the file's date, or the ingest time), the rejects file (written
before the commit, one per input, a personal-data note on its first line, safe cells, a masked copy), and
paths that are not readable files (exit 2).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from features.contract.idcard import check_character
from features.readers import RawTable
from matcher import ingest as ingest_module
from matcher.ingest import PERSONAL_DATA_NOTE, RejectsNotWritten, ingest_file, ingest_table, reject_path
from store import count_rows, load_laborers, load_vacancies, migrate

BASE = {"household_id": "H1", "county": "永寿县", "age": "40"}


@pytest.fixture
def engine(engine: Engine) -> Engine:
    migrate(engine)
    return engine


def make_id(birth: str = "19800101", seq: str = "123") -> str:
    first17 = "610426" + birth + seq
    return first17 + check_character(first17)


def _csv(path: Path, rows: list[dict[str, object]], *, mtime: dt.datetime | None = None) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    if mtime is not None:
        stamp = mtime.replace(tzinfo=dt.UTC).timestamp()
        os.utime(path, (stamp, stamp))
    return path


def _stored(engine: Engine) -> pd.DataFrame:
    return load_laborers(engine).set_index("laborer_id")


# ---------------------------------------------------------------- duplicate ids in one file


def test_the_newest_row_of_a_repeated_id_wins_wherever_it_stands(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {"laborer_id": "L1", **BASE, "skills": "电焊", "updated_at": "2026-06-01"},  # newest, first
        {"laborer_id": "L1", **BASE, "skills": "叉车", "updated_at": "2026-05-01"},
        {"laborer_id": "L2", **BASE, "skills": "厨师", "updated_at": "2026-05-01"},  # a tie: the later row wins
        {"laborer_id": "L2", **BASE, "skills": "保安", "updated_at": "2026-05-01"},
        {"laborer_id": "L3", **BASE, "skills": "家政"},  # no date: the file's (older than the dated row)
        {"laborer_id": "L3", **BASE, "skills": "育婴", "updated_at": "2026-07-01"},
    ]
    path = _csv(tmp_path / "l.csv", rows, mtime=dt.datetime(2026, 6, 15))
    summary = ingest_file("laborers", path, engine=engine)
    assert (summary.inserted, summary.rejected) == (3, 3)
    stored = _stored(engine)
    assert stored.loc["L1", "skills"] == ["电焊"]
    assert stored.loc["L2", "skills"] == ["保安"]
    assert stored.loc["L3", "skills"] == ["育婴"]
    kept_row = {r.row: r.reason_en for r in summary.rejects}
    assert "row 2 is kept" in kept_row[3] and "row 5 is kept" in kept_row[4] and "row 7 is kept" in kept_row[6]


def test_a_refused_duplicate_never_takes_the_valid_row_down(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {"laborer_id": "L1", **BASE, "skills": "电焊", "updated_at": "2026-05-01"},
        {"laborer_id": "L1", **BASE, "age": "200", "updated_at": "2026-06-01"},  # newer, but refused
    ]
    summary = ingest_file("laborers", _csv(tmp_path / "l.csv", rows), engine=engine)
    assert (summary.inserted, summary.rejected) == (1, 1)
    assert [(r.row, r.column) for r in summary.rejects] == [(3, "age")]
    assert _stored(engine).loc["L1", "skills"] == ["电焊"]


def test_a_duplicate_refused_after_validation_does_not_take_the_other_down(engine: Engine, tmp_path: Path) -> None:
    """A post whose occupation code is unknown (checked after validation) is refused alone."""
    post = {"employer_id": "E1", "kind": "企业", "title": "电焊工", "openings": "2", "county": "永寿县"}
    rows = [
        {"vacancy_id": "V1", **post, "updated_at": "2026-05-01"},
        {"vacancy_id": "V1", **post, "occupation_code": "9-99-99-99", "updated_at": "2026-06-01"},
    ]
    summary = ingest_file("vacancies", _csv(tmp_path / "v.csv", rows), engine=engine)
    assert (summary.inserted, summary.rejected) == (1, 1)
    assert [r.column for r in summary.rejects] == ["occupation_code"]
    assert load_vacancies(engine).loc[0, "occupation_code"] == "6-18-02-04"


# ---------------------------------------------------------------- rows without updated_at


def test_a_row_without_updated_at_gets_the_files_date_so_newer_still_wins(engine: Engine, tmp_path: Path) -> None:
    may = _csv(tmp_path / "may.csv", [{"laborer_id": "L1", **BASE, "skills": "电焊"}], mtime=dt.datetime(2026, 5, 3))
    ingest_file("laborers", may, engine=engine)
    assert _stored(engine).loc["L1", "updated_at"] == pd.Timestamp(2026, 5, 3)
    # An older file sent afterwards is kept out; next month's file wins.
    april = _csv(tmp_path / "apr.csv", [{"laborer_id": "L1", **BASE, "skills": "叉车"}], mtime=dt.datetime(2026, 4, 2))
    assert ingest_file("laborers", april, engine=engine).stale == 1
    june = _csv(tmp_path / "jun.csv", [{"laborer_id": "L1", **BASE, "skills": "厨师"}], mtime=dt.datetime(2026, 6, 4))
    assert ingest_file("laborers", june, engine=engine).updated == 1
    assert _stored(engine).loc["L1", "skills"] == ["厨师"]


def test_rows_sent_without_a_file_get_the_ingest_time(engine: Engine) -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    table = RawTable(pd.DataFrame([{"laborer_id": "L1", **BASE}]), None, 1, "frame")
    ingest_table("laborers", table, Path("api"), engine=engine, write_rejects=False)
    stamp = _stored(engine).loc["L1", "updated_at"]
    assert before <= stamp <= dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=1)


def test_a_later_confirmation_of_the_same_facts_keeps_an_older_change_out(engine: Engine, tmp_path: Path) -> None:
    row = {"laborer_id": "L1", **BASE, "skills": "电焊"}
    ingest_file("laborers", _csv(tmp_path / "a.csv", [{**row, "updated_at": "2026-01-01"}]), engine=engine)
    confirmed = ingest_file("laborers", _csv(tmp_path / "b.csv", [{**row, "updated_at": "2026-03-01"}]), engine=engine)
    assert confirmed.unchanged == 1
    older = ingest_file(
        "laborers", _csv(tmp_path / "c.csv", [{**row, "skills": "叉车", "updated_at": "2026-02-01"}]), engine=engine
    )
    assert older.stale == 1 and _stored(engine).loc["L1", "skills"] == ["电焊"]


# ---------------------------------------------------------------- the rejects file


def _bad_rows() -> list[dict[str, object]]:
    return [
        {"laborer_id": "L1", **BASE, "age": "", "name": "张三丰", "phone": "13812345678", "id_number": make_id()},
        {
            "laborer_id": "L2",
            **BASE,
            "age": "200",
            "name": '=HYPERLINK("http://x","点我")',
            "phone": "13912345678",
            "id_number": make_id(seq="125"),
            "caseworker": "+李干部 13700001111",
        },
    ]


def test_rejects_file_says_it_holds_personal_data_and_its_cells_are_safe(engine: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "l.csv", _bad_rows())
    summary = ingest_file("laborers", path, engine=engine)
    assert summary.reject_file == reject_path(path) == tmp_path / "l.csv.rejects.csv"
    lines = summary.reject_file.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].strip('"') == PERSONAL_DATA_NOTE and "personal data" in lines[0] and "个人信息" in lines[0]
    frame = pd.read_csv(summary.reject_file, dtype=str, skiprows=1, encoding="utf-8-sig", keep_default_na=False)
    cells = [str(v) for v in frame.to_numpy().ravel()] + list(frame.columns)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert frame.loc[0, "name"] == '\'=HYPERLINK("http://x","点我")'
    # Corrected and ingested again as it is: the note is skipped, the quote is not stored.
    frame.loc[0, "age"] = ""
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(lines[0] + "\n" + frame.to_csv(index=False), encoding="utf-8-sig")
    again = ingest_file("laborers", fixed, engine=engine)
    assert (again.inserted, again.rejected) == (1, 0)
    assert _stored(engine).loc["L2", "name"] == '=HYPERLINK("http://x","点我")'


def test_the_masked_copy_can_be_passed_around(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.cli import app
    from store import get_settings

    monkeypatch.setenv("MATCHER_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("MATCHER_HOME", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    rows = _bad_rows()
    rows[1]["age"] = ""
    rows[1]["gender"] = "女"  # conflicts with the ID number (odd sequence: male): rejected with it
    path = _csv(tmp_path / "l.csv", rows)
    result = runner.invoke(app, ["ingest", "laborers", str(path), "--rejects-masked"])
    assert result.exit_code == 3, result.output
    masked = tmp_path / "l.csv.rejects-masked.csv"
    assert str(masked) in result.output
    text = masked.read_text(encoding="utf-8-sig")
    for secret in (make_id(seq="125"), "13912345678", "13700001111", 'HYPERLINK("http://x","点我")'):
        assert secret not in text
    assert "3912" not in text.split("\n", 1)[0]  # the note line
    full = reject_path(path).read_text(encoding="utf-8-sig")
    assert make_id(seq="125") in full  # the unmasked file keeps what must be corrected
    masked_frame = pd.read_csv(masked, dtype=str, skiprows=1, encoding="utf-8-sig")
    assert (
        masked_frame.loc[0, "phone"] == "139****5678"
        and masked_frame.loc[0, "caseworker"].endswith("0000****1111") is False
    )
    assert "137****1111" in masked_frame.loc[0, "caseworker"]


def test_the_rejects_file_is_written_before_the_commit(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _csv(tmp_path / "l.csv", _bad_rows())
    seen: list[int] = []
    original = ingest_module._write_rejects

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(count_rows(engine).get("laborers", 0))  # another connection: what is committed
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "_write_rejects", spy)
    summary = ingest_file("laborers", path, engine=engine)
    assert seen == [0] and summary.inserted == 1 and count_rows(engine)["laborers"] == 1


def test_no_commit_when_the_rejects_file_cannot_be_written(engine: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "l.csv", _bad_rows())
    reject_path(path).mkdir()  # something that cannot be replaced by a file
    with pytest.raises(RejectsNotWritten) as info:
        ingest_file("laborers", path, engine=engine)
    assert "nothing was stored" in info.value.message_en and info.value.exit_code == 2
    assert count_rows(engine).get("laborers", 0) == 0


def test_two_inputs_with_the_same_stem_never_share_a_rejects_file(engine: Engine, tmp_path: Path) -> None:
    csv_path = _csv(tmp_path / "ledger.csv", [{"laborer_id": "C1", **BASE, "age": "300"}])
    xlsx_path = tmp_path / "ledger.xlsx"
    pd.DataFrame([{"laborer_id": "X1", **BASE, "age": "400"}]).to_excel(xlsx_path, index=False)
    a = ingest_file("laborers", csv_path, engine=engine)
    b = ingest_file("laborers", xlsx_path, engine=engine)
    assert a.reject_file != b.reject_file and a.reject_file and b.reject_file
    assert "C1" in a.reject_file.read_text(encoding="utf-8-sig")
    assert "X1" in b.reject_file.read_text(encoding="utf-8-sig") and "C1" not in b.reject_file.read_text(
        encoding="utf-8-sig"
    )


def test_a_huge_cell_is_shortened_in_messages(engine: Engine, tmp_path: Path) -> None:
    huge = "电" * 200_000
    rows = [{"laborer_id": f"L{i}", **BASE, "name": "张三", "skills": "电焊", "caseworker": "李"} for i in range(100)]
    rows.append({"laborer_id": "L99", **BASE, "name": huge, "skills": huge, "caseworker": huge})
    path = _csv(tmp_path / "l.csv", rows)
    summary = ingest_file("laborers", path, engine=engine)
    assert summary.rejected == 1 and all(len(r.value) <= 100 for r in summary.rejects)
    assert {r.column for r in summary.rejects} == {"name", "skills", "caseworker"}
    # The huge cells appear once each (in their own columns, to be corrected), never in the messages.
    assert summary.reject_file is not None
    assert summary.reject_file.stat().st_size <= path.stat().st_size
    assert summary.reject_file.read_text(encoding="utf-8-sig").count(huge) == 3


# ---------------------------------------------------------------- paths that are not readable files


@pytest.mark.parametrize("what", ["directory", "unreadable"])
def test_a_directory_or_unreadable_path_is_an_unusable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    from service.cli import app
    from store import get_settings

    monkeypatch.setenv("MATCHER_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("MATCHER_HOME", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    for kind in ("laborers", "placements"):
        with monkeypatch.context() as patch:
            if what == "directory":
                target = tmp_path / f"{kind}.csv"
                target.mkdir()
            else:
                target = _csv(tmp_path / f"{kind}.csv", [{"laborer_id": "L1", **BASE}])

                def refuse(
                    self: Path, *args: object, _target: Path = target, _open: object = Path.open, **kwargs: object
                ) -> object:
                    if self == _target:
                        raise PermissionError(13, "Permission denied")
                    return _open(self, *args, **kwargs)  # type: ignore[operator]

                patch.setattr(Path, "open", refuse)
            result = runner.invoke(app, ["ingest", kind, str(target)])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and "internal error" not in result.output
        assert ("not a file" if what == "directory" else "cannot be read") in result.output
