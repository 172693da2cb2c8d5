"""``matcher serve``: the HTTP API under uvicorn (the app is built by its factory, per worker)."""

from __future__ import annotations

from typing import Annotated

import typer

APP_FACTORY = "service.api.main:create_app"
#: How long uvicorn's supervisor waits for a worker to answer before restarting it.
WORKER_START_SECONDS = 120


def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on / 监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port / 端口")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="worker processes / 进程数")] = 1,
) -> None:
    """Serve the HTTP API (settings from MATCHER_* variables; metrics are per worker process)."""
    import uvicorn

    from matcher.settings import Settings

    Settings.load()  # a bad MATCHER_* value is reported here, before any worker starts
    # A worker loads the model and today's posts before it answers the supervisor's ping; on a busy
    # machine that takes longer than uvicorn's 5 s default, which would kill and restart it in a loop.
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        timeout_worker_healthcheck=WORKER_START_SECONDS,
    )
