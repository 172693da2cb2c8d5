"""Ingestion that loses nothing, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from features.contract.idcard import check_character
from matcher.ingest import ingest_file, reject_path
from sampledata import generate
from store import count_rows, load_households, load_laborers, load_vacancies, migrate


@pytest.fixture
def engine(engine: Engine) -> Engine:
    """The empty store of ``tests/conftest.py``, migrated: ingest never migrates by itself."""
    migrate(engine)
    return engine


def make_id(birth: str = "19800101", seq: str = "123", region: str = "610426") -> str:
    first17 = region + birth + seq
    return first17 + check_character(first17)


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate(laborers=1500, vacancies=200, seed=11, out=out)
    return out


def _copy(sample_dir: Path, tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name in ("laborers.csv", "vacancies.csv", "placements.csv"):
        (tmp_path / name).write_bytes((sample_dir / name).read_bytes())
    return tmp_path


def test_sample_county_lands_whole_and_reingest_changes_nothing(
    engine: Engine, sample_dir: Path, tmp_path: Path
) -> None:
    d = _copy(sample_dir, tmp_path)
    first = {k: ingest_file(k, d / f"{k}.csv", engine=engine) for k in ("laborers", "vacancies", "placements")}
    for kind, s in first.items():
        rows = len(pd.read_csv(d / f"{kind}.csv", dtype=str))
        assert (s.inserted, s.rejected) == (rows, 0), (kind, s.line())
        assert s.exit_code == 0 and not reject_path(d / f"{kind}.csv").exists()
    counts = count_rows(engine)
    again = {k: ingest_file(k, d / f"{k}.csv", engine=engine) for k in ("laborers", "vacancies", "placements")}
    for s in again.values():
        assert (s.inserted, s.updated, s.rejected) == (0, 0, 0) and s.unchanged == s.rows
    after = count_rows(engine)
    assert after.pop("ingest_runs") == counts.pop("ingest_runs") + 3  # the runs are logged, nothing else moves
    assert after == counts
    households = load_households(engine)
    assert len(households) == pd.read_csv(d / "laborers.csv", dtype=str)["household_id"].nunique()
    assert households["zero_employment"].any()


def test_sqlite_and_postgresql_hold_the_same_counts(
    sample_dir: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from store import get_engine

    pg_url = request.getfixturevalue("pg_database_url")  # skips, with the reason, without a server
    results = []
    for i, url in enumerate((f"sqlite:///{tmp_path}/a.db", pg_url)):
        eng = get_engine(url)
        if i == 1:
            from tests.conftest import _reset_pg_schema

            _reset_pg_schema(eng)
        migrate(eng)
        d = _copy(sample_dir, tmp_path / f"run{i}")
        for k in ("laborers", "vacancies", "placements"):
            ingest_file(k, d / f"{k}.csv", engine=eng)
        results.append(count_rows(eng))
    assert results[0] == results[1]


def test_newer_updated_at_wins_and_older_is_kept_out(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    base = {"laborer_id": "L1", "household_id": "H1", "county": "永寿县", "age": "40"}
    pd.DataFrame([{**base, "skills": "电焊", "updated_at": "2026-05-01"}]).to_csv(path, index=False)
    assert ingest_file("laborers", path, engine=engine).inserted == 1
    pd.DataFrame([{**base, "skills": "叉车", "updated_at": "2026-06-01"}]).to_csv(path, index=False)
    assert ingest_file("laborers", path, engine=engine).updated == 1
    pd.DataFrame([{**base, "skills": "厨师", "updated_at": "2026-01-01"}]).to_csv(path, index=False)
    s = ingest_file("laborers", path, engine=engine)
    assert (s.updated, s.stale) == (0, 1)
    assert load_laborers(engine)["skills"].iloc[0] == ["叉车"]


def test_a_person_who_moves_leaves_the_old_household_recomputed(engine: Engine, tmp_path: Path) -> None:
    """The household a person leaves loses a member: its counts and its zero-employment flag follow, though
    the file names only the new household."""
    path = tmp_path / "l.csv"
    rows = [
        {"laborer_id": "L1", "household_id": "H1", "employment_status": "employed_local"},
        {"laborer_id": "L2", "household_id": "H1", "employment_status": "unemployed"},
        {"laborer_id": "L3", "household_id": "H2", "employment_status": "unemployed"},
    ]
    common = {"county": "永寿县", "age": "40", "updated_at": "2026-05-01"}
    pd.DataFrame([{**r, **common} for r in rows]).to_csv(path, index=False)
    assert ingest_file("laborers", path, engine=engine).inserted == 3
    before = load_households(engine).set_index("household_id")
    assert (int(before.loc["H1", "members"]), bool(before.loc["H1", "zero_employment"])) == (2, False)
    pd.DataFrame([{**rows[0], **common, "household_id": "H2", "updated_at": "2026-06-01"}]).to_csv(path, index=False)
    assert ingest_file("laborers", path, engine=engine).updated == 1
    after = load_households(engine).set_index("household_id")
    assert (int(after.loc["H1", "members"]), int(after.loc["H1", "employed"])) == (1, 0)
    assert bool(after.loc["H1", "zero_employment"])
    assert (int(after.loc["H2", "members"]), bool(after.loc["H2", "zero_employment"])) == (2, False)
    # the last member leaves: the household is gone
    pd.DataFrame([{**rows[1], **common, "household_id": "H2", "updated_at": "2026-07-01"}]).to_csv(path, index=False)
    assert ingest_file("laborers", path, engine=engine).updated == 1
    assert sorted(load_households(engine)["household_id"]) == ["H2"]


def _bad_file(tmp_path: Path) -> tuple[Path, int]:
    """A GBK file in Chinese headers with Traditional text, four bad rows and three good ones."""
    rows = [
        ["劳动力编号", "姓名", "身份证号", "年龄", "户编号", "所在县", "乡镇", "技能", "外出意愿", "就业状态"],
        ["G1", "張三", make_id(), "", "H1", "永壽縣", "監軍街道", "電焊、叉車", "縣內", "未就業"],
        ["B1", "李四", make_id()[:-1] + ("0" if make_id()[-1] != "0" else "1"), "", "H2", "永寿县", "", "", "县内", ""],
        ["B2", "王五", "", "200", "H3", "永寿县", "", "", "县内", ""],
        ["G2", "赵六", "", "45", "H3", "永寿县", "", "家政；育婴", "不能离家", "未就业"],
        ["B3", "钱七", "", "50", "H4", "永寿县", "", "", "去火星", ""],
        ["G3", "孙八", "", "52", "H4", "永寿县", "某个不存在的镇", "", "省外", "外出务工"],
    ]
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path, 3


def test_bad_rows_are_reported_and_good_rows_land(engine: Engine, tmp_path: Path) -> None:
    path, good = _bad_file(tmp_path)
    summary = ingest_file("laborers", path, engine=engine)
    assert (summary.inserted, summary.rejected, summary.exit_code) == (good, 3, 3)
    assert summary.encoding == "gb18030"
    rejects = pd.read_csv(reject_path(path), dtype=str, encoding="utf-8-sig", skiprows=1)  # line 1: the note
    assert rejects["行号 row"].tolist() == ["3", "4", "6"]
    # Every problem of a row is named: the bad ID number also leaves the age unknown.
    assert rejects["列 column"].tolist() == ["age; id_number", "age", "mobility"]
    assert rejects["原因"].str.len().gt(0).all() and rejects["reason"].str.len().gt(0).all()
    assert make_id()[6:14] not in rejects["原因"].str.cat()  # the ID number is masked in the reasons
    stored = load_laborers(engine).set_index("laborer_id")
    assert stored.loc["G1", "name"] == "张三" and stored.loc["G1", "skills"] == ["电焊", "叉车"]
    assert stored.loc["G1", "county"] == "永寿县" and stored.loc["G1", "county_code"] == "610426"
    assert stored.loc["G2", "mobility"] == "home"
    # The unknown town is kept as written, flagged, and the row is placed at its county.
    assert stored.loc["G3", "town"] == "某个不存在的镇" and stored.loc["G3", "county_code"] == "610426"
    assert ("town", "某个不存在的镇") in summary.unresolved_places
    # The reject file can be corrected and ingested again.
    fixed = rejects.drop(columns=["行号 row", "列 column", "原因", "reason"])
    fixed["身份证号"] = ""
    fixed["年龄"] = "40"
    fixed["外出意愿"] = "县内"
    fixed_path = tmp_path / "fixed.csv"
    fixed.to_csv(fixed_path, index=False)
    again = ingest_file("laborers", fixed_path, engine=engine)
    assert (again.inserted, again.rejected) == (3, 0)


def test_dry_run_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    path, good = _bad_file(tmp_path)
    summary = ingest_file("laborers", path, engine=engine, dry_run=True)
    assert summary.inserted == good
    assert count_rows(engine).get("laborers", 0) == 0


def test_a_crash_mid_file_leaves_the_store_as_it_was(
    engine: Engine, sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _copy(sample_dir, tmp_path)
    ingest_file("laborers", d / "laborers.csv", engine=engine)
    before = load_laborers(engine).sort_values("laborer_id").reset_index(drop=True)
    changed = pd.read_csv(d / "laborers.csv", dtype=str, keep_default_na=False)
    changed["skills"] = "焊工"
    changed.to_csv(d / "laborers.csv", index=False)

    import matcher.ingest as ingest_module

    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt  # Ctrl-C after the rows were written, before the commit

    monkeypatch.setattr(ingest_module, "recompute_households", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest_file("laborers", d / "laborers.csv", engine=engine)
    after = load_laborers(engine).sort_values("laborer_id").reset_index(drop=True)
    assert after["skills"].tolist() == before["skills"].tolist()


def test_vacancy_codes_are_checked_and_filled(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    pd.DataFrame(
        [
            {
                "岗位编号": "V1",
                "企业编号": "E1",
                "岗位类型": "企业",
                "岗位名称": "电焊工",
                "招聘人数": 3,
                "所在县": "永寿县",
            },
            {
                "岗位编号": "V2",
                "企业编号": "E1",
                "岗位类型": "企业",
                "岗位名称": "普工",
                "职业代码": "9-99-99-99",
                "招聘人数": 3,
                "所在县": "永寿县",
            },
            {
                "岗位编号": "V3",
                "企业编号": "E2",
                "岗位类型": "线上",
                "岗位名称": "拼多多运营",
                "招聘人数": 2,
                "工资": "3000-5000元/月",
            },
        ]
    ).to_json(path, orient="records", force_ascii=False)
    summary = ingest_file("vacancies", path, engine=engine)
    assert (summary.inserted, summary.rejected) == (2, 1)
    stored = load_vacancies(engine).set_index("vacancy_id")
    assert stored.loc["V1", "occupation_code"] == "6-18-02-04"
    assert stored.loc["V1", "occupation_source"] == "normalised"
    assert (stored.loc["V3", "wage_min"], stored.loc["V3", "wage_max"]) == (3000.0, 5000.0)


def test_placements_must_reference_known_people_and_posts(engine: Engine, sample_dir: Path, tmp_path: Path) -> None:
    d = _copy(sample_dir, tmp_path)
    summary = ingest_file("placements", d / "placements.csv", engine=engine)
    assert summary.inserted == 0 and summary.rejected == summary.rows
    assert "ingest the laborers first" in reject_path(d / "placements.csv").read_text(encoding="utf-8-sig")


def test_cli_exit_codes_and_no_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.cli import app
    from store import get_settings

    monkeypatch.setenv("MATCHER_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    get_settings.cache_clear()
    monkeypatch.setenv("MATCHER_HOME", str(tmp_path))
    runner = CliRunner()
    path, _ = _bad_file(tmp_path)
    result = runner.invoke(app, ["ingest", "laborers", str(path)])
    # An unmigrated store is refused with what to do; ingest never changes the schema by itself.
    assert result.exit_code == 2 and "matcher migrate" in result.output and "Traceback" not in result.output
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    result = runner.invoke(app, ["ingest", "laborers", str(path)])
    assert result.exit_code == 3 and "rejected 3" in result.output
    junk = tmp_path / "junk.csv"
    junk.write_text("foo,bar\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "laborers", str(junk)])
    assert result.exit_code == 2
    assert "foo" in result.output and "Traceback" not in result.output
    ok = tmp_path / "ok.csv"
    ok.write_text("laborer_id,household_id,county,age\nL9,H9,永寿县,33\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "laborers", str(ok)])
    assert result.exit_code == 0 and "inserted 1" in result.output


def test_two_writers_on_sqlite_queue_instead_of_failing(tmp_path: Path, sample_dir: Path) -> None:
    """Read-then-write transactions begin IMMEDIATE: a second writer waits for the first (busy timeout)
    instead of failing with "database is locked" because its read snapshot went stale."""
    import threading

    from store import get_engine

    engine = get_engine(f"sqlite:///{tmp_path / 'two.db'}")
    migrate(engine)
    d = _copy(sample_dir, tmp_path / "files")
    ingest_file("laborers", d / "laborers.csv", engine=engine)
    frame = pd.read_csv(d / "laborers.csv", dtype=str, keep_default_na=False)
    paths = []
    now = pd.Timestamp.now().floor("s")
    for n in range(4):  # four files, each changing every person's wage: each ingest reads, then writes
        stamp = (now - pd.Timedelta(minutes=4 - n)).strftime("%Y-%m-%d %H:%M:%S")
        changed = frame.assign(expected_wage=str(3000 + n), updated_at=stamp)
        paths.append(tmp_path / f"wage{n}.csv")
        changed.to_csv(paths[-1], index=False)
    errors: list[BaseException] = []

    def write(path: Path) -> None:
        try:
            ingest_file("laborers", path, engine=engine)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert set(load_laborers(engine)["expected_wage"]) == {3003.0}  # the newest updated_at won


def test_a_writer_that_waits_for_the_lock_says_so_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds SQLite's write lock: the CLI's ingest says (once, in both languages) that it
    is waiting, then stores every row when the lock is released; without a holder it says nothing."""
    import sqlite3
    import threading

    from service.cli import app
    from store import get_settings

    db = tmp_path / "busy.db"
    monkeypatch.setenv("MATCHER_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("MATCHER_HOME", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    rows = tmp_path / "people.csv"
    rows.write_text(
        "laborer_id,household_id,county,age\n" + "".join(f"L{n},H{n},永寿县,{20 + n}\n" for n in range(5)),
        encoding="utf-8",
    )
    quiet = runner.invoke(app, ["ingest", "laborers", str(rows)])
    assert quiet.exit_code == 0 and "等待" not in quiet.output and "waiting" not in quiet.output

    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(2.5, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        more = tmp_path / "more.csv"
        more.write_text(
            "laborer_id,household_id,county,age\n" + "".join(f"M{n},H{n},永寿县,{30 + n}\n" for n in range(7)),
            encoding="utf-8",
        )
        result = runner.invoke(app, ["ingest", "laborers", str(more)])
    finally:
        release.join()
        holder.close()
    assert result.exit_code == 0, result.output
    assert result.output.count("正在等待") == 1 and "waiting" in result.output
    assert "inserted 7" in result.output
    from store import get_engine

    assert len(load_laborers(get_engine(f"sqlite:///{db}"))) == 12
