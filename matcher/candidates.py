"""Candidate generation: the pairs worth scoring, hard constraints applied inside retrieval.

Each widening ring draws its candidates from its own pool:

=============== ==========================================================================
county grid     every open post of the person's county (for people who stay in their
                village or town, the county's home-style workshop posts and the posts of
                their own villages and towns), every post within their half-hour
                neighbourhood across county borders, and the ``STAGE0`` most similar
                online posts; all of them, checked pair by pair
province        the ``PROVINCE_FETCH`` posts nearest in the vector space among the open
                posts of the person's province outside their county (an id filter on the
                vector index), for people who go to the province or anywhere
country         the ``FAR_FETCH`` nearest among all open posts, for people who go anywhere
=============== ==========================================================================

People are taken in blocks of the same county (those who stay in their
village or town in blocks of their own, ordered by town). A block is checked
as one grid against its local pool with the hard constraints of
:mod:`matcher.reach` evaluated by broadcasting, and the embedding similarity
by one matrix product. Each person is held to their own universe (county,
online, own neighbourhood), so the candidates of a person are the same alone
and in any block: a caseworker's lookup equals the nightly batch. The posts
fetched from the province and country pools pass the same constraints pair
by pair. Because the local pool is complete, a tight filter (a person who
cannot leave home) still sees every post it may see: it never silently
empties; and because the province has a pool of its own, a province-mobile
person sees the best posts of the whole province, not those that happen to
be among the nationwide nearest.

Each person then keeps the ``STAGE0`` eligible posts closest in the vector
space and in travel time, and the ``STAGE0_PER_RING`` best of every
widening ring, for full feature scoring.

Posts a person already answered (:mod:`matcher.answered`; ``exclude``) are left out
inside retrieval like a post out of reach: they take no candidate's place and
are not counted among the posts in reach.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
from scipy.spatial import cKDTree

from features.geo_distance import DETOUR_FACTOR, EARTH_RADIUS_KM, FIXED_MINUTES, RURAL_SPEED_KMH, unit_vectors
from matcher.index import Selection, VacancyIndex
from matcher.prepare import KIND_INDEX, People, Posts
from matcher.reach import HALF_HOUR, PairGeo, eligible, open_mask, pair_geo, ring_of, units
from matcher.similarity import grid_cosine, pair_cosine

__all__ = [
    "Candidates",
    "candidate_pairs",
    "first_stage",
    "passes_first_stage",
    "FAR_MARGIN",
    "FAR_FETCH",
    "PROVINCE_FETCH",
    "PROVINCE_FLOOR",
    "RingPools",
    "Exclusions",
    "exclusions",
    "STAGE0",
    "STAGE0_PER_RING",
    "N_FLOORS",
    "FAR_FLOOR",
]

#: Posts fetched from the country's pool (every open post) per person who goes anywhere, before filtering.
FAR_FETCH = 100
#: Posts fetched from the province's pool (its open posts outside the person's county) per person who goes
#: to the province or anywhere, before filtering.
PROVINCE_FETCH = 100
#: IVF cells visited for the far fetch (the tuned nprobe aims at exact-search recall, not needed here).
#: On the 1 M store far posts are 0.6 % of the suggestions of people who go to the province or
#: anywhere; 8 cells instead of 32 keep 99.8 % of those people's suggested posts (98.5 % of their
#: lists unchanged) at a quarter of the vectors read.
FAR_NPROBE = 8
#: Eligible posts per person kept for full feature scoring, overall and per widening ring.
STAGE0 = 400
STAGE0_PER_RING = 40
#: A person's first-stage floors: overall, one per widening ring (see :func:`_select`), the country
#: fetch's and the province fetch's (the similarity of the last post fetched when the fetch came back full).
N_FLOORS = 8
FAR_FLOOR = 6
PROVINCE_FLOOR = 7
#: People per grid block (bounds the grid's memory: BLOCK × pool cells).
BLOCK = 256
#: Straight-line radius that surely holds the half-hour circle (2.8 min/km after 5 min: 8.9 km) plus
#: the spread of a town's villages around the point that stands for it.
NEIGHBOURHOOD_KM = 15.0
_ONLINE = KIND_INDEX["online"]
_WELFARE = KIND_INDEX["public_welfare"]
#: Straight-line km of the half-hour circle by coordinates (``features.geo_distance.travel_minutes``).
HALF_HOUR_KM = (HALF_HOUR - FIXED_MINUTES) / (DETOUR_FACTOR / RURAL_SPEED_KMH * 60)


class Candidates(NamedTuple):
    """Eligible pairs (people[pi], posts[pj]) sorted by person, with ring, geography and reach counters."""

    pi: np.ndarray
    pj: np.ndarray
    ring: np.ndarray
    geo: PairGeo
    in_reach: np.ndarray  # (n_rows,) open posts within reach before age/physical limits
    blocked_limits: np.ndarray  # (n_rows,) of those, how many the age or physical limits closed
    cosine: np.ndarray | None = None  # (n_pairs,) embedding similarity, when vectors are set
    #: (n_rows, N_FLOORS) the first-stage score a post of a person's grid had to reach to be kept:
    #: column 0 overall, column 1 + r within ring r (-inf: every eligible post was kept). A post with
    #: a lower score than both its floors was left out (an incremental batch uses them for new posts).
    #: Columns FAR_FLOOR and PROVINCE_FLOOR: the embedding similarity a post beyond the grid had to reach
    #: to be fetched from the country's or the province's pool (-inf: the fetch returned every post it
    #: could, or there was no index; +inf: the person draws nothing from that pool).
    floors: np.ndarray | None = None


def first_stage(cosine: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """The first-stage score of eligible cells: embedding similarity, less a little for travel time."""
    return cosine - 0.1 * np.log1p(minutes)


#: Similarity margin under a person's far-fetch floor (should the index hold vectors a hair off the grid's).
FAR_MARGIN = 0.005


def passes_first_stage(
    people: People,
    posts: Posts,
    pi: np.ndarray,
    pj: np.ndarray,
    ring: np.ndarray,
    geo: PairGeo,
    cosine: np.ndarray,
    floors: np.ndarray,
) -> np.ndarray:
    """Whether the first stage could keep pairs ``(people[pi], posts[pj])`` (eligible ones, with their
    ring, geography and similarity) given each person's :attr:`Candidates.floors` (``floors``: one row
    per person of ``pi``, broadcast like it: (n, N_FLOORS) for a grid's column ``pi``).

    A pair lies in the person's grid when it is within the first three rings or, in the far rings,
    within the neighbourhood (both places precise, at most ``NEIGHBOURHOOD_KM``); there it may be kept
    when its first-stage score reaches the overall floor or its ring's. Any far-ring pair may come from
    the country's pool when its similarity reaches the country fetch's floor, and a province-ring pair
    from the province's pool when it reaches that fetch's floor (both less ``FAR_MARGIN``). A pair that
    passes none could not have been a candidate of a full run on the day the floors were set.
    """
    floors = np.asarray(floors, dtype=np.float64)
    cheap = first_stage(cosine, geo.minutes)
    step = 1 + np.clip(np.asarray(ring), 0, 4).astype(np.int64)
    if np.ndim(cheap) == 2:  # a grid: one floors row per grid row
        overall, far_floor = floors[:, :1], floors[:, FAR_FLOOR : FAR_FLOOR + 1]
        province_floor = floors[:, PROVINCE_FLOOR : PROVINCE_FLOOR + 1]
        ring_floor = np.take_along_axis(floors, step, axis=1)
    else:  # pairs: one floors row per pair
        overall, far_floor, province_floor = floors[:, 0], floors[:, FAR_FLOOR], floors[:, PROVINCE_FLOOR]
        ring_floor = floors[np.arange(len(step)), step]
    near = people.precise[pi] & posts.precise[pj] & (geo.km <= NEIGHBOURHOOD_KM)
    in_grid = (ring < 3) | near
    by_grid = in_grid & ((cheap >= overall) | (cheap >= ring_floor))
    by_country = (ring >= 3) & (cosine >= far_floor - FAR_MARGIN)
    by_province = (ring == 3) & (cosine >= province_floor - FAR_MARGIN)
    return by_grid | by_country | by_province


class Neighbourhoods:
    """Posts within ``NEIGHBOURHOOD_KM`` of a place, by a k-d tree over the posts' coordinates (cached)."""

    def __init__(self, posts: Posts) -> None:
        self.has = np.flatnonzero(np.isfinite(posts.lat) & np.isfinite(posts.lon) & posts.precise)
        self.tree = cKDTree(units(posts)[self.has]) if len(self.has) else None
        self.cache: dict[tuple[float, float, float], np.ndarray] = {}

    def near(self, lat: float, lon: float, km: float = NEIGHBOURHOOD_KM) -> np.ndarray:
        key = (round(lat, 3), round(lon, 3), km)
        hit = self.cache.get(key)
        if hit is None:
            if self.tree is None or not (np.isfinite(lat) and np.isfinite(lon)):
                hit = np.zeros(0, dtype=np.int64)
            else:
                # A little wider than asked: the grid applies the exact distance.
                chord = 2 * np.sin((km + 0.5) / EARTH_RADIUS_KM / 2)
                hit = self.has[np.asarray(self.tree.query_ball_point(unit_vectors(lat, lon), chord), dtype=np.int64)]
            self.cache[key] = hit
        return hit


