"""Errors raised on purpose by the domain core (``matcher/``): classes of the project's one tree.

The whole tree is drawn in :mod:`store.errors`; here are the domain's own::

    MatcherError                   base of what the matcher raises; a bare one: the user can fix it ("input")
    ├── PolicyError                a policy file is missing, unreadable or holds a bad key or value ("input")
    ├── InputError                 a frame or array handed to the matcher lacks a column or a row ("input")
    ├── ProfileError               a profile or record does not pass the data contract ("input")
    ├── UnknownIdError             no laborer, post, run or fair with that id ("not_found")
    ├── NoOpenPostsError           the store has no open post today ("not_ready")
    └── ModelMissingError          no trained model yet ("not_ready")

Messages name the key (or column), the value received and what is allowed,
in English and Chinese. They never quote personal data: only keys, column
names, counts and file paths. ``service/`` maps the category to an exit code
or an HTTP status; nothing below it does.
"""

from __future__ import annotations

from typing import Any

from store import errors as _tree
from store.errors import AppError, ConflictError, NotFoundError, NotReadyError

__all__ = [
    "AppError",
    "MatcherError",
    "PolicyError",
    "InputError",
    "ProfileError",
    "UnknownIdError",
    "NoOpenPostsError",
    "ModelMissingError",
    "NotFoundError",
    "NotReadyError",
    "ConflictError",
]


class MatcherError(_tree.AppError):
    """Base of the errors raised by ``matcher/``; a bare one is something the user can fix ("input")."""

    category = "input"
    default_code = "matcher_error"


class PolicyError(_tree.InputError, MatcherError):
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

    default_code = "invalid_policy"

    def __init__(
        self, message_en: str, message_zh: str, *, key: str | None = None, source: str | None = None, value: Any = None
    ) -> None:
        super().__init__(message_en, message_zh, field=key, value=value)
        self.key = key
        self.source = source


class InputError(_tree.InputError, MatcherError):
    """A frame or array given to the matcher lacks a column, or its length does not match."""


class ProfileError(_tree.InputError, MatcherError):
    """A profile (a person not in the ledger) or a record sent for writing fails the data contract."""

    default_code = "invalid_profile"


class UnknownIdError(_tree.NotFoundError, MatcherError):
    """No laborer, post, run or fair with that id (or not within the caller's reach)."""


class NoOpenPostsError(_tree.NotReadyError, MatcherError):
    """The store has no open post today."""

    default_code = "no_open_posts"


class ModelMissingError(_tree.NotReadyError, MatcherError):
    """No trained model in the data directory yet."""

    default_code = "model_missing"
