"""The id map and float32 vector store behind :class:`matcher.index.VacancyIndex`.

Vacancy ids are strings; faiss wants int64. Each new string gets the next
integer and keeps it for the life of the store, across rebuilds, saves and
removals: an integer is never handed to another vacancy, so a stale integer
can never point at the wrong post. Row ``i`` of ``vectors`` is the vector of
integer id ``i``; ``alive[i]`` says whether it is currently indexed. The
store also does the exact scoring used for small candidate sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["VectorStore", "as_matrix", "as_keys", "is_flat_keys", "empty_result"]


def as_matrix(vectors: Any, dim: int, name: str) -> np.ndarray:
    """``vectors`` as a C-contiguous float32 (n, dim) matrix; a (dim,) vector becomes (1, dim)."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"{name}: expected shape (n, {dim}), got {np.shape(vectors)} / 向量维度应为 {dim}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinity / 向量含有非数值")
    return np.ascontiguousarray(arr)


def as_keys(ids: Any, name: str = "vacancy_id") -> list[str]:
    """``ids`` as a list of non-empty str (one str is a list of one)."""
    keys = [ids] if isinstance(ids, str) else list(ids)
    for key in keys:
        if not isinstance(key, str) or not key:
            raise ValueError(f"{name}: got {key!r}; allowed: non-empty text / 岗位编号必须为非空文本")
    return keys


def is_flat_keys(allowed: Any) -> bool:
    """True when ``allowed`` is one collection of ids (not one collection per query)."""
    if isinstance(allowed, np.ndarray):
        return allowed.ndim == 1 and (allowed.dtype.kind == "U" or all(isinstance(a, str) for a in allowed[:1]))
    return isinstance(allowed, (list, tuple, set, frozenset)) and all(isinstance(a, str) for a in allowed)


def empty_result(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores ``-inf`` and integer ids ``-1``, shape (n, k) each."""
    return np.full((n, k), -np.inf, dtype=np.float32), np.full((n, k), -1, dtype=np.int64)


class VectorStore:
    """Append-only string → int64 id map with one float32 vector per integer id."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.keys: list[str] = []  # int id -> vacancy_id, append-only
        self.ints: dict[str, int] = {}
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        self.alive = np.zeros(0, dtype=bool)
        self._key_table: np.ndarray | None = None  # cached object array of keys + [None]

    def __len__(self) -> int:
        return int(self.alive.sum())

    def __contains__(self, key: object) -> bool:
        i = self.ints.get(key) if isinstance(key, str) else None
        return i is not None and bool(self.alive[i])

    def assign(self, keys: list[str]) -> np.ndarray:
        """Int ids for ``keys``, minting new ones (never reusing) for unseen keys."""
        out = np.empty(len(keys), dtype=np.int64)
        for n, key in enumerate(keys):
            i = self.ints.get(key)
            if i is None:
                i = len(self.keys)
                self.ints[key] = i
                self.keys.append(key)
            out[n] = i
        if len(self.keys) > len(self.alive):
            cap = max(len(self.keys), 2 * len(self.alive))
            vectors = np.zeros((cap, self.dim), dtype=np.float32)
            vectors[: len(self.vectors)] = self.vectors
            alive = np.zeros(cap, dtype=bool)
            alive[: len(self.alive)] = self.alive
            self.vectors, self.alive = vectors, alive
        return out

    def lookup(self, keys: Sequence[str]) -> np.ndarray:
        """Sorted int ids of the live vacancies among ``keys`` (unknown or removed ones dropped)."""
        arr = np.asarray([self.ints.get(k, -1) for k in keys], dtype=np.int64)
        arr = arr[arr >= 0]
        return np.unique(arr[self.alive[arr]])

    def to_keys(self, ints: np.ndarray) -> np.ndarray:
        """Object array of vacancy ids for ``ints`` (any shape); ``-1`` becomes ``None``."""
        if self._key_table is None or len(self._key_table) != len(self.keys) + 1:
            self._key_table = np.asarray([*self.keys, None], dtype=object)
        return self._key_table[np.where(ints >= 0, ints, len(self.keys))]

    def exact(self, q: np.ndarray, pool: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-``k`` by inner product of ``q`` (n, dim) over the int ids in ``pool``."""
        scores, ints = empty_result(len(q), k)
        if len(pool) == 0:
            return scores, ints
        kk = min(k, len(pool))
        vectors = self.vectors[pool]
        step = max(1, (1 << 24) // len(pool))  # bound the (rows, pool) score block to 64 MB
        for start in range(0, len(q), step):
            sims = q[start : start + step] @ vectors.T
            if kk < len(pool):
                top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
            else:
                top = np.broadcast_to(np.arange(len(pool)), sims.shape)
            top_scores = np.take_along_axis(sims, top, axis=1)
            order = np.argsort(-top_scores, axis=1, kind="stable")
            rows = slice(start, start + len(sims))
            scores[rows, :kk] = np.take_along_axis(top_scores, order, axis=1)
            ints[rows, :kk] = pool[np.take_along_axis(top, order, axis=1)]
        return scores, ints