def _neighbourhoods(posts: Posts) -> Neighbourhoods:
    cached = getattr(posts, "_neighbourhoods", None)
    if cached is None:
        cached = Neighbourhoods(posts)
        posts._neighbourhoods = cached  # type: ignore[attr-defined]
    return cached


def _block_pool(people: People, posts: Posts, block: np.ndarray, today: dt.date | None) -> np.ndarray:
    """Posts other than online ones that any person of ``block`` (one county) might reach; a superset,
    checked pair by pair later (online posts: :func:`_online_best`).

    The posts of the county (for a block of people who stay in
    their village or town only the county's home-style workshop posts and the
    posts of their own villages and towns), and the half-hour neighbourhood of
    everyone who goes as far as the town. Posts that cannot be suggested today
    (closed, expired, filled) are left out: no rule could let them through.
    """
    mark = np.zeros(len(posts), dtype=bool)
    county = int(people.county[block[0]])
    widest = int(people.mobility[block].max())
    if county in posts.by_county:
        local = posts.by_county[county]
        if widest <= 2:
            # Home and village: the own village's posts and the county's home workshops; town: + own town.
            nearby = np.isin(posts.village[local], people.village[block])
            if widest == 2:
                nearby |= np.isin(posts.town[local], people.town[block])
            local = local[(posts.kind[local] == KIND_INDEX["workshop_home"]) | nearby]
        mark[local] = True
    near = _neighbourhoods(posts)
    # Across the county border a person who stays in the town or county reaches only the half-hour
    # circle (by coordinates, see reach.ring_of); only people with precise coordinates have one.
    for i in block[(people.mobility[block] >= 2) & people.precise[block]]:
        radius = NEIGHBOURHOOD_KM if people.mobility[i] >= 4 else HALF_HOUR_KM
        mark[near.near(float(people.lat[i]), float(people.lon[i]), radius)] = True
    mark[posts.online] = False  # an online post may carry its employer's place: _online_best takes them all
    if today is not None:
        mark &= open_mask(posts, today)
    return np.flatnonzero(mark)


