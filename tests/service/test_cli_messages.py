"""The CLI's own messages: bilingual usage errors, ``--json`` errors in the API's shape, a fresh store.

* an unknown command, an unknown option, a missing argument or a bad value (click's own
  messages) are shown in Chinese and English;
* with ``--json`` an error is JSON on standard output with the same ``code`` (and keys) the API
  answers, and the same exit code as without;
* on a store that was never migrated no command says "internal error": each says to run
  ``matcher migrate`` (and ``matcher status`` on an empty store says to ingest a ledger).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from service.api.errors import error_body
from service.cli import app, bilingual_usage
from store import dispose_engines, get_settings
from store.errors import EXIT_CODE

runner = CliRunner()
CJK = re.compile(r"[\u4e00-\u9fff]")
API_KEYS = set(error_body("x", "x", "x"))


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data directory nobody migrated."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MATCHER_HOME", str(home))
    monkeypatch.setenv("MATCHER_DATABASE_URL", f"sqlite:///{home / 'matcher.db'}")
    monkeypatch.delenv("MATCHER_POLICY", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
    dispose_engines()


def _text(result) -> str:  # type: ignore[no-untyped-def]
    return result.output + (result.stderr if result.stderr_bytes else "")


@pytest.mark.parametrize(
    ("args", "zh"),
    [
        (["bogus"], "没有「bogus」这个命令"),
        (["fair", "bogus"], "没有「bogus」这个命令"),
        (["recommend", "--bogus"], "没有 --bogus 这个选项"),
        (["ingest"], "缺少参数"),
        (["recommend", "L1", "--k", "x"], "--k 的值无效"),
        (["recommend", "L1", "extra"], "多余的参数"),
    ],
)
def test_usage_errors_are_bilingual(args: list[str], zh: str) -> None:
    result = runner.invoke(app, args)
    text = _text(result)
    assert result.exit_code == 2, text
    assert zh in text and "--help" in text, text
    assert re.search(r"No such|Missing|Invalid value|unexpected extra", text), text
    assert "Traceback" not in text


def test_bilingual_usage_keeps_the_english_and_falls_back() -> None:
    assert bilingual_usage("No such command 'x'.").splitlines() == [
        "没有「x」这个命令（用 --help 查看用法）",
        "No such command 'x'.",
    ]
    assert bilingual_usage("Something else.").startswith("用法有误")


@pytest.mark.parametrize(
    "args",
    [["status"], ["evaluate"], ["recommend", "L1"], ["batch"], ["fair", "list"], ["train"], ["keys", "list"]],
)
def test_a_fresh_store_says_to_migrate_never_internal_error(fresh: Path, args: list[str]) -> None:
    result = runner.invoke(app, args)
    text = _text(result)
    assert result.exit_code == EXIT_CODE["not_ready"], text
    assert "matcher migrate" in text and CJK.search(text), text
    assert "internal error" not in text and "内部错误" not in text


def test_status_on_an_empty_store_says_to_ingest_a_ledger(fresh: Path) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, _text(result)
    assert "劳动力" in result.output and "matcher ingest laborers" in result.output
    assert "下一步" in result.output


def test_json_errors_are_json_on_stdout_with_the_api_code(fresh: Path) -> None:
    plain = runner.invoke(app, ["recommend", "L1"])
    result = runner.invoke(app, ["recommend", "L1", "--json"])
    assert result.exit_code == plain.exit_code == EXIT_CODE["not_ready"]
    payload = json.loads(result.stdout)
    assert set(payload) == API_KEYS
    assert payload["code"] == "schema_not_migrated" and CJK.search(payload["message_zh"])
    both = runner.invoke(app, ["recommend", "--json"])  # neither an id nor a profile
    body = json.loads(both.stdout)
    assert both.exit_code == EXIT_CODE["input"] and body["code"] == "invalid_input" and body["field"] == "laborer_id"


def test_an_unknown_laborer_has_the_api_code(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lookup raises the error the API answers for an unknown laborer: the same code either way."""
    from matcher.errors import UnknownIdError
    from service.api.errors import not_found
    from service.context import cli_app

    assert runner.invoke(app, ["migrate"]).exit_code == 0

    def unknown(*_: object, **__: object) -> None:
        raise UnknownIdError(
            "no laborer with id L404",
            "没有编号为 L404 的劳动力",
            field="laborer_id",
            value="L404",
            code="laborer_not_found",
        )

    monkeypatch.setattr(type(cli_app()), "recommend", unknown)
    result = runner.invoke(app, ["recommend", "L404", "--json"])
    payload = json.loads(result.stdout)
    assert payload["code"] == not_found("laborers", "L404").code == "laborer_not_found"
    assert result.exit_code == EXIT_CODE["not_found"]


