"""A person's own history as evidence of what they want.

The posts a person applied to, was interviewed or hired at (even when the
employer said no afterwards, or the person left later) say more about the
work they seek than an empty skills column. This module turns those posts
into pair features, for every (person, post) pair at once:

* ``history_occupation``: the deepest level (0–4, scaled to 0–1) of the 2022
  classification the post shares with any post of the person's history;
* ``history_employer``: the post's employer is one the person already
  turned to;
* ``history_posts``: how much evidence there is (``log1p`` of the posts).

A post the person *declined* is not evidence of a wish, and a post only
``recommended`` to them is the caseworker's choice, not theirs; neither counts.

Where the history comes from
----------------------------
* serving: the person's answers (:data:`matcher.answered.ANSWERS`, attached
  by the lookup and the nightly batch), every one of them (:func:`evidence_of`);
* training and the offline evaluation: the placements table, with an
  "as of" day per pair, so that a pair only sees the history dated *before*
  it (:meth:`Evidence.from_placements`, :func:`history_features` with
  ``asof``) — a pair never learns from itself or from its own future.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.prepare import People, Posts, date_ordinals

__all__ = ["EVIDENCE_OUTCOMES", "HISTORY_FEATURES", "Evidence", "evidence_of", "set_evidence", "history_features"]

#: Outcomes by which a person turned to a post (their choice, whatever the employer answered).
EVIDENCE_OUTCOMES: tuple[str, ...] = ("applied", "interviewed", "rejected", "hired", "retained_6m", "quit")
#: (A fourth, the highest vector cosine between the post and a post of the history, cost the nightly batch
#: 14 % of its time on a 100,000-laborer county for no measured gain over the occupation level: left out.)
HISTORY_FEATURES: tuple[str, ...] = ("history_occupation", "history_employer", "history_posts")
#: A day after every real one: "as of" for serving (all of the history counts).
_ALWAYS = np.iinfo(np.int64).max
_CACHE = "_evidence_cache"


@dataclass(frozen=True)
class Evidence:
    """Each person's history posts in CSR layout over the people's rows.

    ``pj[indptr[i]:indptr[i+1]]`` are the post positions of person ``i``'s history and ``day`` the
    proleptic ordinal of the person's first turn to each (``-1``: unknown, counts as long ago).
    """

    indptr: np.ndarray
    pj: np.ndarray
    day: np.ndarray

    @classmethod
    def empty(cls, n_people: int) -> Evidence:
        return cls(np.zeros(n_people + 1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))

    @classmethod
    def _from_triples(cls, n_people: int, pi: np.ndarray, pj: np.ndarray, day: np.ndarray) -> Evidence:
        """One entry per distinct (person, post), its earliest day, sorted by person then post (numpy
        alone: a request re-checking one person's list builds this for a handful of triples)."""
        if len(pi) == 0:
            return cls.empty(n_people)
        pi, pj, day = (np.asarray(a, dtype=np.int64) for a in (pi, pj, day))
        order = np.lexsort((day, pj, pi))  # by person, then post, then day: a group's first is its earliest
        pi, pj, day = pi[order], pj[order], day[order]
        first = np.ones(len(pi), dtype=bool)
        first[1:] = (pi[1:] != pi[:-1]) | (pj[1:] != pj[:-1])
        gpi = pi[first]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(gpi, minlength=n_people))]).astype(np.int64)
        return cls(indptr, pj[first], day[first])

    @classmethod
    def from_placements(cls, placements: pd.DataFrame, people: People, posts: Posts) -> Evidence:
        """The history of every person of ``people`` in a store-shaped placements frame."""
        frame = placements[placements["outcome"].isin(EVIDENCE_OUTCOMES)]
        pi = frame["laborer_id"].map(people.position)
        pj = frame["vacancy_id"].map(posts.position)
        ok = (pi.notna() & pj.notna()).to_numpy()
        return cls._from_triples(
            len(people),
            pi[ok].to_numpy(dtype=np.int64),
            pj[ok].to_numpy(dtype=np.int64),
            date_ordinals(frame["date"])[ok],
        )

    @classmethod
    def from_answers(cls, people: People, posts: Posts) -> Evidence:
        """The history in the people's :data:`matcher.answered.ANSWERS` column (empty without it)."""
        from matcher.answered import answer_cells

        cells = answer_cells(people)
        if cells is None:
            return cls.empty(len(people))
        pis: list[int] = []
        pjs: list[int] = []
        days: list[int] = []
        position = posts.position
        for i, cell in enumerate(cells.tolist()):
            if not cell:
                continue
            for vacancy, outcome, day in cell:
                j = position.get(vacancy)
                if j is not None and outcome in EVIDENCE_OUTCOMES:
                    pis.append(i)
                    pjs.append(j)
                    days.append(day)
        return cls._from_triples(
            len(people), np.asarray(pis, np.int64), np.asarray(pjs, np.int64), np.asarray(days, np.int64)
        )

    def counts(self) -> np.ndarray:
        return np.diff(self.indptr)


