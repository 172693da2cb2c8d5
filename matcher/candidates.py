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
from matcher.prepare import KIND_INDEX, People, Posts
from matcher.reach import PairGeo, eligible, pair_geo, ring_of

__all__ = ["Candidates", "candidate_pairs", "FAR_FETCH"]

#: Posts fetched from the vector index per far-travelling person before filtering.
FAR_FETCH = 300
#: Prefecture pools larger than this are searched through the index instead of listed.
CITY_POOL_LIMIT = 20_000
#: Eligible posts per person kept for full feature scoring, overall and per widening ring.
STAGE0 = 400
STAGE0_PER_RING = 40


class Candidates(NamedTuple):
    """Eligible pairs (people[pi], posts[pj]) with their ring and geography, plus reach counters."""

    pi: np.ndarray
    pj: np.ndarray
    ring: np.ndarray
    geo: PairGeo
    in_reach: np.ndarray      # (n_people,) open posts within reach before age/physical limits
    blocked_limits: np.ndarray  # (n_people,) of those, how many the age or physical limits closed
    cosine: np.ndarray | None = None  # (n_pairs,) embedding similarity, when vectors are set


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
    # A mark array instead of np.unique: pools overlap (the prefecture holds the county) and
    # sorting tens of thousands of positions per person costs more than one pass over the posts.
    mark = np.zeros(len(posts), dtype=bool)
    for part in parts:
        mark[part] = True
    return np.flatnonzero(mark)


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
    pi, pj, ring = pi[ok], pj[ok], ring[ok]
    geo = PairGeo(*(a[ok] for a in geo))
    cosine = None
    if people.vectors is not None and posts.vectors is not None:
        cosine = np.einsum("ij,ij->i", people.vectors[pi], posts.vectors[pj])
        keep = _stage0(pi, ring, cosine, geo.minutes, posts.kind[pj])
        if not keep.all():
            pi, pj, ring, cosine = pi[keep], pj[keep], ring[keep], cosine[keep]
            geo = PairGeo(*(a[keep] for a in geo))
    return Candidates(pi, pj, ring, geo, in_reach, blocked, cosine)


def _stage0(pi: np.ndarray, ring: np.ndarray, cosine: np.ndarray, minutes: np.ndarray,
            kind: np.ndarray) -> np.ndarray:
    """Keep each person's ``STAGE0`` best pairs by closeness in the vector space and in travel time.

    Every widening ring keeps its own best ``STAGE0_PER_RING`` (so no step is
    starved) and every public-welfare pair is kept (the safety net is decided
    later). Only people with more than ``STAGE0`` eligible posts are pruned.
    """
    keep = np.ones(len(pi), dtype=bool)
    if len(pi) == 0:
        return keep
    counts = np.bincount(pi)
    crowded = counts[pi] > STAGE0
    if not crowded.any():
        return keep
    cheap = cosine - 0.1 * np.log1p(minutes)
    order = np.lexsort((-cheap, pi))
    first = np.searchsorted(pi[order], pi[order])
    rank_all = np.arange(len(order)) - first
    ring_order = np.lexsort((-cheap, ring, pi))
    key = pi[ring_order].astype(np.int64) * 16 + ring[ring_order]
    rank_ring = np.arange(len(ring_order)) - np.searchsorted(key, key)
    keep = ~crowded
    keep[order[rank_all < STAGE0]] = True
    keep[ring_order[rank_ring < STAGE0_PER_RING]] = True
    keep |= kind == KIND_INDEX["public_welfare"]
    return keep


def _positions(rows: np.ndarray, pi: np.ndarray) -> np.ndarray:
    lookup = {int(r): k for k, r in enumerate(rows)}
    return np.fromiter((lookup[int(p)] for p in pi), dtype=np.int64, count=len(pi))