class RingPools(NamedTuple):
    """The pools the far rings draw from: every post's id in the vector index and today's open posts.

    Built once per recommender (:meth:`build`); the open flags are the recommender's own, so a server's
    snapshot that withholds a post draws nothing from it.
    """

    post_ints: np.ndarray  # (n_posts,) the post's integer id in the index, -1 when not indexed
    open: np.ndarray  # (n_posts,) the post can be suggested today

    @classmethod
    def build(cls, posts: Posts, index: VacancyIndex, today: dt.date | None) -> RingPools:
        ints = index.int_ids(posts.ids.astype(str).tolist())
        return cls(ints, open_mask(posts, today) if today is not None else np.ones(len(posts), dtype=bool))

    def province(self, posts: Posts, province: int, county: int) -> Selection:
        """The province ring's pool of a person of ``county``: the open posts of ``province`` outside the
        county (whose posts the grid holds), neither online (the grid's too) nor public-welfare (never
        beyond the town)."""
        rows = posts.by_province.get(int(province))
        if rows is None or not province:
            return Selection(np.zeros(0, dtype=np.int64))
        kind = posts.kind[rows]
        keep = self.open[rows] & (posts.county[rows] != county) & (kind != _ONLINE) & (kind != _WELFARE)
        ints = self.post_ints[rows[keep]]
        return Selection(np.unique(ints[ints >= 0]))


