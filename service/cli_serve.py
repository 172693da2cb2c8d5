"""``matcher serve``: the HTTP API under uvicorn, one process per worker (see :mod:`service.supervisor`)."""

from __future__ import annotations

from typing import Annotated

import typer

APP_FACTORY = "service.api.main:create_app"


def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on / 监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port / 端口")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="worker processes / 进程数")] = 1,
) -> None:
    """Serve the HTTP API (settings from MATCHER_* variables; metrics are per worker process).

    Each worker has its own listening socket on the address (SO_REUSEPORT), so the kernel shares
    connections out evenly; a worker that dies is started again.
    """
    from matcher.settings import Settings
    from service.supervisor import AddressInUseError, serve_workers
    from store.errors import ConflictError

    # A bad MATCHER_* value, or no data directory at all, is reported here, before any worker starts.
    Settings.load().require_home()
    try:
        serve_workers(APP_FACTORY, host, port, workers)
    except AddressInUseError as exc:
        raise ConflictError(
            f"cannot listen on {host}:{port}: {exc.strerror}; stop the program that uses it or choose --port",
            f"无法监听 {host}:{port}：地址已被占用或不可用；请停止占用它的程序，或用 --port 换一个端口",
            field="port",
            value=port,
            allowed="a free port / 未被占用的端口",
            code="address_in_use",
        ) from exc