def evidence_of(people: People, posts: Posts) -> Evidence:
    """The serving history of ``people`` against ``posts`` (from their answers), built once per pair of objects."""
    cached = getattr(people, _CACHE, None)
    if cached is not None and cached[0] is posts.position:
        return cached[1]
    ev = Evidence.from_answers(people, posts)
    setattr(people, _CACHE, (posts.position, ev))
    return ev


def set_evidence(people: People, posts: Posts, ev: Evidence) -> None:
    """Make ``ev`` the history :func:`evidence_of` returns for ``people`` and ``posts`` (the offline
    evaluation replays each person's history as of the day their held-out answer began)."""
    setattr(people, _CACHE, (posts.position, ev))


def history_features(
    people: People, posts: Posts, ev: Evidence, pi: np.ndarray, pj: np.ndarray, asof: np.ndarray | None = None
) -> np.ndarray:
    """The :data:`HISTORY_FEATURES` of pairs ``(pi, pj)``, shape (n, 3), float32.

    ``asof``: per pair, the day (proleptic ordinal) before which the history counts; None: all of it.
    The pair's own post never counts as evidence for itself.
    """
    n = len(pi)
    out = np.zeros((n, len(HISTORY_FEATURES)), dtype=np.float32)
    if n == 0 or len(ev.pj) == 0:
        return out
    pi = np.asarray(pi, dtype=np.int64)
    pj = np.asarray(pj, dtype=np.int64)
    start = ev.indptr[pi]
    count = ev.indptr[pi + 1] - start
    has = np.flatnonzero(count > 0)
    if len(has) == 0:
        return out
    c = count[has]
    pair = np.repeat(has, c)
    offset = np.arange(int(c.sum()), dtype=np.int64) - np.repeat(np.cumsum(c) - c, c)
    e = start[pair] + offset
    epj = ev.pj[e]
    cutoff = np.full(len(pair), _ALWAYS, dtype=np.int64) if asof is None else np.asarray(asof, np.int64)[pair]
    keep = (ev.day[e] < cutoff) & (epj != pj[pair])
    pair, epj = pair[keep], epj[keep]
    if len(pair) == 0:
        return out
    target = pj[pair]
    a, b = posts.code[epj], posts.code[target]
    valid = (a >= 0) & (b >= 0)
    level = np.zeros(len(pair), dtype=np.float32)
    for lvl, div in ((1, 1_000_000), (2, 10_000), (3, 100), (4, 1)):
        level = np.where(valid & ((a // div) == (b // div)), lvl, level)
    occ = np.zeros(n, dtype=np.float32)
    np.maximum.at(occ, pair, level / 4.0)
    out[:, 0] = occ
    employer = posts.employer[target]
    known = pd.notna(employer) & (employer != "")
    same_employer = (posts.employer[epj] == employer) & known
    out[:, 1] = np.bincount(pair, weights=same_employer, minlength=n) > 0
    out[:, 2] = np.log1p(np.bincount(pair, minlength=n)).astype(np.float32)
    return out
