"""The HTTP API: ``create_app()`` builds a FastAPI app whose lifespan builds the one :class:`Application`.

Nothing is built at import. At start-up the lifespan handler sets up JSON logging under
``$MATCHER_HOME/logs/service.jsonl``, builds the application, migrates the store and starts
one daemon thread that flushes the audit buffer and the log's (at least once a second) and calls
``application.refresh()`` every ``settings.refresh`` seconds; at shutdown the thread stops and
both buffers are flushed once more.

Run it with ``matcher serve`` (uvicorn, ``factory=True``). Metrics are per process: with
several workers each one counts its own requests (``/metrics`` answers for the worker that
served it).
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from matcher.app import Application
from matcher.settings import Settings
from service.api.deps import FailureLimiter, KeyCache
from service.api.errors import error_body, install_error_handlers, unexpected_error_response
from service.api.hot import HotReads
from service.api.metrics_state import Metrics
from service.api.schemas import ErrorBody
from service.logs import flush_logs
from store.engine import checkpoint, defer_checkpoints

__all__ = ["create_app", "AuditBuffer", "Worker"]

log = logging.getLogger("service.api")
access_log = logging.getLogger("service.access")

AUDIT_FLUSH_SECONDS = 1.0
#: How often the refresh thread checkpoints a SQLite store's write-ahead log (see ``Worker._checkpoint``).
CHECKPOINT_SECONDS = 1.0
AUDIT_MAX_BUFFER = 100_000


class AuditBuffer:
    """Audit entries kept in memory and written in batches (reads stay fast)."""

    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.dropped = 0

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            if len(self._entries) >= AUDIT_MAX_BUFFER:
                self.dropped += 1
                return
            self._entries.append(entry)

    def flush(self, engine: Any) -> int:
        from store.audit import write_audit

        with self._lock:
            entries, self._entries = self._entries, []
        if not entries:
            return 0
        try:
            return write_audit(engine, entries)
        except Exception:
            log.exception("audit flush failed; %d entries kept for the next try", len(entries))
            with self._lock:
                self._entries[:0] = entries[: AUDIT_MAX_BUFFER - len(self._entries)]
            return 0


class Worker(threading.Thread):
    """Flushes the audit buffer and the log's (:func:`service.logs.flush_logs`: lines written in a quiet spell
    reach the file within about a second) and refreshes the application until stopped; survives errors."""

    def __init__(self, application: Application, audit: AuditBuffer, metrics: Metrics) -> None:
        super().__init__(name="matcher-refresh", daemon=True)
        self.application, self.audit, self.metrics = application, audit, metrics
        self.stop_event = threading.Event()
        self._checkpointed = 0.0

    def run(self) -> None:
        try:  # load the run and the posts before the first request needs them
            self.application.warm_up()
        except Exception:  # a store without a model or posts: /health says why; requests get a 503
            log.exception("warm-up failed")
        settle_heap()
        every = float(self.application.settings.refresh)
        tick = min(every, AUDIT_FLUSH_SECONDS)
        last = 0.0
        while not self.stop_event.wait(tick):
            self.audit.flush(self.application.engine)
            flush_logs()
            self._checkpoint()
            if time.monotonic() - last < every:
                continue
            last = time.monotonic()
            try:
                done = self.application.refresh()
                self.metrics.refreshes.labels(result="ok").inc()
                if done:
                    log.info("refreshed", extra={"refresh": {k: str(v) for k, v in done.items()}})
                if done.keys() & SWAPS:
                    settle_heap()
            except Exception:
                self.metrics.refreshes.labels(result="error").inc()
                log.exception("refresh failed")

    def _checkpoint(self) -> None:
        """The store's write-ahead log copied into it, here rather than in a request's commit (see
        :func:`store.engine.defer_checkpoints`); at most once a second."""
        now = time.monotonic()
        if now - self._checkpointed < CHECKPOINT_SECONDS:
            return
        self._checkpointed = now
        try:
            checkpoint(self.application.engine)
        except Exception:  # a busy or failing store: the next tick tries again
            log.exception("checkpoint failed")

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=10)
        self.audit.flush(self.application.engine)
        flush_logs()


#: What :meth:`Application.refresh` reports when it swapped in a new run or snapshot.
SWAPS = frozenset({"run", "model", "rebuilt"})


def settle_heap() -> None:
    """Keep what the worker has loaded (the posts, the index, the run's people and lists: some 400,000
    objects) out of the cyclic garbage collector's full passes.

    Otherwise each full pass walks all of them: about 160 ms in which the worker answers nothing, and
    under load such passes come every several seconds (each stall lands in every request waiting on the
    worker). Frozen objects are still freed when the last reference to them goes (reference counting);
    only cycles among them would stay, so the previous frozen set is released and collected once here
    before freezing again: after warm-up and after each swap of a run or snapshot.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _one_thread_per_request() -> None:
    """BLAS and faiss's OpenMP on one thread: a worker serves many requests at once, one per thread;
    letting each of them also fan out over every core only makes them fight over the cores."""
    import faiss
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    faiss.omp_set_num_threads(1)


def _lifespan(settings: Settings | None):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from service.logs import setup_json_logging

        current = settings or Settings.load()
        setup_json_logging(current.home / "logs" / "service.jsonl", batched=True)
        _one_thread_per_request()
        application = Application(current)
        application.migrate()
        defer_checkpoints(application.engine)  # the refresh thread takes them (Worker.run)
        app.state.settings = current
        app.state.application = application
        worker = Worker(application, app.state.audit, app.state.metrics)
        worker.start()
        log.info("service started", extra={"home": str(current.home)})
        try:
            yield
        finally:
            worker.stop()
            app.state.application = None
            log.info("service stopped")
            flush_logs()

    return lifespan


