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


def cli_settings() -> Settings:
    """The settings of this command (a bad value is an input error naming the variable)."""
    return _settings(_environment())


def cli_app() -> Application:
    """The application of this command."""
    return _application(_environment())


def reset() -> None:
    """Forget the application: the next command builds its own (it never sees another's snapshot)."""
    _settings.cache_clear()
    _application.cache_clear()
