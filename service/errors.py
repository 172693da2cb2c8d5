"""Turn domain errors into bilingual messages and exit codes; keep tracebacks in the log file.

Exceptions that mean "the user can fix this" carry ``message_en`` and
``message_zh`` (or a plain message) and map to an exit code here; anything
else is an internal error: one short line on the terminal, the traceback in
``$MATCHER_HOME/logs/matcher.log`` (which never receives personal data:
messages are built from ids, counts and column names only, and database
errors arrive masked, see :func:`store.engine.mask_db_message`).

A store that was never migrated (a fresh data directory) is never an internal
error: the database's "no such table" becomes the same "run `matcher migrate`"
message every command gives. Nor is a store another writer holds (SQLite's
"database is locked" after the busy timeout, :class:`store.errors.StoreBusyError`):
it is "the store is busy …, try again", exit code 4, the API's 409 ``store_busy``
(``docs/cli.md`` lists the exit codes). With ``--json`` a command prints its error as JSON
on standard output, in the API's error shape (same ``code``), and exits with the
same code as without.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer

from store.errors import AppError, NotReadyError, StoreBusyError, as_busy

log = logging.getLogger("matcher")

EXIT_USAGE = 2
EXIT_INTERNAL = 1


_LOG_DIR: list[Path] = [Path("var") / "logs"]


def log_dir() -> Path:
    """Where this process logs (set by :func:`setup_logging`)."""
    return _LOG_DIR[0]


def setup_logging(home: Path | None = None) -> None:
    """Log INFO and above, scrubbed of personal data, as JSON lines to ``home/logs/matcher.log``."""
    from service.logs import setup_json_logging

    root = logging.getLogger()
    root.setLevel(logging.INFO)
    if home is None:
        if not root.handlers:
            root.addHandler(logging.NullHandler())
        return
    path = _LOG_DIR[0] = Path(home) / "logs"
    try:
        setup_json_logging(path / "matcher.log")
    except OSError:
        root.addHandler(logging.NullHandler())


def _bilingual(exc: BaseException) -> str:
    zh = getattr(exc, "message_zh", None)
    en = getattr(exc, "message_en", None)
    if zh and en:
        return f"错误：{zh}\nerror: {en}"
    return f"错误 / error: {exc}"


def error_json(exc: AppError) -> dict[str, object]:
    """The error as the API answers it (``code``, ``message_zh``, ``message_en``, ``field``, ``value``, ``allowed``)."""
    return {key: value for key, value in exc.to_json().items() if key != "category"}


#: What an unexpected error is called in JSON (the API's 500 answer has the same code).
INTERNAL_CODE = "internal_error"


def _missing_schema(exc: BaseException) -> AppError | None:
    """The "run `matcher migrate`" error when ``exc`` is a database's "no such table" (a never-migrated store)."""
    try:
        from sqlalchemy.exc import OperationalError, ProgrammingError
    except ImportError:  # pragma: no cover - SQLAlchemy is a dependency
        return None
    if not isinstance(exc, OperationalError | ProgrammingError):
        return None
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    undefined = getattr(orig, "sqlstate", None) == "42P01" or "no such table" in text
    if not undefined:
        return None
    return NotReadyError(
        "the store has no tables yet (a new data directory?); run `matcher migrate`, then ingest a ledger "
        "with `matcher ingest laborers FILE`",
        "数据库还没有初始化（新的数据目录？），请先运行 `matcher migrate`，"
        "再用 `matcher ingest laborers 文件` 导入台账",
        code="schema_not_migrated",
    )


def _batch_holder() -> dict[str, object]:
    """The running batch of this data directory (pid, host, start), read from its run lock; {} when none runs."""
    import os
    import socket

    try:
        from matcher.batch.runs import LOCK_NAME, runs_root
        from service.context import cli_settings

        text = (runs_root(cli_settings().home) / LOCK_NAME).read_text(encoding="utf-8").strip()
        holder = dict(json.loads(text)) if text else {}
        if holder and holder.get("host") == socket.gethostname():
            os.kill(int(holder["pid"]), 0)  # a holder that died leaves its name behind: not busy with it
    except (AppError, OSError, ValueError, KeyError, TypeError):
        return {}
    return holder


def busy_with(exc: StoreBusyError) -> StoreBusyError:
    """ "The store is busy …, try again", naming the batch run that holds it when one runs (else ``exc``)."""
    holder = _batch_holder()
    if not holder:
        return exc
    pid, host, started = holder.get("pid", "?"), holder.get("host", "?"), holder.get("started_at", "?")
    return StoreBusyError(
        f"the store is busy with a batch run (pid {pid} on {host}, started {started} UTC); "
        "try again when it has finished",
        f"数据库正被批处理占用（进程 {pid}，主机 {host}，开始于 {started} UTC），请在它结束后再试",
        code="store_busy",
    )


def emit(exc: AppError, as_json: bool) -> None:
    """Print ``exc``: bilingual lines on standard error, or the API's JSON on standard output."""
    if as_json:
        typer.echo(json.dumps(error_json(exc), ensure_ascii=False, indent=2))
    else:
        typer.echo(_bilingual(exc), err=True)


@contextmanager
def report_errors(as_json: bool = False) -> Iterator[None]:
    """Run a CLI body; print user errors plainly (or as JSON) and internal errors without a traceback."""
    try:
        yield
    except (typer.Exit, SystemExit):
        raise
    except BrokenPipeError:
        # The reader went away (``matcher recommend … | head``): nothing left to say.
        sys.stderr.close()
        sys.exit(0)
    except KeyboardInterrupt:
        typer.echo("\n已中断，未提交的更改已撤销 / interrupted; nothing uncommitted was kept", err=True)
        sys.exit(130)
    except AppError as exc:
        if isinstance(exc, StoreBusyError):
            exc = busy_with(exc)
        if exc.category == "internal":
            log.error("internal error %s: %s", exc.code, exc.message_en)
        emit(exc, as_json)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the last line of defence before the terminal
        busy = as_busy(exc)
        known = _missing_schema(exc) or (busy_with(busy) if busy is not None else None)
        if known is not None:
            emit(known, as_json)
            sys.exit(known.exit_code)
        log.exception("internal error")
        where = log_dir() / "matcher.log"
        en = f"internal error ({exc.__class__.__name__}); details in {where}"
        zh = f"内部错误（{exc.__class__.__name__}），详情见 {where}"
        if as_json:
            emit(AppError(en, zh, code=INTERNAL_CODE), as_json)
        else:
            typer.echo(f"{zh}\n{en}", err=True)
        sys.exit(EXIT_INTERNAL)


P = ParamSpec("P")
R = TypeVar("R")


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that its errors go through :func:`report_errors` (as JSON when called with ``--json``)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with report_errors(as_json=bool(kwargs.get("json_"))):
            return fn(*args, **kwargs)

    return wrapper