def _path_of(scope: dict[str, Any]) -> str:
    """The route's template when one matched (``/laborers/{laborer_id}``), else the path."""
    route = scope.get("route")
    return str(getattr(route, "path", None) or scope.get("path", ""))


class _TooLarge(Exception):
    pass


class ServiceMiddleware:
    """Body-size limit, access log, metrics and audit entries, as plain ASGI (one per app); and the answer to
    a fault no handler expected (:func:`service.api.errors.unexpected_error_response`), given here so that
    it is never raised on to the server."""

    def __init__(self, app: Any, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    def _max_body(self) -> int:
        settings = getattr(self.fastapi_app.state, "settings", None)
        return int(settings.max_body) if settings is not None else 20 * 1024 * 1024

    async def _too_large(self, send: Any, limit: int) -> None:
        body = error_body(
            "body_too_large",
            f"请求体超过上限 {limit} 字节",
            f"the request body is larger than the limit of {limit} bytes",
            field="body",
            allowed=f"at most {limit} bytes",
        )
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": data})

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        scope.setdefault("state", {})  # shared with request.state below (principal, audit mark)
        limit = self._max_body()
        status = {"code": 500, "started": False}
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._too_large(send, limit)
            status["code"] = 413
            self._finish(scope, status["code"], start)
            return
        seen = 0

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not status["started"]:
                await self._too_large(send, limit)
            status["code"] = 413
        except Exception as exc:  # noqa: BLE001 - answered and logged here, never raised to the server
            # Raised further, Starlette's outermost middleware would answer it and raise it again, and
            # uvicorn would print its traceback, message and all, unscrubbed, to the operator's journal.
            if status["started"]:  # the answer has begun: it cannot become an error now
                method, path = scope.get("method"), _path_of(scope)
                log.error("unexpected error after the answer began on %s %s", method, path, exc_info=exc)
                status["code"] = 500
            else:
                response = unexpected_error_response(str(scope.get("method")), _path_of(scope), exc)
                await response(scope, receive, tracking_send)
        self._finish(scope, status["code"], start)

    def _finish(self, scope: dict[str, Any], code: int, start: float) -> None:
        ms = (time.perf_counter() - start) * 1000
        route = scope.get("route")
        template = route.path if isinstance(route, APIRoute) or hasattr(route, "path") else "(unmatched)"
        state = scope.get("state") or {}
        principal = state.get("principal")
        method = scope.get("method", "")
        try:
            metrics: Metrics = self.fastapi_app.state.metrics
            metrics.requests.labels(route=template, method=method, status=str(code)).inc()
            metrics.latency.labels(route=template, method=method).observe(ms / 1000)
        except Exception:  # pragma: no cover - metrics never break a request
            log.exception("metrics failed")
        access_log.info(
            "%s %s %s",
            method,
            template,
            code,
            extra={
                "route": template,
                "method": method,
                "status": code,
                "ms": round(ms, 1),
                "key_id": principal.key_id if principal is not None else None,
            },
        )
        audit = state.get("audit")
        if audit is not None and principal is not None:
            client = scope.get("client")
            self.fastapi_app.state.audit.add(
                {
                    "key_id": principal.key_id,
                    "role": principal.role,
                    "county_code": principal.county_code,
                    "route": f"{method} {template}",
                    "client": client[0] if client else None,
                    "status": code,
                    **audit,
                }
            )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API app; the :class:`Application` is built by its lifespan (from ``settings`` or the environment)."""
    from service.api.routes import (
        audit,
        fairs,
        health,
        laborers,
        metrics,
        occupations,
        recommendations,
        runs,
        vacancies,
    )

    app = FastAPI(
        title="就业扶贫岗位匹配 API / Job matching API",
        version="1",
        description=(
            "Laborer and vacancy ledgers, suggestions, occupation codes, batch runs and job fairs of one or more "
            "counties. Every route except `/health` and `/metrics` needs `Authorization: Bearer <API key>`. "
            "Every error has the body `ErrorBody`."
        ),
        lifespan=_lifespan(settings),
        responses={
            401: {"model": ErrorBody, "description": "missing, unknown, revoked or expired key"},
            422: {"model": ErrorBody, "description": "a bad value (field, value and allowed named)"},
            500: {"model": ErrorBody, "description": "internal error"},
        },
    )
    app.state.application = None
    app.state.settings = settings
    app.state.key_cache = KeyCache()
    app.state.limiter = FailureLimiter()
    app.state.audit = AuditBuffer()
    app.state.shortlists = OrderedDict()  # fair id → the last shortlist built (bounded in routes/fairs.py)
    app.state.metrics = Metrics()
    install_error_handlers(app)
    # The router tries the routes in this order: the ones the load is made of first (a person's suggestions,
    # then record reads and writes). Most reads of suggestions never reach it (service/api/hot.py).
    for module in (recommendations, laborers, vacancies, health, metrics, occupations, runs, fairs, audit):
        app.include_router(module.router)
    __import__("service.web", fromlist=["install_pages"]).install_pages(app)  # the web pages (service/web)
    app.add_middleware(HotReads, fastapi_app=app)  # inside ServiceMiddleware: limits, metrics, logs, audit
    app.add_middleware(ServiceMiddleware, fastapi_app=app)
    return app
