"""A worker keeps what it loaded out of the collector's full passes, and lets go of it at a swap."""

from __future__ import annotations

import gc
import weakref

from service.api.main import settle_heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_settling_freezes_what_is_loaded_and_frees_the_cycles_of_a_swapped_out_snapshot() -> None:
    try:
        old = _Node()
        alive = weakref.ref(old)
        settle_heap()
        assert gc.get_freeze_count() > 0
        del old
        gc.collect()
        assert alive() is not None  # frozen: a full pass does not walk it (nor free its cycle)
        settle_heap()  # the next swap: the previous frozen set is collected once
        assert alive() is None
    finally:
        gc.unfreeze()
