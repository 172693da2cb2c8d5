"""The shortlist as a capacity-constrained assignment, solved exactly as a min-cost flow.

Independent top-k sends the same best people to every booth. Here every
invitation is one unit of flow through this network (OR-Tools
``SimpleMinCostFlow``, integer costs)::

    source ─(slot k of household h: cap 1, cost −bonus·w_h·decayᵏ⁻¹)─► household h
        ─(cap r)─► person i ─(cap 1, cost −w_i·p_ij)─► post j ─(cap openings_j, cost −post_bonus)─► sink
                                                                 post j ─(the rest of factor·openings_j, cost 0)─► sink
    source ─(cap Σ capacities, cost 0)─► sink            (invitations that do not pay are not made)

``p_ij`` is the ranker's calibrated hire probability, ``w`` the priority
weight of the person's tier (zero-employment household, registered poor,
flagged, rest). A household has at most ``household_cap`` invitations in
all, and its first invitation earns a bonus that decays for each further
one: this spreads the scarce booths over households instead of letting one
household's members crowd out the next. Likewise a post's first ``openings``
invitations earn a small bonus, so every booth gets candidates before a
popular one fills up to ``factor`` times its openings. All constraints are network
constraints (the matrix is totally unimodular), so the optimum is integral
and exact; with the costs concave per household the slot arcs fill in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = ["TIERS", "TIER_ZH", "FairSettings", "assign", "topk_baseline", "FairMetrics", "fair_metrics", "gini"]

#: Priority tiers, most urgent first (index = tier code).
TIERS: tuple[str, ...] = ("zero_employment", "registered_poor", "flagged", "other")
TIER_ZH: dict[str, str] = {
    "zero_employment": "零就业家庭",
    "registered_poor": "建档立卡",
    "flagged": "重点帮扶",
    "other": "一般",
}
#: Integer cost units per unit of weighted hire probability.
SCALE = 100_000


@dataclass(frozen=True)
class FairSettings:
    """Knobs of the shortlist; the defaults follow the issue (factor 3, r 3).

    Attributes
    ----------
    factor : float
        A post invites at most ``ceil(factor × openings)`` people.
    per_person : int
        A person is invited to at most this many booths (``r``).
    household_cap : int
        Invitations per household in all.
    tier_weights : tuple of 4 floats
        Multipliers of the hire probability per tier (:data:`TIERS` order).
    household_bonus : float
        Bonus (in hire-probability units, times the household's tier weight) for a household's first
        invitation; each further invitation of the same household earns ``bonus_decay`` times the previous.
    bonus_decay : float
    post_bonus : float
        Bonus for each of a post's first ``openings`` invitations (spreads invitations over booths).
    min_probability : float
        Pairs below this hire probability are not invited at all.
    top_per_person : int
        Eligible posts per person kept for the solver (best by the ranker's first stage); fewer (down to
        ``per_person + 2``) when the candidates hold more than six times the invitations there are.
    """

    factor: float = 3.0
    per_person: int = 3
    household_cap: int = 4
    tier_weights: tuple[float, float, float, float] = (1.6, 1.3, 1.15, 1.0)
    household_bonus: float = 0.1
    bonus_decay: float = 0.4
    post_bonus: float = 0.08
    min_probability: float = 0.02
    top_per_person: int = 10

    def capacity(self, openings: np.ndarray) -> np.ndarray:
        """Invitations allowed per post, shape like ``openings``."""
        return np.ceil(self.factor * np.maximum(np.asarray(openings, dtype=np.float64), 0) - 1e-9).astype(np.int64)


def assign(
    pi: np.ndarray,
    pj: np.ndarray,
    p: np.ndarray,
    tier: np.ndarray,
    household: np.ndarray,
    capacity: np.ndarray,
    settings: FairSettings | None = None,
    openings: np.ndarray | None = None,
) -> np.ndarray:
    """Choose the invitations: the optimum of the min-cost flow described in the module docstring.

    Parameters
    ----------
    pi, pj : ndarray of int, shape (n_pairs,)
        Person and post of each eligible pair (positions into ``tier``/``household`` and ``capacity``).
    p : ndarray of float, shape (n_pairs,)
        Hire probability of each pair.
    tier : ndarray of int, shape (n_people,)
        Tier code per person (0 = zero-employment household … 3 = rest).
    household : ndarray of int, shape (n_people,)
        Household code per person (any integers; equal codes = same household).
    capacity : ndarray of int, shape (n_posts,)
        Invitations allowed per post.
    settings : FairSettings, optional
    openings : ndarray of int, shape (n_posts,), optional
        Openings per post, for the post bonus (none when omitted).

    Returns
    -------
    ndarray of bool, shape (n_pairs,)
        True for the pairs invited.
    """
    from ortools.graph.python import min_cost_flow

    s = settings or FairSettings()
    pi, pj = np.asarray(pi, dtype=np.int64), np.asarray(pj, dtype=np.int64)
    p = np.asarray(p, dtype=np.float64)
    chosen = np.zeros(len(pi), dtype=bool)
    usable = np.flatnonzero((p >= s.min_probability) & (np.asarray(capacity)[pj] > 0))
    if not len(usable) or s.per_person < 1 or s.household_cap < 1:
        return chosen
    weights = np.asarray(s.tier_weights, dtype=np.float64)
    people, person_of = np.unique(pi[usable], return_inverse=True)
    posts, post_of = np.unique(pj[usable], return_inverse=True)
    homes, home_of_person = np.unique(np.asarray(household)[people], return_inverse=True)
    # A household's tier is its most urgent member's.
    home_tier = np.full(len(homes), len(TIERS) - 1, dtype=np.int64)
    np.minimum.at(home_tier, home_of_person, np.asarray(tier, dtype=np.int64)[people])
    n_h, n_i, n_j = len(homes), len(people), len(posts)
    source, sink = 0, 1
    h0, i0, j0 = 2, 2 + n_h, 2 + n_h + n_i
    cap_j = np.asarray(capacity, dtype=np.int64)[posts]
    first_j = (
        np.zeros(n_j, dtype=np.int64)
        if openings is None
        else np.minimum(np.maximum(np.asarray(openings, dtype=np.int64)[posts], 0), cap_j)
    )
    total = int(cap_j.sum())
    slots = np.arange(s.household_cap)
    slot_home = np.repeat(np.arange(n_h), s.household_cap)
    slot_bonus = s.household_bonus * weights[home_tier][slot_home] * s.bonus_decay ** np.tile(slots, n_h)
    pair_gain = weights[np.asarray(tier, dtype=np.int64)[pi[usable]]] * p[usable]
    tails = np.concatenate(
        [
            np.full(n_h * s.household_cap, source),
            h0 + home_of_person,
            i0 + person_of,
            j0 + np.arange(n_j),
            j0 + np.arange(n_j),
            [source],
        ]
    )
    heads = np.concatenate([h0 + slot_home, i0 + np.arange(n_i), j0 + post_of, np.full(2 * n_j, sink), [sink]])
    caps = np.concatenate(
        [
            np.ones(n_h * s.household_cap, dtype=np.int64),
            np.full(n_i, s.per_person),
            np.ones(len(usable), dtype=np.int64),
            first_j,
            cap_j - first_j,
            [total],
        ]
    )
    costs = np.concatenate(
        [
            -np.rint(SCALE * slot_bonus),
            np.zeros(n_i),
            -np.rint(SCALE * pair_gain),
            np.full(n_j, -round(SCALE * s.post_bonus)),
            np.zeros(n_j),
            [0],
        ]
    ).astype(np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32), caps, costs)
    supplies = np.zeros(j0 + n_j, dtype=np.int64)
    supplies[source], supplies[sink] = total, -total
    flow.set_nodes_supplies(np.arange(j0 + n_j, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:  # pragma: no cover - the network is always feasible (bypass arc)
        raise RuntimeError(f"min-cost flow ended with status {status}")
    first_pair = n_h * s.household_cap + n_i
    used = np.asarray(flow.flows(arcs[first_pair : first_pair + len(usable)])) > 0
    chosen[usable[used]] = True
    return chosen


def topk_baseline(pi: np.ndarray, pj: np.ndarray, p: np.ndarray, total: int, per_person: int = 3) -> np.ndarray:
    """Independent top-k: each person's ``per_person`` best posts, then the ``total`` best pairs overall.

    What a list of per-person suggestions does when every suggestion becomes an
    invitation: no post capacity, no household spread. Returns a bool mask.
    """
    pi, p = np.asarray(pi, dtype=np.int64), np.asarray(p, dtype=np.float64)
    order = np.lexsort((-p, pi))
    rank = np.arange(len(order)) - np.searchsorted(pi[order], pi[order])
    mine = order[rank < per_person]
    best = mine[np.argsort(-p[mine], kind="stable")[:total]]
    chosen = np.zeros(len(pi), dtype=bool)
    chosen[best] = True
    return chosen


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, → 1 = all on one)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    if not len(x) or x.sum() <= 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


class FairMetrics(NamedTuple):
    invitations: int
    people: int
    households: int
    zero_households: int
    zero_households_eligible: int
    max_per_opening: float
    gini_posts: float
    expected_hires: float


def fair_metrics(
    chosen: np.ndarray,
    pi: np.ndarray,
    pj: np.ndarray,
    p: np.ndarray,
    openings: np.ndarray,
    household: np.ndarray,
    zero_household: np.ndarray,
) -> FairMetrics:
    """Coverage, congestion and expected hires of a set of invitations.

    ``openings`` is per post (all posts of the fair, so a post nobody is invited
    to counts in the Gini); ``household``/``zero_household`` per person. Expected
    hires are the hire probabilities summed per post and capped by its openings.
    """
    pi, pj = np.asarray(pi)[chosen], np.asarray(pj)[chosen]
    p = np.asarray(p, dtype=np.float64)[chosen]
    openings = np.asarray(openings, dtype=np.float64)
    per_post = np.bincount(pj, minlength=len(openings)).astype(np.float64)
    hires = np.minimum(np.bincount(pj, weights=p, minlength=len(openings)), openings).sum()
    open_ = openings > 0
    zero = np.asarray(zero_household, dtype=bool)
    household = np.asarray(household)
    return FairMetrics(
        invitations=int(chosen.sum()),
        people=len(np.unique(pi)),
        households=len(np.unique(household[pi])),
        zero_households=len(np.unique(household[pi][zero[pi]])),
        zero_households_eligible=len(np.unique(household[zero])),
        max_per_opening=float((per_post[open_] / openings[open_]).max()) if open_.any() else 0.0,
        gini_posts=gini(per_post),
        expected_hires=float(hires),
    )
