"""A minimal ASGI app for the supervisor's tests: answers with the serving process's id (``/threads``: the
OpenMP thread count a thread of the worker's pool gets)."""

from __future__ import annotations

import os
from typing import Any


def create_app() -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope.get("path") == "/threads":  # the OpenMP threads a pool thread would use (faiss's count)
            import faiss
            from starlette.concurrency import run_in_threadpool

            body = str(await run_in_threadpool(faiss.omp_get_max_threads)).encode()
        else:
            body = str(os.getpid()).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})

    return app
