"""matcher.gather: concurrent calls computed together, each thread gets exactly its own result or error."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.gather import Gatherer


class Bad(Exception):
    pass


@settings(max_examples=30, deadline=None)
@given(items=st.lists(st.integers(-5, 50), min_size=1, max_size=40), max_batch=st.integers(1, 8))
def test_every_caller_gets_its_own_result_or_error(items: list[int], max_batch: int) -> None:
    calls: list[list[int]] = []

    def compute(batch: Sequence[int]) -> list[int | BaseException]:
        calls.append(list(batch))
        return [Bad(n) if n < 0 else n * n for n in batch]

    gather: Gatherer[int, int] = Gatherer(compute, max_batch=max_batch)

    def one(n: int) -> object:
        try:
            return gather(n)
        except Bad as exc:
            return ("bad", exc.args[0])

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(one, items))
    assert got == [("bad", n) if n < 0 else n * n for n in items]
    assert all(1 <= len(c) <= max_batch for c in calls)
    assert sorted(n for c in calls for n in c) == sorted(items)  # each item computed exactly once


def test_waiting_callers_are_computed_in_one_round() -> None:
    n = 6
    arrived = threading.Barrier(n)
    first = threading.Event()
    rounds: list[list[int]] = []
    gather: Gatherer[int, int] | None = None

    def compute(batch: Sequence[int]) -> list[int]:
        if not first.is_set():  # the first round holds on until everyone else is queued behind it
            first.set()
            while len(gather._queue) < n - 1:  # type: ignore[union-attr]  # noqa: SLF001
                threading.Event().wait(0.001)
        rounds.append(list(batch))
        return [b + 1 for b in batch]

    gather = Gatherer(compute)

    def one(i: int) -> int:
        arrived.wait()
        if i:
            first.wait()
        return gather(i)  # type: ignore[misc]

    with ThreadPoolExecutor(n) as pool:
        assert list(pool.map(one, range(n))) == [i + 1 for i in range(n)]
    assert [len(r) for r in rounds] == [1, n - 1]


def test_a_failed_round_fails_its_callers_only() -> None:
    fail = {"now": True}

    def compute(batch: Sequence[int]) -> list[int]:
        if fail["now"]:
            raise RuntimeError("store unreachable")
        return list(batch)

    gather: Gatherer[int, int] = Gatherer(compute)
    with pytest.raises(RuntimeError, match="store unreachable"):
        gather(1)
    fail["now"] = False
    assert gather(2) == 2


def test_gatherers_sharing_a_lane_never_compute_at_once() -> None:
    """Writes and fresh lists share one lane: a round of one never overlaps a round of the other, and every
    caller still gets its own result."""
    lane = threading.RLock()
    active, most = [0], [0]
    guard = threading.Lock()

    def compute(scale: int) -> object:
        def run(batch: Sequence[int]) -> list[int]:
            with guard:
                active[0] += 1
                most[0] = max(most[0], active[0])
            threading.Event().wait(0.002)  # long enough for the other gatherer's leader to try
            with guard:
                active[0] -= 1
            return [n * scale for n in batch]

        return run

    first: Gatherer[int, int] = Gatherer(compute(2), max_batch=3, lane=lane)
    second: Gatherer[int, int] = Gatherer(compute(3), max_batch=3, lane=lane)
    items = list(range(60))
    with ThreadPoolExecutor(12) as pool:
        got = list(pool.map(lambda n: (first if n % 2 else second)(n), items))
    assert got == [n * (2 if n % 2 else 3) for n in items]
    assert most[0] == 1


def test_what_queues_while_the_lane_is_taken_goes_in_the_next_round() -> None:
    lane = threading.RLock()
    calls: list[list[int]] = []

    def compute(batch: Sequence[int]) -> list[int]:
        calls.append(sorted(batch))
        return list(batch)

    gather: Gatherer[int, int] = Gatherer(compute, max_batch=8, lane=lane)
    with lane:  # another gatherer's round holds the lane
        with ThreadPoolExecutor(5) as pool:
            futures = [pool.submit(gather, n) for n in range(5)]
            while len(gather._queue) < 5:  # noqa: SLF001 - every caller has queued its item
                threading.Event().wait(0.001)
            lane.release()  # the round begins: everything queued meanwhile goes with it
            try:
                assert [f.result(timeout=30) for f in futures] == list(range(5))
            finally:
                lane.acquire()
    assert calls == [[0, 1, 2, 3, 4]]
