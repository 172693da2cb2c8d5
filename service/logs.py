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

The service's log file is written in batches (:class:`BatchedFileHandler`, ``batched=True``): info lines
reach it at most about a second late (the service's refresh thread calls :func:`flush_logs` once a second),
warnings and errors at once, and everything still buffered is written when the process exits normally. A
command's log (``matcher.log``) is written a line at a time.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
import time
import traceback
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from service.masking import mask_id_number, mask_name, mask_phone, scrub_text

__all__ = [
    "setup_json_logging",
    "flush_logs",
    "close_json_logging",
    "BatchedFileHandler",
    "JsonFormatter",
    "ScrubFilter",
    "exception_summary",
]

#: The name of the handler :func:`setup_json_logging` installs on the root logger.
HANDLER_NAME = "matcher-json"
#: A log file's buffer is written out with a record that comes this long (seconds) after the last write-out,
FLUSH_SECONDS = 0.5
#: when it holds this many characters (64 KiB or more once encoded),
FLUSH_CHARS = 64 * 1024
#: and with a record of this level or above (see BatchedFileHandler).
FLUSH_LEVEL = logging.WARNING

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


class BatchedFileHandler(logging.handlers.WatchedFileHandler):
    """A :class:`~logging.handlers.WatchedFileHandler` that writes its lines in batches.

    Why: every request writes one access-log line, and the plain handler makes two syscalls per line (a
    ``write`` when it flushes the stream, an ``os.stat`` of the path to notice a rotated file). Profiled under
    load that was 7 % of a worker's CPU: 600 syscalls a second per worker at 300 requests/s, on a VM where
    syscalls are expensive.

    How: :meth:`emit` formats the record (filters and formatter as for any handler) and appends the line to
    a buffer in memory, with no syscall (``time.monotonic`` is read without one). The buffer is written out
    (one ``write``, then the stream's flush, after the rotation check: one ``os.stat`` of the path, the file
    reopened when it was moved away) when the record is a warning or worse (:data:`FLUSH_LEVEL`), when the
    buffer holds :data:`FLUSH_CHARS` characters, when :data:`FLUSH_SECONDS` have passed since the last
    write-out, and by :meth:`flush` and :meth:`close`. Lines keep their order.

    The promise: access-log (info) lines reach the file at most about a second late, as long as something
    calls :meth:`flush` once a second when it is quiet (the service's refresh thread does, through
    :func:`flush_logs`); warnings and errors at once, with every line logged before them. A normal exit
    writes out what is left (:func:`logging.shutdown`, run at exit, flushes and closes every handler). A
    process killed with SIGKILL (or one that dies in C) loses its last second or so of info lines.

    A write-out that fails (a full disk, a directory removed) is reported as logging reports any failure
    to write (:meth:`~logging.Handler.handleError`: a traceback on standard error, never an exception to the
    caller) and its lines are dropped, counted in :attr:`lost`: a part of them may already be in the file or
    in the stream's own buffer (which tries them again itself), so writing them again could double lines,
    and keeping them would let the buffer grow without bound while the disk stays full. Another attempt is
    made with the next write-out; the buffer holds at most :data:`FLUSH_CHARS` characters and one record.
    """

    def __init__(
        self,
        filename: str | os.PathLike[str],
        mode: str = "a",
        encoding: str | None = "utf-8",
        delay: bool = False,
        errors: str | None = None,
    ) -> None:
        super().__init__(filename, mode=mode, encoding=encoding, delay=delay, errors=errors)
        self._pending: list[str] = []
        self._chars = 0
        self._written = time.monotonic()
        #: Lines dropped because their write-out failed.
        self.lost = 0
        _BATCHED.add(self)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except RecursionError:  # as logging.StreamHandler does
            raise
        except Exception:  # noqa: BLE001 - reported by logging, never raised to the caller
            self.handleError(record)
            return
        with self.lock:  # already held when called through Handler.handle (an RLock)
            self._pending.append(line)
            self._chars += len(line)
            if (
                record.levelno >= FLUSH_LEVEL
                or self._chars >= FLUSH_CHARS
                or time.monotonic() - self._written >= FLUSH_SECONDS
            ):
                self._write_out(record)

    def flush(self) -> None:
        """Write out what is buffered (nothing to do, and no syscall, when the buffer is empty)."""
        with self.lock:
            self._write_out(None)

    def close(self) -> None:
        """Write out what is buffered, then close the file."""
        with self.lock:
            try:
                self._write_out(None)
            finally:
                super().close()

    def _write_out(self, record: logging.LogRecord | None) -> None:
        """The buffer in one write, after the rotation check; the caller holds the lock."""
        if not self._pending:
            return
        data = "".join(self._pending)
        lines = len(self._pending)
        self._pending.clear()
        self._chars = 0
        self._written = time.monotonic()  # after a failure too: the next attempt waits like any write-out
        try:
            if self.stream is None:  # closed, or a reopen failed: open the path again
                if self.mode == "w" and self._closed:  # as logging.FileHandler.emit
                    return
                self.stream = self._open()
                self._statstream()
            else:
                self.reopenIfNeeded()  # one os.stat of the path: reopened when moved away
            self.stream.write(data)
            self.stream.flush()
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 - reported by logging, never raised to the caller
            self.lost += lines
            if record is None:
                record = logging.makeLogRecord(
                    {
                        "name": __name__,
                        "levelno": logging.ERROR,
                        "levelname": "ERROR",
                        "msg": "%d log lines could not be written to %s and are dropped",
                        "args": (lines, self.baseFilename),
                    }
                )
            self.handleError(record)


#: Every batched handler of this process, for :func:`_forget_after_fork`.
_BATCHED: weakref.WeakSet[BatchedFileHandler] = weakref.WeakSet()


def _forget_after_fork() -> None:
    """A forked child drops the lines its parent had buffered: the parent writes them itself."""
    for handler in list(_BATCHED):
        handler._pending.clear()
        handler._chars = 0


if hasattr(os, "register_at_fork"):  # registered after logging's own, so it runs after the locks are reset
    os.register_at_fork(after_in_child=_forget_after_fork)


def flush_logs() -> None:
    """Write out what the handler :func:`setup_json_logging` installed has buffered, if there is one."""
    for handler in list(logging.getLogger().handlers):
        if handler.get_name() == HANDLER_NAME:
            try:
                handler.flush()
            except (OSError, ValueError):  # as logging.shutdown: a closed standard error (the stderr handler)
                pass


def close_json_logging() -> None:
    """Remove the handler :func:`setup_json_logging` installed, if there is one, writing out what it had
    buffered and closing its file (before that file's folder is removed, say)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
        old.close()


def setup_json_logging(path: Path | None, level: str | int = "INFO", *, batched: bool = False) -> logging.Handler:
    """Send every log record, scrubbed, as JSON lines to ``path`` (``None``: standard error).

    Replaces the handler a previous call installed (closing it writes what it
    had buffered), so calling it twice does not write lines twice. Other
    handlers (uvicorn's, the CLI's log file) see unscrubbed records unless
    they get a :class:`ScrubFilter` as well.

    Parameters
    ----------
    path : pathlib.Path or None
        File to append to (its directory is created); ``None`` for stderr.
    level : str or int
        Lowest level written, e.g. ``"INFO"``.
    batched : bool
        Write the file in batches (:class:`BatchedFileHandler`; the service, a line per request): the
        process then calls :func:`flush_logs` about once a second, so that a quiet spell's lines reach the
        file within that second. Otherwise each line is written at once (a command's few lines, which an
        operator may follow while a long batch runs).

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
        if batched:  # info lines up to about a second late (see BatchedFileHandler)
            handler = BatchedFileHandler(path, encoding="utf-8")
        else:
            handler = logging.handlers.WatchedFileHandler(path, encoding="utf-8")
    handler.setLevel(level)
    handler.addFilter(ScrubFilter())
    handler.setFormatter(JsonFormatter())
    handler.set_name(HANDLER_NAME)
    close_json_logging()
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > handler.level:
        root.setLevel(handler.level)
    return handler
