"""Congestion-aware exposure: keep each post's exposure near a multiple of its openings.

Independent top-k sends a post with 2 openings to the first line of 3,000
people. Following the congestion-avoiding recommenders that use optimal
transport (the France Travail work), the batch treats its candidate lists
as a sparse transport problem: every person sends ``k`` units of exposure,
every post accepts at most ``multiple × openings`` units, and the cost of a
pair is its negative hire score. An entropic, semi-relaxed Sinkhorn
iteration on the sparse kernel ``exp(score / epsilon)`` finds the plan:

    u_i = k / (K v)_i                         (each person's k slots are filled)
    v_j = min(1, capacity_j / (K^T u)_j)      (a post past its capacity is damped; others untouched)

Each person's candidates are then re-ranked by the plan weight
``u_i K_ij v_j`` (the score damped by the post's congestion) and the top
``k`` kept. Posts under capacity keep ``v_j = 1``, so uncongested lists do not
change; a person is never left with fewer suggestions than candidates allow.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

__all__ = ["CongestionSettings", "rerank", "exposure_stats", "gini"]


class CongestionSettings(NamedTuple):
    multiple: float = 3.0  # exposure allowed per opening
    epsilon: float = 0.05  # entropic temperature, in score units
    iterations: int = 60


def rerank(
    person: np.ndarray,
    post: np.ndarray,
    score: np.ndarray,
    openings: np.ndarray,
    k: int,
    settings: CongestionSettings | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Choose ``k`` candidates per person under post capacities.

    Parameters
    ----------
    person, post : ndarray of int64, shape (n_pairs,)
        Candidate pairs; ``person`` in ``0..n_people-1``, ``post`` in ``0..n_posts-1``.
    score : ndarray of float, shape (n_pairs,)
        Hire probabilities (higher is better).
    openings : ndarray of int, shape (n_posts,)
    k : int

    Returns
    -------
    keep : ndarray of bool, shape (n_pairs,)
        The pairs selected (≤ k per person).
    weight : ndarray of float, shape (n_pairs,)
        The plan weight used to order each person's selection.
    """
    settings = settings or CongestionSettings()
    n_people = int(person.max()) + 1 if len(person) else 0
    n_posts = len(openings)
    if len(person) == 0:
        return np.zeros(0, dtype=bool), np.zeros(0)
    # Shift scores per person so the kernel stays in range whatever the scale.
    top = np.full(n_people, -np.inf)
    np.maximum.at(top, person, score)
    kernel = np.exp((score - top[person]) / settings.epsilon)
    K = sp.csr_matrix((kernel, (person, post)), shape=(n_people, n_posts))
    KT = K.T.tocsr()
    per_person = np.bincount(person, minlength=n_people)
    demand = np.minimum(per_person, k).astype(np.float64)
    capacity = np.maximum(openings, 0) * settings.multiple
    v = np.ones(n_posts)
    u = np.ones(n_people)
    for _ in range(settings.iterations):
        u = demand / np.maximum(K @ v, 1e-300)
        load = KT @ u
        v_new = np.minimum(1.0, capacity / np.maximum(load, 1e-300))
        if np.allclose(v_new, v, rtol=1e-4, atol=1e-6):
            v = v_new
            break
        v = v_new
    weight = u[person] * kernel * v[post]
    order = np.lexsort((-weight, person))
    starts = np.searchsorted(person[order], np.arange(n_people))
    rank = np.arange(len(order)) - starts[person[order]]
    keep = np.zeros(len(person), dtype=bool)
    keep[order[rank < k]] = True
    return keep, weight


def independent_topk(person: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """The plain top-k per person, for comparison."""
    if len(person) == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((-score, person))
    starts = np.searchsorted(person[order], np.arange(int(person.max()) + 1))
    rank = np.arange(len(order)) - starts[person[order]]
    keep = np.zeros(len(person), dtype=bool)
    keep[order[rank < k]] = True
    return keep


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = perfectly even)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def exposure_stats(post: np.ndarray, keep: np.ndarray, openings: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """Exposure per opening over posts (max, p99, Gini) and the mean score of what was kept."""
    exposure = np.bincount(post[keep], minlength=len(openings)).astype(np.float64)
    has = openings > 0
    per_opening = exposure[has] / openings[has]
    return {
        "exposure_per_opening_max": float(per_opening.max()) if len(per_opening) else 0.0,
        "exposure_per_opening_p99": float(np.percentile(per_opening, 99)) if len(per_opening) else 0.0,
        "exposure_gini": gini(per_opening),
        "mean_score": float(score[keep].mean()) if keep.any() else 0.0,
    }