def test_an_internal_error_in_json_mode_has_the_api_code(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matcher.evaluate

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(matcher.evaluate, "evaluate_store", boom)
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    result = runner.invoke(app, ["evaluate", "--json"])
    payload = json.loads(result.stdout)
    assert result.exit_code == EXIT_CODE["internal"]
    assert payload["code"] == "internal_error" and set(payload) == API_KEYS and "Traceback" not in result.output


def test_a_busy_store_says_try_again_with_the_conflict_exit_code(
    fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer holds SQLite's write lock past the busy timeout: a clear "busy, try again", exit 4."""
    import sqlite3

    import store.engine
    from sampledata import generate

    files = generate(laborers=20, vacancies=5, seed=3, out=tmp_path / "sample").files
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    dispose_engines()
    monkeypatch.setattr(store.engine, "SQLITE_BUSY_TIMEOUT_MS", 200)  # wait 0.2 s, not 30 s, for the holder
    holder = sqlite3.connect(fresh / "matcher.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer: an ingest or a batch run
        result = runner.invoke(app, ["ingest", "laborers", str(files["laborers"])])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    text = _text(result)
    assert result.exit_code == EXIT_CODE["conflict"] == 4, text
    assert "稍后再试" in text and "try again" in text, text
    assert "internal error" not in text and "内部错误" not in text and "Traceback" not in text
    again = runner.invoke(app, ["ingest", "laborers", str(files["laborers"])])  # nothing was half-written
    assert again.exit_code == 0, _text(again)


def test_a_usage_error_with_json_is_json_too(fresh: Path) -> None:
    """``--json`` asked for JSON: a bad option value is the API's "invalid_request", naming the option."""
    result = runner.invoke(app, ["recommend", "L1", "--k", "x", "--json"])
    assert result.exit_code == 2, _text(result)
    payload = json.loads(result.stdout)
    assert set(payload) == API_KEYS and payload["code"] == "invalid_request" and payload["field"] == "k"
    assert payload["message_zh"].startswith("--k 的值无效") and "Invalid value" in payload["message_en"]
    unknown = runner.invoke(app, ["recommend", "--json", "--bogus"])
    assert unknown.exit_code == 2 and json.loads(unknown.stdout)["message_zh"].startswith("没有 --bogus 这个选项")


def test_a_store_busy_with_a_batch_run_names_the_run(
    fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a batch run holds the run lock and the store, an ingest names the run (its pid and start)."""
    import os
    import sqlite3

    import store.engine
    from matcher.batch.runs import run_lock, runs_root
    from sampledata import generate

    files = generate(laborers=20, vacancies=5, seed=3, out=tmp_path / "sample").files
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    dispose_engines()
    monkeypatch.setattr(store.engine, "SQLITE_BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(fresh / "matcher.db", isolation_level=None)
    try:
        with run_lock(runs_root(fresh)) as me:  # the batch run: its lock and the store's write lock
            holder.execute("BEGIN IMMEDIATE")
            result = runner.invoke(app, ["ingest", "laborers", str(files["laborers"])])
            holder.execute("ROLLBACK")
    finally:
        holder.close()
    text = _text(result)
    assert result.exit_code == 4, text
    assert f"进程 {os.getpid()}" in text and me["started_at"] in text and "批处理" in text, text
    assert f"pid {os.getpid()}" in text and "try again" in text, text


@pytest.mark.parametrize("args", [["status"], ["recommend", "L1"], ["fair", "list"]])
def test_a_fresh_store_says_to_migrate_on_sqlite_and_postgresql(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """The same "run `matcher migrate`" whichever database the URL names (PostgreSQL says "undefined table")."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MATCHER_HOME", str(home))
    monkeypatch.setenv("MATCHER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("MATCHER_POLICY", raising=False)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, args)
    finally:
        get_settings.cache_clear()
    text = _text(result)
    assert result.exit_code == EXIT_CODE["not_ready"], text
    assert "matcher migrate" in text and CJK.search(text) and "内部错误" not in text, text
