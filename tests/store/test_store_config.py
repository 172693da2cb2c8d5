"""Settings and engine factory."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from store import StoreConfigError, get_engine
from store.config import Settings, get_settings, parse_database_url
from store.engine import dispose_engines


@pytest.fixture(autouse=True)
def _fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_default_url_is_sqlite_file_in_home(monkeypatch, tmp_path: Path) -> None:
    home = tmp_path / "data" / "var"
    monkeypatch.setenv("MATCHER_HOME", str(home))
    monkeypatch.delenv("MATCHER_DATABASE_URL", raising=False)
    engine = get_engine()
    try:
        assert home.is_dir()
        assert engine.url.database == str((home / "matcher.db").resolve())
        assert get_engine() is engine
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    finally:
        dispose_engines()


def test_database_url_overrides(monkeypatch) -> None:
    monkeypatch.setenv("MATCHER_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/matcher")
    url = get_settings().resolved_url()
    assert url.drivername == "postgresql+psycopg" and url.database == "matcher"


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("not a url", "malformed database URL"),
        ("mysql+pymysql://u:secret@h/db", "unsupported database backend 'mysql'"),
        ("postgresql+psycopg://u@h:5432", "names no database"),
        ("sqlite+aiosqlite:///x.db", "unsupported SQLite driver"),
    ],
)
def test_malformed_urls_fail_fast(monkeypatch, url: str, match: str) -> None:
    with pytest.raises(StoreConfigError, match=match) as info:
        parse_database_url(url)
    assert "secret" not in str(info.value)
    monkeypatch.setenv("MATCHER_DATABASE_URL", url)
    with pytest.raises(StoreConfigError, match=match):
        get_settings()
    with pytest.raises(ValueError, match=match):
        Settings()


def test_sqlite_foreign_keys_enforced(migrated_engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        with migrated_engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO job_fair_vacancies (fair_id, vacancy_id) VALUES ('F1', 'V1')")
