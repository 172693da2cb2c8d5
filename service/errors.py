"""Turn domain errors into bilingual messages and exit codes; keep tracebacks in the log file.

Exceptions that mean "the user can fix this" carry ``message_en`` and
``message_zh`` (or a plain message) and map to an exit code here; anything
else is an internal error: one short line on the terminal, the traceback in
``$MATCHER_HOME/logs/matcher.log`` (which never receives personal data:
messages are built from ids, counts and column names only).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer

from store.errors import AppError

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


@contextmanager
def report_errors() -> Iterator[None]:
    """Run a CLI body; print user errors plainly and internal errors without a traceback."""
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
        if exc.category == "internal":
            log.error("internal error %s: %s", exc.code, exc.message_en)
        typer.echo(_bilingual(exc), err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the last line of defence before the terminal
        log.exception("internal error")
        typer.echo(
            f"内部错误（{exc.__class__.__name__}），详情见 {log_dir() / 'matcher.log'}\n"
            f"internal error ({exc.__class__.__name__}); details in {log_dir() / 'matcher.log'}",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)


P = ParamSpec("P")
R = TypeVar("R")


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that its errors go through :func:`report_errors`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with report_errors():
            return fn(*args, **kwargs)

    return wrapper
