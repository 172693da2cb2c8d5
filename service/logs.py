"""JSON-lines logging for the service and the CLI, scrubbed of personal data.

Each record becomes one line ``{"ts", "level", "logger", "msg", …extras}``.
:class:`ScrubFilter` runs :func:`service.masking.scrub_text` over the
formatted message and every string extra (inside lists and dicts too), and
masks extras named like personal fields (``person_name``, ``id_number``,
``phone``; stdlib logging refuses an extra called ``name``, which is the
logger's name). Exceptions are written as their type, a scrubbed message
and the traceback frames (file, line, function), never local variables or
source lines::

    setup_json_logging(Path("var/logs/service.jsonl"))
    log.info("imported %s rows", 20, extra={"county_code": "360322"})
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from service.masking import mask_id_number, mask_name, mask_phone, scrub_text

__all__ = ["setup_json_logging", "JsonFormatter", "ScrubFilter", "exception_summary"]

#: Attributes every LogRecord has; anything else on a record is an ``extra``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
#: Extras masked as a whole whatever their shape, by key.
_PII_EXTRAS = {
    "person_name": mask_name,
    "laborer_name": mask_name,
    "full_name": mask_name,
    "id_number": mask_id_number,
    "phone": mask_phone,
}
_DEPTH = 4  # nested extras deeper than this are cut to their type name


def _scrub(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= _DEPTH:
        return f"<{type(value).__name__}>"
    if isinstance(value, Mapping):
        return {str(k): _scrub_extra(str(k), v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(v, depth + 1) for v in value]
    return scrub_text(str(value))


def _scrub_extra(key: str, value: Any, depth: int = 0) -> Any:
    mask = _PII_EXTRAS.get(key)
    if mask is not None and value is not None:
        return mask(str(value))
    return _scrub(value, depth)


def exception_summary(exc_info: tuple[type[BaseException], BaseException, TracebackType | None]) -> dict[str, Any]:
    """Type, scrubbed message, frames and scrubbed causes of an exception; no locals, no source."""
    _, exc, tb = exc_info
    out: dict[str, Any] = {
        "type": type(exc).__name__,
        "message": scrub_text(str(exc)),
        "frames": [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb)],
    }
    causes: list[dict[str, str]] = []
    seen = {id(exc)}
    cause = exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen and len(causes) < 5:
        seen.add(id(cause))
        causes.append({"type": type(cause).__name__, "message": scrub_text(str(cause))})
        cause = cause.__cause__ or cause.__context__
    if causes:
        out["causes"] = causes
    return out


class ScrubFilter(logging.Filter):
    """Mask ID numbers, phones and personal extras in a record before any handler formats it.

    The message is formatted once (``msg % args``), scrubbed and stored back
    with no args; string extras are scrubbed in place.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = f"{record.msg!s} {record.args!r}"
        record.msg = scrub_text(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # A text formatter (uvicorn's) prints the traceback from here: the message in it scrubbed too.
            record.exc_text = scrub_text("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        for key in [k for k in record.__dict__ if k not in _STANDARD]:
            record.__dict__[key] = _scrub_extra(key, record.__dict__[key])
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``msg``, extras, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub_text(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in payload:
                payload[key] = _scrub_extra(key, value)
        if record.exc_info and record.exc_info[1] is not None:
            payload["exc"] = exception_summary(record.exc_info)  # type: ignore[arg-type]
        if record.stack_info:
            payload["stack"] = scrub_text(record.stack_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def setup_json_logging(path: Path | None, level: str | int = "INFO") -> logging.Handler:
    """Send every log record, scrubbed, as JSON lines to ``path`` (``None``: standard error).

    Replaces the handler a previous call installed, so calling it twice does
    not write lines twice. Other handlers (uvicorn's, the CLI's log file)
    see unscrubbed records unless they get a :class:`ScrubFilter` as well.

    Parameters
    ----------
    path : pathlib.Path or None
        File to append to (its directory is created); ``None`` for stderr.
    level : str or int
        Lowest level written, e.g. ``"INFO"``.

    Returns
    -------
    logging.Handler
        The installed handler.
    """
    handler: logging.Handler
    if path is None:
        handler = logging.StreamHandler(sys.stderr)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Reopened when the file is moved away (logrotate, or an operator's mv): every worker process
        # then writes to the new file, which a size-rotating handler in each process could not promise.
        handler = logging.handlers.WatchedFileHandler(path, encoding="utf-8")
    handler.setLevel(level)
    handler.addFilter(ScrubFilter())
    handler.setFormatter(JsonFormatter())
    handler.set_name("matcher-json")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "matcher-json"]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    if root.level > handler.level:
        root.setLevel(handler.level)
    return handler
