"""Store settings: where the data lives and which database to use.

``MATCHER_HOME`` (default ``./var``) is the data directory. The database is
``sqlite:///$MATCHER_HOME/matcher.db`` unless ``MATCHER_DATABASE_URL`` names
another one, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/matcher``.
A malformed or unsupported URL fails when the settings are loaded, not at the
first query.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from store.errors import StoreConfigError

__all__ = ["Settings", "get_settings", "parse_database_url", "SUPPORTED_BACKENDS"]

#: Database backends the schema and the bulk paths are tested on.
SUPPORTED_BACKENDS = ("sqlite", "postgresql")

# Bare "postgresql://" would make SQLAlchemy look for psycopg2, which is not a
# dependency; "postgres://" is the Heroku-style spelling SQLAlchemy rejects.
_PG_ALIASES = {"postgresql", "postgres", "postgresql+psycopg"}


def parse_database_url(url: str | URL) -> URL:
    """Parse and check a database URL.

    Parameters
    ----------
    url : str or sqlalchemy.engine.URL
        ``sqlite:///path/to/file.db``, ``sqlite://`` (in memory) or
        ``postgresql+psycopg://user@host:port/db``. ``postgresql://`` and
        ``postgres://`` are read as ``postgresql+psycopg://``.

    Returns
    -------
    sqlalchemy.engine.URL

    Raises
    ------
    StoreConfigError
        If the URL cannot be parsed or names an unsupported backend/driver.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        # The raw text may hold a password: do not echo it.
        raise StoreConfigError(
            "数据库地址格式错误 / malformed database URL (MATCHER_DATABASE_URL); "
            "expected e.g. sqlite:///var/matcher.db or "
            "postgresql+psycopg://user@host:5432/matcher"
        ) from exc
    shown = parsed.render_as_string(hide_password=True)
    if parsed.drivername in _PG_ALIASES:
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in SUPPORTED_BACKENDS:
        raise StoreConfigError(
            f"不支持的数据库类型 / unsupported database backend {backend!r} in {shown}; "
            f"allowed: {', '.join(SUPPORTED_BACKENDS)}"
        )
    if backend == "postgresql" and not parsed.database:
        raise StoreConfigError(
            f"数据库地址缺少库名 / database URL {shown} names no database; "
            "expected postgresql+psycopg://user@host:5432/<database>"
        )
    if backend == "sqlite" and driver not in ("", "pysqlite"):
        raise StoreConfigError(
            f"不支持的 SQLite 驱动 / unsupported SQLite driver {driver!r} in {shown}; allowed: sqlite:// (pysqlite)"
        )
    return parsed


class Settings(BaseSettings):
    """Store settings read from ``MATCHER_*`` environment variables.

    Attributes
    ----------
    home : pathlib.Path
        Data directory (``MATCHER_HOME``, default ``./var``).
    database_url : str or None
        Explicit database URL (``MATCHER_DATABASE_URL``); ``None`` selects the
        SQLite file in ``home``.
    """

    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore")

    home: Path = Path("var")
    database_url: str | None = None

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return parse_database_url(value.strip()).render_as_string(hide_password=False)
        except StoreConfigError as exc:
            raise ValueError(str(exc)) from None

    @property
    def default_sqlite_path(self) -> Path:
        """Path of the default SQLite file, ``home / "matcher.db"``."""
        return self.home / "matcher.db"

    def resolved_url(self) -> URL:
        """Database URL to use; the default SQLite URL if none was given."""
        if self.database_url is not None:
            return parse_database_url(self.database_url)
        return make_url(f"sqlite:///{self.default_sqlite_path.resolve()}")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Load the settings once, turning validation errors into `StoreConfigError`."""
    try:
        return Settings()
    except ValidationError as exc:
        details = "; ".join(str(err.get("msg", "")) for err in exc.errors())
        raise StoreConfigError(f"配置错误 / invalid store settings: {details}") from None


def data_home() -> Path:
    """The data directory, read from ``MATCHER_HOME`` on every call (default ``./var``).

    Artifacts, batch runs and logs live here; unlike :func:`get_settings` it is not cached, so a
    process that changes ``MATCHER_HOME`` (tests, the benchmark scripts) sees the new value.
    """
    return Path(os.environ.get("MATCHER_HOME", "var"))
