"""The project's one exception tree (every layer raises these, ``service/`` maps them).

It lives in the bottom layer so that ``features``, ``models``, ``matcher`` and
``service`` can all raise and catch the same classes::

    AppError                          base; category "internal" (HTTP 500, exit 1)
    ├── InputError (ValueError)       "input": the caller sent something not allowed (422, exit 2)
    │   ├── RecordError               a batch handed to the store is malformed (store)
    │   ├── StoreConfigError          a malformed or unsupported database URL or data directory (store)
    │   ├── UnusableFile              a file cannot be read as a table at all (features.readers)
    │   ├── PolicyError               a policy file holds a bad key or value (matcher.errors)
    │   └── ProfileError              a profile or record does not pass the data contract (matcher.errors)
    ├── NotFoundError (LookupError)   "not_found": no such person, post, run, fair or code (404, exit 2)
    ├── ConflictError                 "conflict": the request clashes with the store's state (409, exit 4)
    │   └── StoreBusyError            another writer holds the store (exit 4)
    └── NotReadyError                 "not_ready": a needed artifact or schema is missing (503, exit 2)
        ├── SchemaMismatchError       the database is not at the expected migration
        ├── ArtifactError             a saved model or run directory is missing, damaged or of another format
        └── NoOpenPostsError          the store has no open post today

    StoreError, ModelError, MatcherError  layer markers (mixins): ``except StoreError`` catches
                                          whatever the store raised, whatever its category.

Every error carries ``message_en`` and ``message_zh``, the ``field`` it is
about, the ``value`` received (shortened; never personal data: callers pass
ids, codes, column names and counts only), what is ``allowed``, a stable
machine ``code`` and a ``category``. Only ``service/`` turns a category into
an HTTP status or an exit code (:data:`HTTP_STATUS`, :data:`EXIT_CODE`).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

__all__ = [
    "AppError",
    "InputError",
    "NotFoundError",
    "ConflictError",
    "StoreBusyError",
    "as_busy",
    "NotReadyError",
    "StoreError",
    "StoreConfigError",
    "SchemaMismatchError",
    "RecordError",
    "HTTP_STATUS",
    "EXIT_CODE",
    "CATEGORIES",
]

CATEGORIES = ("input", "not_found", "conflict", "not_ready", "internal")
#: What ``service/`` answers for each category.
HTTP_STATUS = {"input": 422, "not_found": 404, "conflict": 409, "not_ready": 503, "internal": 500}
EXIT_CODE = {"input": 2, "not_found": 2, "conflict": 4, "not_ready": 2, "internal": 1}

_CJK = re.compile(r"[\u3400-\u9fff]")
_VALUE_LIMIT = 80


def _split_bilingual(text: str) -> tuple[str, str]:
    """``"中文 / English"`` (either order) → ``(english, chinese)``; one language → the text twice."""
    parts = text.split(" / ")
    for cut in range(1, len(parts)):
        left, right = " / ".join(parts[:cut]), " / ".join(parts[cut:])
        left_zh, right_zh = bool(_CJK.search(left)), bool(_CJK.search(right))
        if left_zh and not right_zh:
            return right, left
        if right_zh and not left_zh:
            return left, right
    return text, text


def shorten(value: Any, limit: int = _VALUE_LIMIT) -> str | None:
    """A value as it may appear in a message: text, one line, at most ``limit`` characters."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class AppError(Exception):
    """Base of every error raised on purpose.

    Parameters
    ----------
    message_en : str
        The message in English; or, when ``message_zh`` is omitted, one text holding both
        languages separated by ``" / "`` (older call sites), split here.
    message_zh : str, optional
        The same message in Chinese.
    field : str, optional
        The field, column, key or path the error is about (``mobility``, ``policy.training.min_openings``).
    value : object, optional
        The value received (shortened to 80 characters; never personal data).
    allowed : str, optional
        What would have been accepted.
    code : str, optional
        A stable machine code overriding the class's (``laborer_not_found``).
    """

    category: ClassVar[str] = "internal"
    default_code: ClassVar[str] = "internal_error"

    def __init__(
        self,
        message_en: str,
        message_zh: str | None = None,
        *,
        field: str | None = None,
        value: Any = None,
        allowed: str | None = None,
        code: str | None = None,
    ) -> None:
        if message_zh is None:
            message_en, message_zh = _split_bilingual(message_en)
        super().__init__(message_en if message_en == message_zh else f"{message_zh} / {message_en}")
        self.message_en = message_en
        self.message_zh = message_zh
        self.field = field
        self.value = shorten(value)
        self.allowed = allowed
        self.code = code or self.default_code

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for this error's category."""
        return EXIT_CODE[self.category]

    def to_json(self) -> dict[str, Any]:
        """The error as the API and ``--json`` print it."""
        return {
            "code": self.code,
            "category": self.category,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "field": self.field,
            "value": self.value,
            "allowed": self.allowed,
        }


class InputError(AppError, ValueError):
    """The caller sent something that is not allowed (a bad value, a malformed frame or file)."""

    category = "input"
    default_code = "invalid_input"


class NotFoundError(AppError, LookupError):
    """No such person, post, run, fair or code (or not within the caller's reach)."""

    category = "not_found"
    default_code = "not_found"


class ConflictError(AppError):
    """The request clashes with the store's current state."""

    category = "conflict"
    default_code = "conflict"


class StoreBusyError(ConflictError):
    """Another writer holds the store; try again."""

    default_code = "store_busy"


class NotReadyError(AppError):
    """Something the operation needs is not there yet: a trained model, a migrated schema, open posts."""

    category = "not_ready"
    default_code = "not_ready"


class StoreError(AppError):
    """Marker of the errors the store raises (its own category comes from the second base)."""


class StoreConfigError(StoreError, InputError):
    """The database URL or data directory cannot be used."""

    default_code = "invalid_settings"


class RecordError(StoreError, InputError):
    """A record batch is malformed (unknown table, field or duplicate id)."""

    default_code = "invalid_record"


class SchemaMismatchError(StoreError, NotReadyError):
    """The database schema revision is not the one this code expects.

    Parameters
    ----------
    message_en, message_zh : str
        The message in English and Chinese.
    found : str or None
        Revision recorded in the database (``None``: never migrated).
    expected : str
        Head revision shipped with this code.
    """

    default_code = "schema_not_migrated"

    def __init__(self, message_en: str, message_zh: str, *, found: str | None, expected: str) -> None:
        super().__init__(message_en, message_zh, field="schema_revision", value=found, allowed=expected)
        self.found = found
        self.expected = expected


#: What the drivers say when another writer holds the lock past the wait (SQLite's busy timeout,
#: PostgreSQL's lock_timeout, a deadlock victim).
_BUSY_MARKERS = (
    "database is locked",
    "database table is locked",
    "canceling statement due to lock timeout",
    "could not obtain lock",
    "deadlock detected",
)


def as_busy(exc: BaseException) -> StoreBusyError | None:
    """``exc`` (a driver or SQLAlchemy error) as "the store is busy, try again", when that is what it is."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:  # the wrapper, its .orig, its causes
        seen.add(id(current))
        text = str(current.args[0]) if current.args else ""
        if any(marker in text.lower() for marker in _BUSY_MARKERS):
            return StoreBusyError(
                "the store is busy with another writer (an import, a batch run or an edit); try again in a moment",
                "数据库正被另一个写入任务（导入、批处理或编辑）占用，请稍后再试",
                code="store_busy",
            )
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None
