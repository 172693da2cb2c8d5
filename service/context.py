"""The CLI's application: the settings read once per command, the application built on first use."""

from __future__ import annotations

from functools import lru_cache

from matcher.app import Application
from matcher.settings import Settings

__all__ = ["cli_settings", "cli_app"]


@lru_cache(maxsize=1)
def cli_settings() -> Settings:
    """The settings of this command (environment read once; a bad value is an input error naming it)."""
    return Settings.load()


@lru_cache(maxsize=1)
def cli_app() -> Application:
    """The application of this command (one per process)."""
    return Application(cli_settings())
