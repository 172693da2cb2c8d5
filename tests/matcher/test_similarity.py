"""Embedding similarity (matcher/similarity.py): one person alone gets bit-for-bit the cosines of a block."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.artifact import MatchModel
from matcher.similarity import grid_cosine, pair_cosine
from tests.matcher.conftest import DIANTOU, MAFANG_A, QIANXIAN, encoded, people_frame, posts_frame


def _units(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    # Sparse-ish rows like the encoder's (zero blocks), some all-zero (an empty ledger row).
    v[rng.random((n, dim)) < 0.4] = 0
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), dim=st.sampled_from([8, 150, 400]))
def test_cosines_do_not_depend_on_the_shape_of_the_call(model: MatchModel, seed: int, dim: int) -> None:
    rng = np.random.default_rng(seed)
    people = people_frame(*({"admin_code": (DIANTOU, MAFANG_A)[n % 2]} for n in range(40)))
    places = (DIANTOU, MAFANG_A, QIANXIAN)
    posts = posts_frame(
        *({"admin_code": places[n % 3]} for n in range(300)),
        *({"kind": "online"} for _ in range(40)),
    )
    p, q, _ = encoded(model, people, posts)
    p.vectors, q.vectors = _units(rng, len(p), dim), _units(rng, len(q), dim)
    cols = np.sort(rng.choice(len(q), size=int(rng.integers(1, len(q))), replace=False))
    rows = np.arange(len(p))
    block = grid_cosine(p, q, rows, cols)
    # Alone, in any sub-block, and pair by pair: the same bits.
    for i in rng.choice(len(p), size=5, replace=False):
        assert np.array_equal(grid_cosine(p, q, np.array([i]), cols)[0], block[i])
    sub = np.sort(rng.choice(len(p), size=7, replace=False))
    assert np.array_equal(grid_cosine(p, q, sub, cols[::-1])[:, ::-1], block[sub])
    pi, pj = np.repeat(rows, len(cols)), np.tile(cols, len(rows))
    assert np.array_equal(pair_cosine(p, q, pi, pj), block.ravel())
    # Close to the float64 cosine (the grid moves it by well under 1e-3).
    exact = p.vectors.astype(np.float64) @ q.vectors[cols].astype(np.float64).T
    assert np.abs(block - exact).max() < 2e-3
    assert block.dtype == np.float32
