"""Embedding similarity of people and posts, the same to the last bit in every code path.

The vectors are float32. A float32 product sums in an order that depends on
the shape of the call (one person against a pool is a matrix-vector product,
a block of people a matrix-matrix one), and the last bit that changes can
move a pair across a split of the ranker's trees: the same person would get
another list alone than inside the nightly batch. Summing in float64 and
rounding once to float32 makes the result independent of the call's shape
(barring a tie at a float32 rounding boundary, about one value in a billion).

The posts' float64 vectors are kept grouped (online posts, then county by
county), so that the bulk of a grid's pool (its county's and the online
posts, see :mod:`matcher.candidates`) is multiplied as contiguous slices
instead of a gathered copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.prepare import KIND_INDEX, People, Posts

__all__ = ["grid_cosine", "pair_cosine"]


@dataclass
class _Wide:
    """Posts' vectors as float64, rows grouped (online posts, then each county's); ``at[j]`` is post ``j``'s row."""

    source: np.ndarray
    vectors: np.ndarray
    at: np.ndarray
    starts: np.ndarray  # first row of each group, ascending; the last entry is the row count


def _wide(posts: Posts) -> _Wide:
    vectors = posts.vectors
    assert vectors is not None
    cached: _Wide | None = getattr(posts, "_vectors64", None)
    if cached is not None and cached.source is vectors:
        return cached
    group = np.where(posts.kind == KIND_INDEX["online"], -1, posts.county)
    order = np.argsort(group, kind="stable")
    at = np.empty(len(order), dtype=np.int64)
    at[order] = np.arange(len(order))
    _, starts = np.unique(group[order], return_index=True)
    wide = _Wide(vectors, vectors[order].astype(np.float64), at, np.append(starts, len(order)))
    posts._vectors64 = wide  # type: ignore[attr-defined]
    return wide


#: A group of posts is multiplied as one slice when the pool holds at least this share of it.
SLICE_SHARE = 0.5


def grid_cosine(people: People, posts: Posts, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Cosine of every person ``rows`` with every post ``cols``, float32, shape (len(rows), len(cols))."""
    assert people.vectors is not None
    wide = _wide(posts)
    left = people.vectors[rows].astype(np.float64)
    out = np.empty((len(rows), len(cols)), dtype=np.float32)
    at = wide.at[cols]
    group = np.searchsorted(wide.starts, at, side="right") - 1
    counts = np.bincount(group, minlength=len(wide.starts) - 1)
    size = np.diff(wide.starts)
    sliced = np.zeros(len(cols), dtype=bool)
    for g in np.flatnonzero(counts >= np.maximum(SLICE_SHARE * size, 64)):
        a, b = int(wide.starts[g]), int(wide.starts[g + 1])
        inside = group == g
        out[:, inside] = (left @ wide.vectors[a:b].T)[:, at[inside] - a]
        sliced |= inside
    if not sliced.all():
        rest = ~sliced
        out[:, rest] = left @ wide.vectors[at[rest]].T
    return out


def pair_cosine(people: People, posts: Posts, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """Cosine of pairs ``(people[pi], posts[pj])``, float32, shape (n,)."""
    assert people.vectors is not None and posts.vectors is not None
    if len(pi) == 0:
        return np.zeros(0, dtype=np.float32)
    wide = _wide(posts)
    a = people.vectors[pi].astype(np.float64)
    return np.einsum("ij,ij->i", a, wide.vectors[wide.at[pj]]).astype(np.float32)
