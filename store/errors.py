"""Errors raised by the store.

One small tree; ``service/`` turns these into CLI messages or HTTP errors::

    StoreError                      anything the store refuses or cannot do
    ├── StoreConfigError            a malformed or unsupported database URL
    ├── SchemaMismatchError         the database is not at the expected migration
    └── RecordError                 a batch handed to ``upsert`` is malformed

Messages name the table, field, revision or URL (password masked) and what
is allowed, in Chinese and English. They never carry personal data: record
values are not quoted, only the field names and record ids.
"""

from __future__ import annotations

__all__ = ["StoreError", "StoreConfigError", "SchemaMismatchError", "RecordError"]


class StoreError(Exception):
    """Base class of every error the store raises."""


class StoreConfigError(StoreError, ValueError):
    """The database URL or data directory cannot be used."""


class SchemaMismatchError(StoreError):
    """The database schema revision is not the one this code expects.

    Parameters
    ----------
    found : str or None
        Revision recorded in the database (``None``: never migrated).
    expected : str
        Head revision shipped with this code.
    """

    def __init__(self, message: str, *, found: str | None, expected: str) -> None:
        super().__init__(message)
        self.found = found
        self.expected = expected


class RecordError(StoreError, ValueError):
    """A record batch is malformed (unknown table, field or duplicate id)."""