def _fetched(posts: Posts, ids: np.ndarray) -> np.ndarray:
    position = posts.position
    return np.fromiter((position[v] for v in ids if v is not None and v in position), dtype=np.int64)


def _far_candidates(
    people: People,
    posts: Posts,
    index: VacancyIndex | None,
    rows: np.ndarray,
    allowed: object,
    floors: np.ndarray,
    pools: RingPools | None = None,
) -> dict[int, np.ndarray]:
    """Posts beyond the grid per far-travelling person (row in ``people`` -> post rows), from the province's
    pool (mobility province and wider) and the country's (mobility nationwide); fills ``floors[:,
    PROVINCE_FLOOR]`` and ``floors[:, FAR_FLOOR]`` (by position in ``rows``)."""
    far_at = np.flatnonzero(people.mobility[rows] >= 4)
    if index is None or people.vectors is None or len(far_at) == 0 or len(index) == 0:
        return {}
    floors[far_at, FAR_FLOOR] = np.inf  # nothing from the country's pool unless fetched below
    floors[far_at, PROVINCE_FLOOR] = np.inf
    if pools is None:
        pools = RingPools.build(posts, index, None)
    out: dict[int, list[np.ndarray]] = {}
    # The province ring: one search per (province, county) of the people, in that province's own pool.
    places = np.stack([people.province[rows[far_at]], people.county[rows[far_at]]], axis=1)
    for place in np.unique(places, axis=0):
        members = far_at[(places == place).all(axis=1)]
        pool = pools.province(posts, int(place[0]), int(place[1]))
        if not len(pool.ints):
            floors[members, PROVINCE_FLOOR] = -np.inf
            continue
        k = min(PROVINCE_FETCH, len(pool.ints))
        result = index.search(people.vectors[rows[members]], k, allowed=pool, nprobe=FAR_NPROBE)
        floors[members, PROVINCE_FLOOR] = result.scores[:, -1] if len(pool.ints) > k else -np.inf
        for r, ids in zip(rows[members], result.ids, strict=True):
            out.setdefault(int(r), []).append(_fetched(posts, ids))
    # The country ring: every open post, for people who go anywhere.
    nation_at = far_at[people.mobility[rows[far_at]] >= 5]
    if len(nation_at):
        k = min(FAR_FETCH, len(index))
        result = index.search(people.vectors[rows[nation_at]], k, allowed=allowed, nprobe=FAR_NPROBE)  # type: ignore[arg-type]
        full = np.array([ids[-1] is not None for ids in result.ids], dtype=bool)
        floors[nation_at, FAR_FLOOR] = np.where(full, result.scores[:, -1], -np.inf)
        for r, ids in zip(rows[nation_at], result.ids, strict=True):
            out.setdefault(int(r), []).append(_fetched(posts, ids))
    return {r: np.unique(np.concatenate(parts)) for r, parts in out.items()}


def _top(neg: np.ndarray, m: int, kth: np.ndarray | None = None) -> np.ndarray:
    """Per row, the ``m`` smallest cells of ``neg`` (rows × cols, m < cols); equal values go to the lower
    column first, so the choice does not depend on which other columns share the grid. ``kth``: each
    row's m-th smallest value, shape (rows, 1), when the caller has it."""
    if kth is None:
        kth = _kth(neg, m)
    below = neg < kth
    tie = neg == kth
    need = m - below.sum(axis=1)
    keep = below | tie
    over = np.flatnonzero(tie.sum(axis=1) > need)
    if len(over):
        t = tie[over]
        keep[over] = below[over] | (t & (np.cumsum(t, axis=1) <= need[over, None]))
    return keep


def _kth(neg: np.ndarray, m: int) -> np.ndarray:
    """Each row's m-th smallest value, shape (rows, 1)."""
    return np.partition(neg, m - 1, axis=1)[:, m - 1 : m]


