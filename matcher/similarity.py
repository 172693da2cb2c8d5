"""Embedding similarity of people and posts, the same to the last bit in every code path.

The vectors are float32. A float32 product sums in an order that depends on
the shape of the call (one person against a pool is a matrix-vector product,
a block of people a matrix-matrix one), and the last bit that changes can
move a pair across a split of the ranker's trees: the same person would get
another list alone than inside the nightly batch. Summing in float64 and
rounding once to float32 makes the result independent of the call's shape
(barring a tie at a float32 rounding boundary, about one value in a billion).
"""

from __future__ import annotations

import numpy as np

from matcher.prepare import People, Posts

__all__ = ["grid_cosine", "pair_cosine"]


def _wide(places: People | Posts) -> np.ndarray:
    """The vectors as float64, kept on the object while its vectors stay the same."""
    vectors = places.vectors
    assert vectors is not None
    cached = getattr(places, "_vectors64", None)
    if cached is not None and cached[0] is vectors:
        return cached[1]
    wide = vectors.astype(np.float64)
    places._vectors64 = (vectors, wide)  # type: ignore[union-attr]
    return wide


def grid_cosine(people: People, posts: Posts, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Cosine of every person ``rows`` with every post ``cols``, float32, shape (len(rows), len(cols))."""
    assert people.vectors is not None
    return (people.vectors[rows].astype(np.float64) @ _wide(posts)[cols].T).astype(np.float32)


def pair_cosine(people: People, posts: Posts, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """Cosine of pairs ``(people[pi], posts[pj])``, float32, shape (n,)."""
    assert people.vectors is not None and posts.vectors is not None
    if len(pi) == 0:
        return np.zeros(0, dtype=np.float32)
    a = people.vectors[pi].astype(np.float64)
    return np.einsum("ij,ij->i", a, _wide(posts)[pj]).astype(np.float32)
