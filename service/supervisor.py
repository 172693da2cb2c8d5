"""Worker processes for ``matcher serve --workers N``, each with its own listening socket.

Why not uvicorn's own ``--workers``: there every worker accepts from one shared socket, and the
kernel hands a burst of keep-alive connections to whichever worker happens to be waiting in
``accept`` first. Under load one worker ended up holding most connections and answered alone
(half the machine idle, latency doubled). Here every worker binds its own socket to the same
address with ``SO_REUSEPORT``; the kernel then spreads new connections over the sockets by a hash
of the client's address and port, so keep-alive clients are shared out evenly.

The supervisor:

- refuses at once when the address is taken by another program (a probe bind, before any worker
  starts; ``SO_REUSEPORT`` only lets sockets of the same user share a port);
- starts ``workers`` processes (``spawn``: each builds its own application in the app's lifespan);
- restarts a worker that dies (logged, at most once a second per worker slot);
- on SIGTERM or SIGINT asks every worker to stop (each finishes its requests and flushes its audit
  buffer in the lifespan shutdown), waits :data:`STOP_SECONDS`, then kills what is left.

With one worker the app is served in the supervisor's own process (no child). Every socket has
``TCP_NODELAY`` (an answer's head and body leave at once, not 40 ms apart), and uvicorn runs on
uvloop with the httptools parser when they are installed (they are dependencies).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any

__all__ = ["serve_workers", "bind_socket", "STOP_SECONDS"]

log = logging.getLogger("uvicorn.error")  # configured by uvicorn.Config, like uvicorn's own messages

STOP_SECONDS = 20.0
RESTART_EVERY = 1.0
BACKLOG = 2048


class AddressInUseError(OSError):
    """The address is held by another program."""


def bind_socket(host: str, port: int, *, reuse_port: bool = True) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when ``host`` has a colon), ``SO_REUSEPORT`` set."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        # Accepted connections inherit it: an answer written in two parts (head, body) must not wait
        # for the client's delayed ACK (Nagle), which cost 40 ms per request on loopback.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
        sock.set_inheritable(False)
    except OSError:
        sock.close()
        raise
    return sock


#: Seconds a thread may hold the interpreter lock before another is let in (Python's default: 0.005).
SWITCH_INTERVAL_S = 0.0005


def _config(factory: str, log_level: str) -> Any:
    """uvicorn's configuration of a worker. Without uvicorn's access log: its plain-text lines carry each
    request's whole path and query (a search by ID number or phone, ``?q=…``, would put it in the
    operator's journal unmasked); the app's own access log (``service.access``, JSON lines with the route
    template, the status, the time and the key, never a path's ids) is the one kept. uvicorn's other
    lines (start, stop, a failure of its own) pass :class:`service.logs.ScrubFilter` first, tracebacks
    included."""
    import copy

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    logging_config = copy.deepcopy(LOGGING_CONFIG)  # uvicorn's own lines, scrubbed like the app's
    logging_config.setdefault("filters", {})["scrub"] = {"()": "service.logs.ScrubFilter"}
    for handler in logging_config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "scrub"]
    return uvicorn.Config(factory, factory=True, log_level=log_level, access_log=False, log_config=logging_config)


def _worker(factory: str, host: str, port: int, log_level: str) -> None:
    """One worker process: its own socket, one uvicorn server, the app built by ``factory``."""
    import sys

    import uvicorn

    # The event loop answers last night's lists in about a millisecond while writes and fresh lists run
    # in threads for tens of milliseconds; with Python's default 5 ms switch interval each of the loop's
    # steps could wait a whole slice behind them for the interpreter lock.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    sock = bind_socket(host, port)
    uvicorn.Server(_config(factory, log_level)).run(sockets=[sock])


class _Supervisor:
    def __init__(self, factory: str, host: str, port: int, workers: int, log_level: str) -> None:
        self.factory, self.host, self.port, self.workers, self.log_level = factory, host, port, workers, log_level
        self.context = multiprocessing.get_context("spawn")
        self.procs: list[Any] = [None] * workers
        self.started: list[float] = [0.0] * workers
        self.stopping = threading.Event()

    def _start(self, slot: int) -> None:
        proc = self.context.Process(
            target=_worker,
            args=(self.factory, self.host, self.port, self.log_level),
            name=f"matcher-worker-{slot}",
            daemon=False,
        )
        proc.start()
        self.procs[slot], self.started[slot] = proc, time.monotonic()
        log.info("worker [%s] started", proc.pid)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.stopping.set()

    def run(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        for slot in range(self.workers):
            self._start(slot)
        log.info("serving on http://%s:%d with %d workers (one socket each)", self.host, self.port, self.workers)
        while not self.stopping.wait(0.5):
            for slot, proc in enumerate(self.procs):
                if proc is None or proc.is_alive():
                    continue
                log.error("worker [%s] died (exit code %s); starting another", proc.pid, proc.exitcode)
                wait = RESTART_EVERY - (time.monotonic() - self.started[slot])
                if wait > 0 and self.stopping.wait(wait):
                    break
                self._start(slot)
        self._stop()

    def _stop(self) -> None:
        log.info("stopping %d workers", self.workers)
        for proc in self.procs:
            if proc is not None and proc.is_alive():
                proc.terminate()  # SIGTERM: uvicorn finishes its requests, the lifespan flushes the audit
        deadline = time.monotonic() + STOP_SECONDS
        for proc in self.procs:
            if proc is not None:
                proc.join(max(0.0, deadline - time.monotonic()))
        for proc in self.procs:
            if proc is not None and proc.is_alive():
                log.error("worker [%s] did not stop within %.0f s; killed", proc.pid, STOP_SECONDS)
                proc.kill()
                proc.join(5)
        log.info("stopped")


#: The math libraries' thread counts in a worker (unless the operator set them).
ONE_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_thread_math() -> None:
    """BLAS and OpenMP (faiss) on one thread in every thread of the workers to come, by their environment.

    A worker runs its heavy work (fresh lists, writes) in threads of its pool. OpenMP keeps a thread count
    per thread, and a new thread starts from the environment's, not from what the app set at start-up in
    its main thread (``omp_set_num_threads``): without this, each fresh list searched the index and
    multiplied matrices on both cores, spinning at its barriers against the other worker and the event
    loop. Set before the workers start (and before faiss is loaded here, for a single in-process worker).
    """
    for var in ONE_THREAD_ENV:
        os.environ.setdefault(var, "1")


def serve_workers(factory: str, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """Serve ``factory`` (``module:function`` building the ASGI app) on ``host:port`` with ``workers`` processes."""
    import uvicorn

    one_thread_math()

    if workers <= 1:
        uvicorn.Server(_config(factory, log_level)).run(sockets=[bind_socket(host, port, reuse_port=False)])
        return
    try:  # a probe without SO_REUSEPORT: fails when anyone (even another server of ours) holds the address
        bind_socket(host, port, reuse_port=False).close()
    except OSError as exc:
        raise AddressInUseError(exc.errno, f"{host}:{port}: {exc.strerror}") from exc
    _config(factory, log_level)  # configures the supervisor's logging like uvicorn's
    _Supervisor(factory, host, port, workers, log_level).run()
