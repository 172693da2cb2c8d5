"""A bounded memo keyed by the identity of objects that are never changed in place.

For tables derived from constants or fitted arrays (a vocabulary flattened for lookups, an
occupation code → name table): built once per object instead of once per call, shared by the
server's threads. Entries hold their key objects, so an id is never reused by another object
while its entry lives; the oldest entry goes when the memo is full. Values are shared: never
mutate one (hand out a read-only view or a copy).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["IdentityMemo"]

T = TypeVar("T")


class IdentityMemo(Generic[T]):
    """``memo.get((a, b), build)``: ``build()`` once per identity of ``a`` and ``b`` (at most ``size`` kept)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[tuple[int, ...], tuple[tuple[Any, ...], T]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, objects: tuple[Any, ...], build: Callable[[], T]) -> T:
        key = tuple(id(o) for o in objects)
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], objects, strict=True)):
            return hit[1]
        value = build()
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (objects, value)
        return value