def _select(cheap: np.ndarray, ring: np.ndarray, welfare: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a grid, the ``STAGE0`` best cells overall and the best ``STAGE0_PER_RING`` of each ring
    (ties: the lower column, i.e. the post that comes first).

    Returns the kept cells and, per row, the floors (see :attr:`Candidates.floors`): a cell scoring at
    least its row's overall floor or its ring's floor may be kept (ties by column), a lower one is not.
    """
    finite = np.isfinite(cheap)
    floors = np.full((cheap.shape[0], FAR_FLOOR), -np.inf)
    if cheap.shape[1] <= STAGE0:
        return finite, floors
    neg = -cheap
    kth = _kth(neg, STAGE0)
    keep = _top(neg, STAGE0, kth) & finite
    floors[:, 0] = np.where(np.isfinite(kth[:, 0]), -kth[:, 0], -np.inf)
    m = min(STAGE0_PER_RING, cheap.shape[1])
    for r in range(5):
        in_ring = (ring == r) & finite
        have = in_ring.sum(axis=1)
        # A ring with fewer than m cells was kept whole: any new cell of it would be kept too. Otherwise,
        # once its kept cells number m, its m-th best is at or above the overall floor.
        floors[:, 1 + r] = np.where(have < m, -np.inf, floors[:, 0])
        if not have.any():
            continue
        # The overall best already hold a ring's best cells in order; only rows that hold
        # fewer than STAGE0_PER_RING of a ring (and have more of it) need a partition.
        kept = (keep & in_ring).sum(axis=1)
        short = (have > kept) & (kept < m)
        small = short & (have <= m)
        keep[small] |= in_ring[small]
        floors[small, 1 + r] = -np.inf  # the whole ring was kept
        big = np.flatnonzero(short & (have > m))
        if len(big):
            ring_neg = np.where(in_ring[big], neg[big], np.inf)
            ring_kth = _kth(ring_neg, m)
            keep[big] |= _top(ring_neg, m, ring_kth) & in_ring[big]
            floors[big, 1 + r] = -ring_kth[:, 0]
    keep |= welfare
    return keep & finite, floors


#: Posts left out per person (row in ``people`` -> sorted post rows): the ones they already answered.
Exclusions = dict[int, np.ndarray]


def exclusions(pi: np.ndarray, pj: np.ndarray) -> Exclusions:
    """Pairs ``(people[pi], posts[pj])`` as :data:`Exclusions`."""
    out: Exclusions = {}
    if len(pi):
        order = np.lexsort((pj, pi))
        pi, pj = np.asarray(pi)[order], np.asarray(pj)[order]
        cut = np.flatnonzero(np.diff(pi)) + 1
        for rows, posts_rows in zip(np.split(pi, cut), np.split(pj, cut), strict=True):
            out[int(rows[0])] = np.unique(posts_rows)
    return out


def _clear(mask: np.ndarray, block: np.ndarray, pool: np.ndarray, exclude: Exclusions | None) -> None:
    """Clear the cells of ``mask`` (block × sorted pool) that pair a person with a post they answered."""
    if not exclude:
        return
    for r, i in enumerate(block.tolist()):
        gone = exclude.get(i)
        if gone is None:
            continue
        at = np.searchsorted(pool, gone)
        inside = at < len(pool)
        at = at[inside]
        mask[r, at[pool[at] == gone[inside]]] = False


def _online_best(
    people: People, posts: Posts, block: np.ndarray, today: dt.date | None, exclude: Exclusions | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The online posts worth a grid cell for each person of ``block``.

    Online posts are within everyone's reach, zero minutes away, and in one ring for a
    given person (except those of the person's own village, kept in any case), so their
    first-stage score is the cosine alone: an online post outside a person's ``STAGE0``
    most similar eligible ones could never pass :func:`_select`. Only those are handed to
    the grid (a few hundred instead of every online post of the province).

    Returns the online posts kept by anyone (sorted), which of them each person keeps
    (rows × kept), their cosines, and per person the open online posts in reach and how
    many of those the age or physical limits close.
    """
    online = posts.online
    if today is not None:
        online = online[open_mask(posts, today)[online]]
    n = len(block)
    if not len(online):
        none = np.zeros(n, dtype=np.int64)
        return online, np.zeros((n, 0), dtype=bool), np.zeros((n, 0), dtype=np.float32), none, none
    bi, pj = block[:, None], online[None, :]
    ok = eligible(people, posts, bi, pj, np.zeros((n, len(online)), dtype=np.int8), today)
    answered = np.ones(ok.shape, dtype=bool)
    _clear(answered, block, online, exclude)
    if people.vectors is not None and posts.vectors is not None:
        cosine = grid_cosine(people, posts, block, online)
    else:
        cosine = np.zeros((n, len(online)), dtype=np.float32)
    ok &= answered
    neg = np.where(ok, -cosine.astype(np.float64), np.inf)
    mine = _top(neg, STAGE0) if len(online) > STAGE0 else np.ones(neg.shape, dtype=bool)
    # An online post of the person's own village sits in the first ring (see reach.ring_of), where
    # it competes for that ring's own places: it is always handed on.
    mine |= (people.village[bi] == posts.village[pj]) & (posts.village[pj] > 0)
    mine &= ok
    cols = np.flatnonzero(mine.any(axis=0))
    # An answered post is neither in reach nor closed by a limit (it is out of the person's universe).
    reach = answered.sum(axis=1).astype(np.int64)
    return online[cols], mine[:, cols], cosine[:, cols], reach, reach - ok.sum(axis=1)


def candidate_pairs(
    people: People,
    posts: Posts,
    rows: np.ndarray,
    *,
    today: dt.date | None,
    index: VacancyIndex | None = None,
    open_ids: object = None,
    exclude: Exclusions | None = None,
    pools: RingPools | None = None,
) -> Candidates:
    """Eligible, pre-selected candidate pairs for the people at ``rows``.

    Parameters
    ----------
    people, posts : People, Posts
    rows : ndarray of int, shape (n,)
        Positions in ``people``, sorted ascending.
    today : datetime.date or None
        The date for status/end-date/openings checks; ``None`` replays history.
    index : VacancyIndex, optional
        For far-travelling people; without it they get the local pool only.
    open_ids : Selection or ndarray of str, optional
        The posts the index may return (the open ones).
    exclude : Exclusions, optional
        Posts left out per person (those they already answered, see :mod:`matcher.answered`).
    pools : RingPools, optional
        The far rings' pools (built here from ``index`` when not given).
    """
    rows = np.asarray(rows, dtype=np.int64)
    floors = np.full((len(rows), N_FLOORS), -np.inf)
    if pools is None and index is not None:
        pools = RingPools.build(posts, index, today)
    far = _far_candidates(people, posts, index, rows, open_ids, floors, pools)
    local = {int(r): k for k, r in enumerate(rows)}
    in_reach = np.zeros(len(rows), dtype=np.int64)
    blocked = np.zeros(len(rows), dtype=np.int64)
    chunks: list[tuple[np.ndarray, ...]] = []
    by_county = np.argsort(people.county[rows], kind="stable")
    ordered = rows[by_county]
    cut = np.flatnonzero(np.diff(people.county[ordered])) + 1
    for group in np.split(ordered, cut):
        # People who stay in their village or town share a block with their neighbours only,
        # so their pool is a few villages' posts rather than the whole county's.
        group = group[np.lexsort((people.town[group], people.mobility[group] > 2))]
        for start in range(0, len(group), BLOCK):
            block = group[start : start + BLOCK]
            chunks.append(_grid(people, posts, block, today, local, in_reach, blocked, floors, exclude))
    extra = [(int(i), _without(far[int(i)], exclude, int(i))) for i in rows if int(i) in far]
    if extra:
        chunks.append(_sparse(people, posts, extra, today, chunks))
    parts = [c for c in chunks if len(c[0])]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        geo = PairGeo(*(np.zeros(0) if n in (0, 1) else np.zeros(0, dtype=bool) for n in range(6)))
        return Candidates(
            empty,
            empty,
            np.zeros(0, dtype=np.int8),
            geo,
            in_reach,
            blocked,
            np.zeros(0, dtype=np.float32) if people.vectors is not None else None,
            floors,
        )
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    order = np.argsort(cols[0], kind="stable")
    cols = [c[order] for c in cols]
    pi, pj, ring, cosine = cols[0], cols[1], cols[2].astype(np.int8), cols[3]
    geo = PairGeo(*cols[4:10])
    return Candidates(pi, pj, ring, geo, in_reach, blocked, cosine if people.vectors is not None else None, floors)


def _without(rows: np.ndarray, exclude: Exclusions | None, i: int) -> np.ndarray:
    """``rows`` (post rows fetched for person ``i``) without the posts the person answered."""
    gone = exclude.get(i) if exclude else None
    return rows if gone is None else rows[~np.isin(rows, gone)]


def _grid(
    people: People,
    posts: Posts,
    block: np.ndarray,
    today: dt.date | None,
    local: dict[int, int],
    in_reach: np.ndarray,
    blocked: np.ndarray,
    floors: np.ndarray,
    exclude: Exclusions | None = None,
) -> tuple[np.ndarray, ...]:
    local_pool = _block_pool(people, posts, block, today)
    online, mine, online_cosine, online_reach, online_blocked = _online_best(people, posts, block, today, exclude)
    # Online posts come after the local ones; the grid is ordered by post position so that equal
    # first-stage scores fall the same way in any block (see _top).
    pool = np.concatenate([local_pool, online])
    order = np.argsort(pool, kind="stable")
    pool = pool[order]
    is_online = order >= len(local_pool)
    is_local = ~is_online
    online_at = order[is_online] - len(local_pool)  # column of each online pool post in _online_best's arrays
    bi, pj = block[:, None], pool[None, :]
    geo = pair_geo(people, posts, bi, pj)
    ring = ring_of(people, posts, bi, pj, geo)
    # Each person's own universe, whoever shares the block: the county, their own best online
    # posts and their own neighbourhood (the pool also holds the neighbourhoods of the others).
    own = geo.same_county | (
        ((people.mobility[block] >= 2) & people.precise[block])[:, None]
        & posts.precise[pool][None, :]
        & (geo.km <= NEIGHBOURHOOD_KM)
    )
    own &= is_local[None, :]
    _clear(own, block, pool, exclude)
    own[:, is_online] = mine[:, online_at]
    ring = np.where(own, ring, np.int8(-1))
    ok = eligible(people, posts, bi, pj, ring, today)
    # Reach counters for the shortfall note: market posts only (a public-welfare post is
    # offered only to flagged people and is counted when it is listed); online posts counted
    # by _online_best.
    reach = (ring >= 0) & ((posts.kind[pool] != KIND_INDEX["public_welfare"]) & is_local)[None, :]
    idx = np.fromiter((local[int(i)] for i in block), dtype=np.int64, count=len(block))
    in_reach[idx] += reach.sum(axis=1) + online_reach
    blocked[idx] += (reach & ~ok).sum(axis=1) + online_blocked
    cosine = np.zeros((len(block), len(pool)), dtype=np.float32)
    if people.vectors is not None and posts.vectors is not None and len(local_pool):
        cosine[:, is_local] = grid_cosine(people, posts, block, pool[is_local])
    cosine[:, is_online] = online_cosine[:, online_at]
    cheap = np.where(ok, first_stage(cosine, geo.minutes), -np.inf)
    welfare = (posts.kind[pool] == KIND_INDEX["public_welfare"])[None, :] & ok
    keep, floors[idx, :FAR_FLOOR] = _select(cheap, ring, welfare)
    r, c = np.nonzero(keep)
    return (
        block[r],
        pool[c],
        ring[r, c],
        cosine[r, c].astype(np.float32),
        *(np.broadcast_to(a, keep.shape)[r, c] for a in geo),
    )


def _sparse(
    people: People,
    posts: Posts,
    extra: list[tuple[int, np.ndarray]],
    today: dt.date | None,
    done: list[tuple[np.ndarray, ...]],
) -> tuple[np.ndarray, ...]:
    """Far posts from the index: the same constraints, pair by pair; pairs already in a grid are dropped."""
    pi = np.concatenate([np.full(len(p), i, dtype=np.int64) for i, p in extra])
    pj = np.concatenate([p for _, p in extra])
    # Pairs as one integer each: (person, post) -> person * n_posts + post.
    width = np.int64(len(posts))
    people_rows = np.unique(pi)
    seen = [c[0] * width + c[1] for c in done if len(c[0])]
    seen_keys = np.concatenate(seen) if seen else np.zeros(0, dtype=np.int64)
    seen_keys = seen_keys[np.isin(seen_keys // width, people_rows)]
    fresh = ~np.isin(pi * width + pj, seen_keys)
    pi, pj = pi[fresh], pj[fresh]
    geo = pair_geo(people, posts, pi, pj)
    ring = ring_of(people, posts, pi, pj, geo)
    ok = eligible(people, posts, pi, pj, ring, today)
    cosine = (
        pair_cosine(people, posts, pi, pj)
        if people.vectors is not None and posts.vectors is not None
        else np.zeros(len(pi), dtype=np.float32)
    )
    return (pi[ok], pj[ok], ring[ok], cosine[ok].astype(np.float32), *(a[ok] for a in geo))
