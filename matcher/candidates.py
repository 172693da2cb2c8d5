"""Candidate generation: the pairs worth scoring, hard constraints applied inside retrieval.

For each person the pool is every post of their own county, every online
post, the posts of their prefecture when they will travel past their town,
and — for people who will go to the province or anywhere — the nearest
posts in the shared vector space, fetched from the faiss index with an
over-fetch so that filtering still leaves enough. Then the hard
constraints of :mod:`matcher.reach` drop every forbidden pair. Because the
local pool is always complete, a tight filter (a person who cannot leave
home) still sees every post it may see: it never silently empties.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np

from matcher.index import VacancyIndex
from matcher.prepare import People, Posts
from matcher.reach import PairGeo, eligible, pair_geo, ring_of

__all__ = ["Candidates", "candidate_pairs", "FAR_FETCH"]

#: Posts fetched from the vector index per far-travelling person before filtering.
FAR_FETCH = 300
#: Prefecture pools larger than this are searched through the index instead of listed.
CITY_POOL_LIMIT = 20_000


class Candidates(NamedTuple):
    """Eligible pairs (people[pi], posts[pj]) with their ring and geography, plus reach counters."""

    pi: np.ndarray
    pj: np.ndarray
    ring: np.ndarray
    geo: PairGeo
    in_reach: np.ndarray      # (n_people,) open posts within reach before age/physical limits
    blocked_limits: np.ndarray  # (n_people,) of those, how many the age or physical limits closed


def _pool(people: People, posts: Posts, i: int, far: dict[int, np.ndarray]) -> np.ndarray:
    parts = [posts.online]
    county = int(people.county[i])
    if county in posts.by_county:
        parts.append(posts.by_county[county])
    if people.mobility[i] >= 2:
        city = int(people.city[i])
        pool = posts.by_city.get(city)
        if pool is not None and len(pool) <= CITY_POOL_LIMIT:
            parts.append(pool)
    if i in far:
        parts.append(far[i])
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _far_candidates(people: People, posts: Posts, index: VacancyIndex | None, rows: np.ndarray,
                    allowed: np.ndarray | None) -> dict[int, np.ndarray]:
    far_rows = rows[people.mobility[rows] >= 4]
    if index is None or people.vectors is None or len(far_rows) == 0 or len(index) == 0:
        return {}
    k = min(FAR_FETCH, len(index))
    result = index.search(people.vectors[far_rows], k, allowed=allowed)
    out: dict[int, np.ndarray] = {}
    for r, ids in zip(far_rows, result.ids, strict=True):
        pos = [posts.position[v] for v in ids if v is not None and v in posts.position]
        out[int(r)] = np.asarray(pos, dtype=np.int64)
    return out


def candidate_pairs(people: People, posts: Posts, rows: np.ndarray, *, today: dt.date | None,
                    index: VacancyIndex | None = None, open_ids: np.ndarray | None = None) -> Candidates:
    """Eligible candidate pairs for the people at ``rows``.

    Parameters
    ----------
    people, posts : People, Posts
    rows : ndarray of int, shape (n,)
        Positions in ``people`` to generate for.
    today : datetime.date or None
        The date for status/end-date/openings checks; ``None`` replays history
        (all posts, whatever their status today).
    index : VacancyIndex, optional
        For far-travelling people; without it they get the local pool only.
    open_ids : ndarray of str, optional
        Vacancy ids the index may return (the open posts), as a faiss selector.
    """
    far = _far_candidates(people, posts, index, rows, open_ids)
    pools = [_pool(people, posts, int(i), far) for i in rows]
    sizes = np.fromiter((len(p) for p in pools), dtype=np.int64, count=len(pools))
    pi = np.repeat(rows.astype(np.int64), sizes)
    pj = np.concatenate(pools) if pools else np.zeros(0, dtype=np.int64)
    geo = pair_geo(people, posts, pi, pj)
    ring = ring_of(people, posts, pi, pj, geo)
    reach = ring >= 0
    if today is not None:
        t = today.toordinal()
        reach &= posts.open[pj] & (posts.end[pj] >= t) & (posts.openings[pj] > 0)
    ok = eligible(people, posts, pi, pj, ring, today)
    local = np.searchsorted(rows, pi) if len(rows) and np.all(np.diff(rows) >= 0) else _positions(rows, pi)
    in_reach = np.bincount(local[reach], minlength=len(rows))
    blocked = np.bincount(local[reach & ~ok], minlength=len(rows))
    keep = ok
    return Candidates(pi[keep], pj[keep], ring[keep], PairGeo(*(a[keep] for a in geo)), in_reach, blocked)


def _positions(rows: np.ndarray, pi: np.ndarray) -> np.ndarray:
    lookup = {int(r): k for k, r in enumerate(rows)}
    return np.fromiter((lookup[int(p)] for p in pi), dtype=np.int64, count=len(pi))
