"""The list-assembly policy: which of a person's scored candidates make the list, and in what order.

One implementation, vectorised over people, used by the live lookup
(:meth:`matcher.recommend.Recommender.recommend`) and by the nightly batch's repairs
(:meth:`matcher.batch.repairs.Repairs._mend`), so that a change of policy cannot drift between a
lookup and the nightly run. ``docs/policy.md`` states the same rules for caseworkers.

Each candidate has one role, decided by the caller:

``MARKET``   a post the person may take as they are (hard constraints kept, not public-welfare,
             no certificate missing that the employer does not train for), in any widening ring
             their mobility allows
``TRAINING`` a post the person could take after a training they said they want
``HOME``     a home-style workshop or online post for a person flagged ``home_based`` that is not
             a market post
``WELFARE``  a public-welfare post for a person flagged ``public_welfare``

The rules:

1. **Order** (:func:`order`). Within a role: the first stage's tier (0 first: the shortlist the
   trees scored first, see :meth:`matcher.recommend.Recommender.score`), then the ranker's score
   (higher first; the calibrated probability is a strictly increasing function of the model's raw
   output, so this is the raw output's order), then the nearer widening ring, then the higher
   monthly wage, and only for pairs equal in all of these the vacancy id. Within the person's
   mobility the ranking decides: a farther post that scores higher comes before a nearer one.
2. **Market posts** come first, all of them, in that order.
3. **Widening beyond the market** guarantees ``MIN_POSTS`` (three) suggestions, not ``k``: only a
   person with fewer than three market posts in reach gets training posts after them, then (for
   ``home_based`` people) home-based posts, until three suggestions.
4. **Safety net**: the best ``SAFETY_SLOTS`` public-welfare posts of a flagged person are placed
   right after the first ``MIN_POSTS - SAFETY_SLOTS`` suggestions, so that they are on every list
   of three or more.
5. **k**: the list is the first ``k`` of this order, so a list for ``k`` is the first ``k`` of the
   list for any larger ``k``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from matcher.reach import RINGS

__all__ = [
    "MARKET",
    "TRAINING",
    "HOME",
    "WELFARE",
    "MIN_POSTS",
    "SAFETY_SLOTS",
    "STEPS",
    "Assembled",
    "assemble",
    "order",
    "step_names",
]

MARKET, TRAINING, HOME, WELFARE = 0, 1, 2, 3
#: Suggestions every person should get (推送不少于3个工作岗位).
MIN_POSTS = 3
#: Public-welfare posts a flagged person always sees (at most).
SAFETY_SLOTS = 2
#: The steps a suggestion can come from, widest last.
STEPS: tuple[str, ...] = (*RINGS, "training", "safety_net")
_RING_NAMES = np.array(RINGS, dtype=object)


class Assembled(NamedTuple):
    """The lists: ``chosen`` indexes the candidates, by person and then position (0 = first)."""

    chosen: np.ndarray
    position: np.ndarray


def order(
    person: np.ndarray,
    role: np.ndarray,
    tier: np.ndarray,
    score: np.ndarray,
    ring: np.ndarray,
    wage: np.ndarray,
    tie: np.ndarray,
) -> np.ndarray:
    """Indices of the candidates by person, role and rule 1 of the module notes.

    ``tie``: a rank of the vacancy ids (used only when everything else is equal); ``wage``: monthly,
    NaN when not stated (ranked last among equals).
    """
    wage = np.nan_to_num(np.asarray(wage, dtype=np.float64), nan=-1.0)
    return np.lexsort((tie, -wage, ring, -np.asarray(score, dtype=np.float64), tier, role, person))


def assemble(
    person: np.ndarray,
    role: np.ndarray,
    tier: np.ndarray,
    score: np.ndarray,
    ring: np.ndarray,
    wage: np.ndarray,
    tie: np.ndarray,
    n_people: int,
    k: int,
    n_market: np.ndarray | None = None,
) -> Assembled:
    """The lists of ``n_people`` people from their candidates (one entry per candidate in each array).

    Parameters
    ----------
    person : ndarray of int, shape (n,)
        The candidate's person, ``0 .. n_people - 1``.
    role : ndarray of int, shape (n,)
        ``MARKET``, ``TRAINING``, ``HOME`` or ``WELFARE``.
    tier, score, ring, wage, tie : ndarray, shape (n,)
        The ordering keys of :func:`order` (``ring`` matters for market posts only).
    n_people, k : int
    n_market : ndarray of int, shape (n_people,), optional
        Market posts in each person's reach when more exist than were handed in (rule 3 counts them);
        default: the market candidates handed in.

    Returns
    -------
    Assembled
        ``chosen`` (indices into the candidates) and ``position`` (0-based place on the list), sorted by
        person and position; each person's list holds at most ``k``.
    """
    person = np.asarray(person, dtype=np.int64)
    role = np.asarray(role, dtype=np.int64)
    if not len(person) or k <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return Assembled(empty, empty)
    by = order(person, role, tier, score, ring, wage, tie)
    p, r = person[by], role[by]
    at = np.arange(len(by))
    start = np.r_[True, (p[1:] != p[:-1]) | (r[1:] != r[:-1])]
    within = at - np.maximum.accumulate(np.where(start, at, 0))
    count = np.bincount(p * 4 + r, minlength=n_people * 4).reshape(n_people, 4)
    market = count[:, MARKET]
    in_reach = market if n_market is None else np.asarray(n_market, dtype=np.int64)
    need = np.maximum(MIN_POSTS - in_reach, 0)
    train = np.minimum(count[:, TRAINING], need)
    home = np.minimum(count[:, HOME], need - train)
    welfare = np.minimum(count[:, WELFARE], SAFETY_SLOTS)
    # Rule 2 and 3: market posts, then the extras a short reach opens.
    seq = np.select([r == MARKET, r == TRAINING], [within, market[p] + within], market[p] + train[p] + within)
    taken = np.select(
        [r == MARKET, r == TRAINING, r == HOME], [True, within < train[p], within < home[p]], within < welfare[p]
    )
    # Rule 4: the safety net right after the first MIN_POSTS - (its size) suggestions.
    length = market + train + home
    insert = np.minimum(np.maximum(MIN_POSTS - welfare, 0), length)
    place = np.where(r == WELFARE, insert[p] + within, np.where(seq < insert[p], seq, seq + welfare[p]))
    keep = taken & (place < k)
    chosen, place = by[keep], place[keep]
    final = np.lexsort((place, person[chosen]))
    return Assembled(chosen[final], place[final])


def step_names(role: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """The step each suggestion is labelled with: its widening ring for a market post, ``training``,
    or ``safety_net`` (home-based and public-welfare posts)."""
    role = np.asarray(role)
    ring_name = _RING_NAMES[np.clip(np.asarray(ring, dtype=np.int64), 0, len(RINGS) - 1)]
    return np.where(role == MARKET, ring_name, np.where(role == TRAINING, "training", "safety_net")).astype(object)
