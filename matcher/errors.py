"""Errors raised on purpose by the domain core (``matcher/``).

::

    MatcherError                   base: carries message_en, message_zh, exit_code
    ├── PolicyError                a policy file is missing, unreadable or holds a bad key or value
    └── InputError (ValueError)    a frame or array handed to the matcher lacks a column or a row

Messages name the key (or column), the value received and what is allowed,
in English and Chinese. They never quote personal data: only keys, column
names, counts and file paths. ``service/`` prints ``message_zh`` and
``message_en`` and exits with ``exit_code``; nothing below it does.
"""

from __future__ import annotations

__all__ = ["MatcherError", "PolicyError", "InputError"]


class MatcherError(Exception):
    """Base class of the errors raised by ``matcher/``.

    Parameters
    ----------
    message_en : str
        The message in English.
    message_zh : str
        The same message in Chinese.
    """

    exit_code: int = 2

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.message_en = message_en
        self.message_zh = message_zh


class PolicyError(MatcherError):
    """A policy file cannot be used: not found, not TOML, an unknown key or a bad value.

    Parameters
    ----------
    message_en, message_zh : str
        The message in English and Chinese.
    key : str, optional
        Dotted key of the offending entry (``public_welfare.older.min_age``).
    source : str, optional
        The file (or ``<defaults>`` / ``<dict>``) the policy was read from.
    """

    def __init__(self, message_en: str, message_zh: str, *, key: str | None = None, source: str | None = None) -> None:
        super().__init__(message_en, message_zh)
        self.key = key
        self.source = source


class InputError(MatcherError, ValueError):
    """A frame or array given to the matcher lacks a column, or its length does not match."""
