"""Requests that arrive together are computed together: one store read, one ranker pass.

Computing one person's suggestions afresh costs about 40 ms, nearly all of it fixed per call
(reading and preparing a frame, encoding, ranking): twenty people in one call cost about 6 ms
each. A server answers many requests at once, so :class:`Gatherer` lets the threads that need a
fresh computation hand their item over; one of them (the *leader*) computes everything waiting,
up to :data:`MAX_BATCH` items, in one call, and the others wait for their result. When the leader
is done, the next waiting thread whose item is still pending leads the next round. Alone, a
request is computed at once, as before; nothing waits for a timer.

An item's failure (its exception, in the result list) is raised in its own thread only; an
unexpected failure of the whole call is raised in every thread of that round.

Gatherers may share a *lane* (a lock): then one round of any of them runs at a time, and a leader
takes its round's items only once it holds the lane, so whatever queued meanwhile goes with it. A
server's heavy work (writes, fresh lists) then no longer shares the interpreter three or four ways
with itself while the event loop answers the quick reads: under a 90/10 read/write mix at 300
requests/s on two workers, p99 131–169 ms against 161–357 ms without (``docs/figures.md``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Generic, TypeVar

__all__ = ["Gatherer", "MAX_BATCH"]

Item = TypeVar("Item")
Result = TypeVar("Result")

#: The most items computed in one call (a bound on a round's latency and memory).
MAX_BATCH = 32


class Gatherer(Generic[Item, Result]):
    """Gathers concurrent calls of ``compute`` (a list of items → a list of results or exceptions)."""

    def __init__(
        self,
        compute: Callable[[Sequence[Item]], Sequence[Result | BaseException]],
        max_batch: int = MAX_BATCH,
        lane: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.compute, self.max_batch = compute, max_batch
        self._lane: AbstractContextManager[Any] = lane if lane is not None else nullcontext()
        self._queue: list[tuple[Item, Future[Result]]] = []
        self._busy = False
        self._cond = threading.Condition()
        self.rounds = 0
        self.items = 0

    def __call__(self, item: Item) -> Result:
        """``item``'s result, computed with whatever else is waiting (raises the item's own error)."""
        future: Future[Result] = Future()
        with self._cond:
            self._queue.append((item, future))
        while True:
            with self._cond:
                while self._busy and not future.done():
                    self._cond.wait()
                if future.done():
                    break
                self._busy = True  # this thread leads the next round: no other takes items meanwhile
            try:
                with self._lane:
                    with self._cond:
                        batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                    self._run(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        return future.result()

    def _run(self, batch: list[tuple[Item, Future[Result]]]) -> None:
        try:
            results = self.compute([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"gathered computation returned {len(results)} results for {len(batch)} items")
        except BaseException as exc:  # noqa: BLE001 - handed to every waiting thread of this round
            for _, future in batch:
                future.set_exception(exc)
            return
        self.rounds += 1
        self.items += len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
