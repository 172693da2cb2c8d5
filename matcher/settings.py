"""The one set of settings every entry point reads, once (pydantic ``BaseSettings``).

Environment variables (prefix ``MATCHER_``), or keyword arguments in tests:

================  ==========================================================================
``HOME``          data directory: SQLite file, model versions, batch runs, logs (default ./var)
``DATABASE_URL``  another database, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/matcher``
``POLICY``        a county's policy TOML file over the shipped defaults (validated on load)
``TODAY``         a fixed date for "today" (reruns, tests); default: the system date
``MAX_BODY``      the largest request body the service accepts, in bytes (default 20 MiB)
``REFRESH``       seconds between a server worker's looks at the store's change sequence
================  ==========================================================================

A bad value fails at once, naming the variable, the value and what is
allowed (:class:`store.errors.StoreConfigError`, an input error). Nothing
below ``service/`` reads the environment: the settings are handed down.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import ValidationError, field_validator

from matcher.policy import Policy
from store.config import Settings as StoreSettings
from store.errors import AppError, StoreConfigError

__all__ = ["Settings"]

_FIELDS_ZH = {
    "home": "数据目录",
    "database_url": "数据库地址",
    "policy": "政策文件",
    "today": "业务日期",
    "max_body": "请求体上限",
    "refresh": "刷新间隔",
}


class Settings(StoreSettings):
    """Data home, database, policy, the date source and the service's limits.

    Attributes
    ----------
    home : pathlib.Path
    database_url : str or None
    policy : pathlib.Path or None
        County policy file; checked (exists, TOML, every key and value) when the settings are made.
    today : datetime.date or None
    max_body : int
    refresh : float
    """

    policy: Path | None = None
    today: dt.date | None = None
    max_body: int = 20 * 1024 * 1024
    refresh: float = 0.25

    @field_validator("policy")
    @classmethod
    def _check_policy(cls, value: Path | None) -> Path | None:
        if value is None or not str(value).strip():
            return None
        try:
            Policy.load(value)
        except AppError as exc:
            raise ValueError(exc.message_en) from None
        return Path(value)

    @field_validator("max_body")
    @classmethod
    def _check_body(cls, value: int) -> int:
        if not 1024 <= value <= 1024**3:
            raise ValueError("must be between 1024 and 1073741824 bytes")
        return value

    @field_validator("refresh")
    @classmethod
    def _check_refresh(cls, value: float) -> float:
        if not 0.01 <= value <= 60:
            raise ValueError("must be between 0.01 and 60 seconds")
        return value

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Read the environment (and ``overrides``) once; a bad value is an input error naming it."""
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as exc:
            first = exc.errors()[0]
            name = str(first["loc"][0]) if first.get("loc") else "settings"
            shown = first.get("input")
            message = str(first.get("msg", "")).removeprefix("Value error, ")
            raise StoreConfigError(
                f"MATCHER_{name.upper()}: {message}",
                f"配置项 MATCHER_{name.upper()}（{_FIELDS_ZH.get(name, name)}）无效：{message}",
                field=f"MATCHER_{name.upper()}",
                value=shown if not isinstance(shown, dict) else None,
            ) from None

    def load_policy(self) -> Policy:
        """The county policy (the shipped defaults when no file is set)."""
        return Policy.load(self.policy)

    def today_date(self) -> dt.date:
        """Today for matching: the fixed ``today`` when set, else the system date."""
        return self.today or dt.date.today()
