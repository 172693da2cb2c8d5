"""The CLI's application: the settings read once per environment, the application built on first use.

A command reads ``MATCHER_*`` through :func:`cli_settings`; the application is kept for as long as
those variables stay the same (one process runs one command; tests that point the environment
elsewhere between commands get a new one).
"""

from __future__ import annotations

import os
from functools import lru_cache

from matcher.app import Application
from matcher.settings import Settings

__all__ = ["cli_settings", "cli_app"]


def _environment() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("MATCHER_")))


@lru_cache(maxsize=1)
def _settings(environment: tuple[tuple[str, str], ...]) -> Settings:
    return Settings.load()


@lru_cache(maxsize=1)
def _application(environment: tuple[tuple[str, str], ...]) -> Application:
    return Application(_settings(environment))


#: Commands that create the data directory when none is found (every other one refuses).
CREATING = frozenset({"ingest", "migrate"})


_current: dict[str, str | None] = {"command": None}


def begin(command: str | None) -> None:
    """A new command starts (``matcher``'s callback): forget the last one's application."""
    reset()
    _current["command"] = command


def cli_settings() -> Settings:
    """The settings of this command (a bad value is an input error naming the variable; no data
    directory found is a not-ready error saying what to do, except for the commands that create one)."""
    settings = _settings(_environment())
    settings.require_home(create=_current["command"] in CREATING)
    return settings


def cli_app() -> Application:
    """The application of this command."""
    cli_settings()
    return _application(_environment())


def reset() -> None:
    """Forget the application: the next command builds its own (it never sees another's snapshot)."""
    _settings.cache_clear()
    _application.cache_clear()
