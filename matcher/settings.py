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

Where the data directory comes from, first found wins (:attr:`Settings.home_source` says which):

1. ``MATCHER_HOME`` (or ``home=`` given by the caller);
2. a configuration file: the one ``MATCHER_CONFIG`` names, else the first of :data:`CONFIG_PATHS`
   that exists. It is TOML with any of ``home``, ``database_url``, ``policy``, ``today``,
   ``max_body``, ``refresh`` (a relative ``home`` or ``policy`` is relative to the file's folder);
   an environment variable still wins over the file for its own setting;
3. ``./var`` when that folder exists.

Otherwise there is no data directory: a command that creates data (``matcher ingest``,
``matcher migrate``) creates ``./var``; every other command refuses with what to do
(:meth:`Settings.require_home`), instead of creating an empty ``./var`` and saying that no model
was trained.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import PrivateAttr, ValidationError, field_validator

from matcher.policy import Policy
from store.config import Settings as StoreSettings
from store.errors import AppError, NotReadyError, StoreConfigError

__all__ = ["Settings", "CONFIG_PATHS", "CONFIG_KEYS"]

#: Configuration files looked for, in order, when neither MATCHER_HOME nor MATCHER_CONFIG is set.
CONFIG_PATHS = ("matcher.toml", "~/.config/matcher/config.toml", "/etc/matcher/config.toml")
#: Settings a configuration file may hold.
CONFIG_KEYS = ("home", "database_url", "policy", "today", "max_body", "refresh")

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
    #: (Chinese, English) of where ``home`` came from; ``None`` when no data directory was found.
    _home_source: tuple[str, str] | None = PrivateAttr(default=("调用参数", "argument"))

    @property
    def home_source(self) -> tuple[str, str] | None:
        """Where the data directory came from, in Chinese and English (None: not found)."""
        return self._home_source

    def require_home(self, *, create: bool = False) -> None:
        """Refuse to go on without a data directory, unless the command creates data (``create``)."""
        if self._home_source is not None or create:
            return
        paths = "、".join(CONFIG_PATHS)
        raise NotReadyError(
            'no data directory: set MATCHER_HOME, or write home = "/path/to/data" in a configuration '
            f"file ({', '.join(CONFIG_PATHS)}, or the file MATCHER_CONFIG names), or run the command in "
            "the folder that holds var/; `matcher ingest` and `matcher migrate` create ./var",
            "找不到数据目录：请设置环境变量 MATCHER_HOME，或在配置文件（" + paths + "，或 MATCHER_CONFIG 指定的文件）"
            '中写 home = "数据目录"，或在包含 var/ 的文件夹中运行；matcher ingest 与 matcher migrate 会新建 ./var',
            field="MATCHER_HOME",
            allowed="an existing data directory / 已有的数据目录",
            code="no_data_directory",
        )

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
        """Read the environment (and ``overrides``) once; a bad value is an input error naming it.

        The data directory is found as the module docstring says.
        """
        found = dict(overrides)
        source: tuple[str, str] | None
        if "home" in overrides:
            source = ("调用参数", "argument")
        elif os.environ.get("MATCHER_HOME", "").strip():
            source = ("环境变量 MATCHER_HOME", "MATCHER_HOME")
        elif (config := _config_file()) is not None:
            for key, value in _read_config(config).items():
                if key not in found and not os.environ.get(f"MATCHER_{key.upper()}", "").strip():
                    found[key] = value
            source = (f"配置文件 {config}", f"configuration file {config}")
            found.setdefault("home", Path("var"))  # a file without home: ./var, like no file at all
        elif Path("var").is_dir():
            source = ("当前文件夹下的 var/", "./var in the current folder")
        else:
            source = None
        settings = cls._make(**found)
        settings._home_source = source
        return settings

    @classmethod
    def _make(cls, **overrides: object) -> Settings:
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


def _config_file() -> Path | None:
    """The configuration file to read: MATCHER_CONFIG's (which must exist), else the first of CONFIG_PATHS."""
    named = os.environ.get("MATCHER_CONFIG", "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise StoreConfigError(
                f"MATCHER_CONFIG names {path}, which is not a file",
                f"MATCHER_CONFIG 指定的配置文件 {path} 不存在或不是文件",
                field="MATCHER_CONFIG",
                value=str(path),
                allowed="an existing TOML file / 已有的 TOML 文件",
            )
        return path
    for candidate in CONFIG_PATHS:
        path = Path(candidate).expanduser()
        if path.is_file():
            return path
    return None


def _read_config(path: Path) -> dict[str, Any]:
    """The settings of a configuration file (relative paths made relative to its folder)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise StoreConfigError(
            f"configuration file {path} cannot be read as TOML: {str(exc)[:200]}",
            f"配置文件 {path} 不是可读的 TOML：{str(exc)[:200]}",
            field="MATCHER_CONFIG",
            value=str(path),
            allowed="a TOML file / TOML 文件",
        ) from None
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise StoreConfigError(
            f"configuration file {path}: unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(CONFIG_KEYS)}",
            f"配置文件 {path} 中有未知配置项：{'、'.join(unknown)}；可用的配置项：{'、'.join(CONFIG_KEYS)}",
            field=unknown[0],
            value=str(data[unknown[0]])[:100],
            allowed=", ".join(CONFIG_KEYS),
        )
    out = dict(data)
    for key in ("home", "policy"):
        if isinstance(out.get(key), str) and out[key].strip():
            value = Path(out[key]).expanduser()
            out[key] = value if value.is_absolute() else path.parent / value
    return out
