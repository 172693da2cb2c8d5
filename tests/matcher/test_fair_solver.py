"""The fair assignment: a hand-solved optimum, priorities, household spread, limits and exactness (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from matcher.fair.solver import FairSettings, assign, fair_metrics, gini, topk_baseline

PLAIN = FairSettings(
    factor=1,
    per_person=1,
    household_bonus=0.0,
    post_bonus=0.0,
    tier_weights=(1, 1, 1, 1),
    min_probability=0.0,
    household_cap=10,
)


def test_hand_solved_fair() -> None:
    # Posts A (0) and B (1), one opening each; X is best at both, Y only good at A, Z only at B.
    # Greedy takes X→A (0.9) and then Z→B (0.5) = 1.4; the optimum is X→B + Y→A = 1.65.
    pi = np.array([0, 0, 1, 1, 2])
    pj = np.array([0, 1, 0, 1, 1])
    p = np.array([0.9, 0.8, 0.85, 0.1, 0.5])
    chosen = assign(pi, pj, p, np.full(3, 3), np.arange(3), np.array([1, 1]), PLAIN)
    assert {(int(i), int(j)) for i, j in zip(pi[chosen], pj[chosen], strict=True)} == {(0, 1), (1, 0)}


def test_zero_employment_household_goes_first() -> None:
    pi, pj, p = np.array([0, 1]), np.array([0, 0]), np.array([0.30, 0.25])
    tiered = FairSettings(factor=1, per_person=1, household_bonus=0.0, post_bonus=0.0)
    # Person 1 is of a zero-employment household (tier 0), person 0 of nobody special (tier 3).
    chosen = assign(pi, pj, p, np.array([3, 0]), np.array([0, 1]), np.array([1]), tiered)
    assert chosen.tolist() == [False, True]
    # Without the weights the better match wins.
    assert assign(pi, pj, p, np.array([3, 0]), np.array([0, 1]), np.array([1]), PLAIN).tolist() == [True, False]


def test_household_spread() -> None:
    # Two members of household 0 (p 0.5 each) and one of household 1 (p 0.45); two invitations in all.
    pi, pj, p = np.array([0, 1, 2]), np.array([0, 0, 0]), np.array([0.5, 0.5, 0.45])
    tier, home = np.full(3, 3), np.array([0, 0, 1])
    spread = FairSettings(
        factor=2,
        per_person=1,
        post_bonus=0.0,
        household_bonus=0.1,
        bonus_decay=0.4,
        tier_weights=(1, 1, 1, 1),
        min_probability=0.0,
    )
    chosen = assign(pi, pj, p, tier, home, np.array([2]), spread)
    assert chosen[2] and chosen.sum() == 2
    capped = FairSettings(
        factor=2,
        per_person=1,
        post_bonus=0.0,
        household_bonus=0.0,
        household_cap=1,
        tier_weights=(1, 1, 1, 1),
        min_probability=0.0,
    )
    chosen = assign(pi, pj, p, tier, home, np.array([2]), capped)
    assert chosen[2] and chosen[:2].sum() == 1


def test_capacity_follows_factor_and_openings() -> None:
    assert FairSettings(factor=3).capacity(np.array([0, 1, 4])).tolist() == [0, 3, 12]
    assert FairSettings(factor=1.5).capacity(np.array([3])).tolist() == [5]


def test_topk_baseline_and_metrics() -> None:
    pi = np.array([0, 0, 1, 1])
    pj = np.array([0, 1, 0, 1])
    p = np.array([0.9, 0.2, 0.8, 0.1])
    base = topk_baseline(pi, pj, p, total=2, per_person=1)
    assert base.tolist() == [True, False, True, False]
    m = fair_metrics(base, pi, pj, p, np.array([1, 1]), np.array([0, 1]), np.array([True, False]))
    assert m.invitations == 2 and m.max_per_opening == 2.0 and m.zero_households == 1
    assert m.expected_hires == pytest.approx(1.0)  # 0.9 + 0.8 capped by one opening
    assert gini(np.array([1, 1, 1])) == pytest.approx(0.0)
    assert gini(np.array([0, 0, 3])) == pytest.approx(2 / 3)


@st.composite
def fairs(draw: st.DrawFn) -> tuple:
    n_people = draw(st.integers(1, 12))
    n_posts = draw(st.integers(1, 5))
    cells = draw(
        st.lists(
            st.tuples(st.integers(0, n_people - 1), st.integers(0, n_posts - 1), st.floats(0.0, 1.0, allow_nan=False)),
            min_size=1,
            max_size=40,
            unique_by=lambda c: (c[0], c[1]),
        )
    )
    pi = np.array([c[0] for c in cells])
    pj = np.array([c[1] for c in cells])
    p = np.array([c[2] for c in cells])
    tier = np.array(draw(st.lists(st.integers(0, 3), min_size=n_people, max_size=n_people)))
    home = np.array(draw(st.lists(st.integers(0, 4), min_size=n_people, max_size=n_people)))
    openings = np.array(draw(st.lists(st.integers(0, 3), min_size=n_posts, max_size=n_posts)))
    s = FairSettings(
        factor=draw(st.sampled_from([1.0, 1.5, 3.0])),
        per_person=draw(st.integers(1, 3)),
        household_cap=draw(st.integers(1, 4)),
        household_bonus=draw(st.sampled_from([0.0, 0.1])),
        post_bonus=draw(st.sampled_from([0.0, 0.08])),
        min_probability=0.05,
    )
    return pi, pj, p, tier, home, openings, s


@settings(max_examples=150, deadline=None)
@given(fairs())
def test_limits_hold(case: tuple) -> None:
    pi, pj, p, tier, home, openings, s = case
    cap = s.capacity(openings)
    chosen = assign(pi, pj, p, tier, home, cap, s, openings)
    assert np.all(p[chosen] >= s.min_probability)
    assert np.all(np.bincount(pi[chosen], minlength=len(tier)) <= s.per_person)
    assert np.all(np.bincount(pj[chosen], minlength=len(openings)) <= cap)
    assert np.all(np.bincount(home[pi[chosen]], minlength=5) <= s.household_cap)


@settings(max_examples=80, deadline=None)
@given(fairs())
def test_optimal_against_the_lp(case: tuple) -> None:
    """Without bonuses the flow optimum equals the LP optimum (HiGHS) of the same b-matching."""
    pi, pj, p, tier, _, openings, s = case
    s = FairSettings(
        factor=s.factor,
        per_person=s.per_person,
        household_bonus=0.0,
        post_bonus=0.0,
        min_probability=0.0,
        household_cap=100,
    )
    cap = s.capacity(openings)
    weights = np.asarray(s.tier_weights)[tier[pi]] * p
    chosen = assign(pi, pj, p, tier, np.arange(len(tier)), cap, s)
    n = len(pi)
    rows = np.concatenate([pi, len(tier) + pj])
    a = coo_matrix((np.ones(2 * n), (rows, np.tile(np.arange(n), 2))), shape=(len(tier) + len(openings), n))
    b = np.concatenate([np.full(len(tier), s.per_person), cap])
    lp = linprog(-weights, A_ub=a.tocsr(), b_ub=b, bounds=(0, 1), method="highs")
    assert lp.status == 0
    assert weights[chosen].sum() == pytest.approx(-lp.fun, abs=1e-4 * (n + 1))
