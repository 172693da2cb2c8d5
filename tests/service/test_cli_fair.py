"""``matcher fair …`` on a small trained sample county, registered on a local Typer app as the lead does."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from matcher.artifact import train
from matcher.ingest import ingest_file
from sampledata import generate
from service.cli_fair import fair_app
from store import get_engine, get_settings, load_laborers, migrate

runner = CliRunner()
YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(fair_app, name="fair")

    @app.command("noop")
    def noop() -> None:
        """Second command so that Typer keeps sub-command syntax."""

    return app


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """1,500 laborers and 200 posts of the sample county, ingested and trained, as ``MATCHER_HOME``."""
    home = tmp_path_factory.mktemp("fair_cli")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCHER_HOME", str(home))
        mp.delenv("MATCHER_DATABASE_URL", raising=False)
        mp.delenv("MATCHER_POLICY", raising=False)
        get_settings.cache_clear()
        files = generate(laborers=1500, vacancies=200, seed=5, out=home / "sample").files
        engine = get_engine()
        migrate(engine)
        for kind in ("laborers", "vacancies", "placements"):
            ingest_file(kind, files[kind], engine=engine)
        train(engine, home=home, seed=0)
        yield home
    get_settings.cache_clear()


@pytest.fixture
def env(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MATCHER_HOME", str(home))
    monkeypatch.delenv("MATCHER_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def _create(app: typer.Typer, *extra: str) -> str:
    result = runner.invoke(
        app, ["fair", "create", "--name", "春风行动专场", "--date", YESTERDAY, "--place", "永寿县马坊镇", *extra]
    )
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"JF\d{8}-\d{2}", last), result.output
    return last


def test_create_prints_the_id_last_and_list_shows_it(app: typer.Typer, env: Path, tmp_path: Path) -> None:
    fair_id = _create(app, "--county", "610426")
    ids = tmp_path / "ids.txt"
    engine = get_engine()
    vacancy = engine.connect().exec_driver_sql("SELECT vacancy_id FROM vacancies LIMIT 2").scalars().all()
    ids.write_text("\n".join(vacancy) + "\n", encoding="utf-8")
    other = _create(app, "--vacancies", str(ids))
    listed = runner.invoke(app, ["fair", "list"])
    assert listed.exit_code == 0, listed.output
    assert fair_id in listed.output and other in listed.output


def test_shortlist_writes_workbook_and_page_masked(app: typer.Typer, env: Path, tmp_path: Path) -> None:
    fair_id = _create(app, "--county", "610426")
    out = tmp_path / "out"
    result = runner.invoke(app, ["fair", "shortlist", fair_id, "--out", str(out)])
    assert result.exit_code == 0, result.output
    xlsx, page = out / f"{fair_id}-shortlist.xlsx", out / f"{fair_id}-shortlist.html"
    assert xlsx.exists() and page.exists()
    assert "PDF" in result.output
    html = page.read_text(encoding="utf-8")
    assert "邀请名单" in html and "@media print" in html
    people = load_laborers(get_engine())
    phones = [p for p in people["phone"].dropna() if p in html]
    ids = [i for i in people["id_number"].dropna() if i in html]
    assert phones == [] and ids == []
    assert "<th>电话</th>" not in html and not re.search(r"1\d{2}\*{4}\d{4}", html)  # no phone column at all
    assert re.search(r"<td>[^<]\*", html)  # masked names
    clear = runner.invoke(app, ["fair", "shortlist", fair_id, "--out", str(tmp_path / "pii"), "--with-pii"])
    assert clear.exit_code == 0, clear.output
    shown = (tmp_path / "pii" / f"{fair_id}-shortlist.html").read_text(encoding="utf-8")
    assert any(p in shown for p in people["phone"].dropna())
    assert "<th>电话</th>" in shown
    report = runner.invoke(app, ["fair", "report", fair_id])
    assert report.exit_code == 0, report.output
    assert "openings left" in report.output


@pytest.mark.parametrize(
    "args, words",
    [
        (
            ["fair", "create", "--name", "x", "--date", "2025-03-01", "--place", "马坊镇", "--county", "61"],
            ["--county", "6位", "6-digit"],
        ),
        (
            ["fair", "create", "--name", "x", "--date", "明天", "--place", "马坊镇", "--county", "610426"],
            ["--date", "日期", "not a date"],
        ),
        (["fair", "create", "--name", "x", "--date", "2025-03-01", "--place", "马坊镇"], ["二选一", "one of them"]),
        (["fair", "shortlist", "JF00000000-99"], ["JF00000000-99", "没有", "no job fair"]),
        (["fair", "report", "NOPE"], ["NOPE", "没有", "no job fair"]),
    ],
)
def test_bad_input_is_bilingual_without_traceback(
    app: typer.Typer, env: Path, tmp_path: Path, args: list[str], words: list[str]
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in text
    for word in words:
        assert word in text, text


def test_unknown_vacancy_ids_are_named(app: typer.Typer, env: Path, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("V-NOT-THERE\n", encoding="utf-8")
    result = runner.invoke(
        app, ["fair", "create", "--name", "x", "--date", YESTERDAY, "--place", "马坊镇", "--vacancies", str(ids)]
    )
    assert result.exit_code == 2
    assert "V-NOT-THERE" in result.output and "不在库中" in result.output
