"""Embedding similarity of people and posts, the same to the last bit in every code path.

A float product sums in an order that depends on the shape of the call (one
person against a pool is a matrix-vector product, a block of people a
matrix-matrix one, and BLAS splits them differently); a last bit that
changes can move a pair across a split of the ranker's trees, and the same
person would get another list alone than inside the nightly batch.

So the unit vectors are put on an integer grid first: every component is
rounded to a multiple of ``1 / SCALE`` and kept as the integer, in float32.
Every product of two such components is an integer, and so is every partial
sum; by Cauchy–Schwarz no partial sum exceeds ``|q| |p|`` ≈ ``SCALE²`` =
2²², well under 2²⁴, where float32 still holds every integer. The float32
matrix product is therefore *exact*, in any order and any shape, and the
cosine is that integer times 2⁻²² (also exact). The grid moves a cosine by
a few 1e-4 at most, far below anything the ranker tells apart, and it is the
same grid in training, in the batch and in a single lookup. A float32
product reads half the memory of a float64 one: a single lookup against a
county of 10,000 posts is bandwidth-bound, and the batch's block products
run twice as fast.

The posts' grid vectors are kept grouped (online posts, then county by
county), so that the bulk of a grid's pool (its county's and the online
posts, see :mod:`matcher.candidates`) is multiplied as contiguous slices
instead of a gathered copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.prepare import KIND_INDEX, People, Posts

__all__ = ["grid_cosine", "pair_cosine", "on_grid", "SCALE"]

#: Grid steps per unit of a vector component (see the module notes: SCALE² must stay well below 2²⁴).
SCALE = 2048
_UNIT = np.float32(1.0 / (SCALE * SCALE))


def on_grid(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors as integers on the ``1 / SCALE`` grid, float32 (exact products, see the module notes)."""
    return np.rint(np.asarray(vectors, dtype=np.float32) * np.float32(SCALE))


@dataclass
class _Grouped:
    """Posts' grid vectors, rows grouped (online posts, then each county's); ``at[j]`` is post ``j``'s row."""

    source: np.ndarray
    vectors: np.ndarray
    at: np.ndarray
    starts: np.ndarray  # first row of each group, ascending; the last entry is the row count


def _grouped(posts: Posts) -> _Grouped:
    vectors = posts.vectors
    assert vectors is not None
    cached: _Grouped | None = getattr(posts, "_vectors_grid", None)
    if cached is not None and cached.source is vectors:
        return cached
    group = np.where(posts.kind == KIND_INDEX["online"], -1, posts.county)
    order = np.argsort(group, kind="stable")
    at = np.empty(len(order), dtype=np.int64)
    at[order] = np.arange(len(order))
    _, starts = np.unique(group[order], return_index=True)
    grouped = _Grouped(vectors, on_grid(vectors[order]), at, np.append(starts, len(order)))
    posts._vectors_grid = grouped  # type: ignore[attr-defined]
    return grouped


#: A group of posts is multiplied as one slice when the pool holds at least this share of it.
SLICE_SHARE = 0.5


def grid_cosine(people: People, posts: Posts, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Cosine of every person ``rows`` with every post ``cols``, float32, shape (len(rows), len(cols))."""
    assert people.vectors is not None
    grouped = _grouped(posts)
    left = on_grid(people.vectors[rows])
    out = np.empty((len(rows), len(cols)), dtype=np.float32)
    at = grouped.at[cols]
    group = np.searchsorted(grouped.starts, at, side="right") - 1
    counts = np.bincount(group, minlength=len(grouped.starts) - 1)
    size = np.diff(grouped.starts)
    sliced = np.zeros(len(cols), dtype=bool)
    for g in np.flatnonzero(counts >= np.maximum(SLICE_SHARE * size, 64)):
        a, b = int(grouped.starts[g]), int(grouped.starts[g + 1])
        inside = group == g
        out[:, inside] = (left @ grouped.vectors[a:b].T)[:, at[inside] - a]
        sliced |= inside
    if not sliced.all():
        rest = ~sliced
        out[:, rest] = left @ grouped.vectors[at[rest]].T
    out *= _UNIT
    return out


def pair_cosine(people: People, posts: Posts, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """Cosine of pairs ``(people[pi], posts[pj])``, float32, shape (n,)."""
    assert people.vectors is not None and posts.vectors is not None
    if len(pi) == 0:
        return np.zeros(0, dtype=np.float32)
    grouped = _grouped(posts)
    a = on_grid(people.vectors[pi])
    dot = np.einsum("ij,ij->i", a, grouped.vectors[grouped.at[pj]])  # float32, exact integers
    dot *= _UNIT
    return dot
