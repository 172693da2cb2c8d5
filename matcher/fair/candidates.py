"""Who may be invited to which booth, and how likely a hire is: eligible, scored pairs for the solver.

Candidates are the job seekers of the fair's county (``wants_job``, not
``unable`` or ``student``). A pair (person, post) is eligible when the core's
hard constraints allow the post (:mod:`matcher.reach`: reach, age, physical,
open on the fair's date) **and** the person can get to the venue — the venue
is treated as a post at the fair's place under the same reach rules. The one
exception: a home-style workshop post of the fair's county (居家式车间) is
handed out through the village, so people who cannot travel are still
invited to it (the village worker registers them).

Each person keeps the best ``top_per_person`` eligible posts by the ranker's
first stage, scored by the calibrated trees. Up to ``EXACT_PAIRS`` person ×
post pairs this is :meth:`Recommender.score_posts` over every pair; above it
(tens of thousands of candidates) the reach rules are evaluated once per
distinct place and mobility, and each person's ``prefilter`` eligible posts
closest in the encoder's vector space go on to the same first stage.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from matcher.flags import compute_flags
from matcher.pairs import PairSkills, PostSkills, pair_features
from matcher.prepare import KIND_INDEX, People, Posts, prepare_posts, take_people
from matcher.reach import eligible, pair_geo, ring_of
from matcher.recommend import Recommender

__all__ = ["FairPairs", "take_people", "seekers", "tiers", "venue_reach", "fair_pairs", "EXACT_PAIRS"]

EXACT_PAIRS = 4_000_000
_HOME_WS = KIND_INDEX["workshop_home"]
_WELFARE = KIND_INDEX["public_welfare"]
_NOT_SEEKING = ("unable", "student")


class FairPairs(NamedTuple):
    """Eligible pairs: ``pi`` into the people, ``pj`` into ``Recommender.posts``, ``p`` hire probability."""

    pi: np.ndarray
    pj: np.ndarray
    p: np.ndarray


def seekers(laborers: pd.DataFrame) -> pd.DataFrame:
    """The rows of a laborer frame that look for work (``wants_job``, not unable or a student)."""
    wants = laborers["wants_job"].fillna(False).astype(bool)
    status = laborers["employment_status"].astype(object)
    return laborers.loc[(wants & ~status.isin(_NOT_SEEKING)).to_numpy(dtype=bool)].reset_index(drop=True)


def tiers(people: People, policy: object | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Priority tier per person (0 zero-employment household, 1 registered poor, 2 flagged, 3 rest) and the flags.

    Flagged means a ``public_welfare`` or ``home_based`` flag of :func:`matcher.flags.compute_flags`.
    Returns ``(tier, welfare)`` where ``welfare`` marks the people flagged for a public-welfare post.
    """
    flags = compute_flags(people.frame, policy, columns=people.flag_columns)  # type: ignore[arg-type]
    kinds = [{f.kind for f in row} for row in flags]
    flagged = np.fromiter((bool(k & {"public_welfare", "home_based"}) for k in kinds), dtype=bool, count=len(kinds))
    welfare = np.fromiter(("public_welfare" in k for k in kinds), dtype=bool, count=len(kinds))
    tier = np.select([people.zero_employment, people.registered_poor, flagged], [0, 1, 2], default=3)
    return tier.astype(np.int64), welfare


def _venue_post(template: pd.DataFrame, code: str | None, lat: float | None, lon: float | None) -> Posts:
    """The venue as a one-row :class:`Posts` (an ordinary post at the fair's place) for the reach rules."""
    from features.geo import get_gazetteer

    row = template.iloc[[0]].copy()
    gaz = get_gazetteer()
    place = gaz.get(code) if code else None
    chain = {p.level: p.code for p in [*gaz.ancestors(place.code), place]} if place is not None else {}
    row["kind"] = "enterprise"
    row["admin_code"] = code
    row["county_code"] = (chain.get("county") or code or "")[:6] or None
    row["town_code"] = chain.get("town")
    row["village_code"] = chain.get("village")
    row["lat"], row["lon"] = lat, lon
    row["coord_source"] = "village" if chain.get("village") else "town" if chain.get("town") else "county"
    return prepare_posts(row)


def venue_reach(
    people: People, posts_frame: pd.DataFrame, code: str | None, lat: float | None, lon: float | None
) -> np.ndarray:
    """Per person: can the venue be reached under the person's mobility (reach rules of :mod:`matcher.reach`)?"""
    if not code or not len(people):
        return np.ones(len(people), dtype=bool)
    venue = _venue_post(posts_frame, code, lat, lon)
    pi = np.arange(len(people), dtype=np.int64)
    pj = np.zeros(len(people), dtype=np.int64)
    geo = pair_geo(people, venue, pi, pj)
    return ring_of(people, venue, pi, pj, geo) >= 0


def fair_pairs(
    rec: Recommender,
    people: People,
    post_rows: np.ndarray,
    reach_venue: np.ndarray,
    fair_county: int,
    welfare_ok: np.ndarray,
    *,
    top_per_person: int = 6,
    prefilter: int = 24,
    exact_pairs: int = EXACT_PAIRS,
) -> FairPairs:
    """Scored eligible pairs between ``people`` and the fair's posts (see the module docstring).

    Parameters
    ----------
    rec : Recommender
        Built for the fair's date (its ``today`` drives the open/end-date checks).
    people : People
        Candidates with ``vectors``.
    post_rows : ndarray of int, shape (m,)
        Positions of the fair's posts in ``rec.posts``.
    reach_venue : ndarray of bool, shape (n,)
    fair_county : int
        6-digit county code of the fair (home-style posts of this county are handed out there).
    welfare_ok : ndarray of bool, shape (n,)
        People who may be offered a public-welfare post (flagged ``public_welfare``).
    """
    posts = rec.posts
    post_rows = np.asarray(post_rows, dtype=np.int64)
    home_rows = post_rows[(posts.kind[post_rows] == _HOME_WS) & (posts.county[post_rows] == fair_county)]
    out_i, out_j, out_p = [], [], []
    for group, rows in ((np.flatnonzero(reach_venue), post_rows), (np.flatnonzero(~reach_venue), home_rows)):
        if not len(group) or not len(rows):
            continue
        sub = take_people(people, group)
        if len(group) * len(rows) <= exact_pairs:
            pi, pj, p = rec.score_posts(sub, rows, top_per_person=top_per_person)
        else:
            pi, pj, p = _pruned_scores(rec, sub, rows, top_per_person, prefilter)
        out_i.append(group[pi])
        out_j.append(pj)
        out_p.append(p)
    if not out_i:
        empty = np.zeros(0, dtype=np.int64)
        return FairPairs(empty, empty, np.zeros(0))
    pi, pj, p = np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_p)
    # Public-welfare posts are the safety net: only for the people flagged for one (as in the policy).
    keep = (posts.kind[pj] != _WELFARE) | np.asarray(welfare_ok, dtype=bool)[pi]
    return FairPairs(pi[keep], pj[keep], p[keep])


def _geo_groups(people: People) -> tuple[np.ndarray, np.ndarray]:
    """Group people whose reach is decided by the same inputs; returns (representative rows, group per person)."""
    key = pd.DataFrame(
        {
            "v": people.village,
            "t": people.town,
            "c": people.county,
            "ci": people.city,
            "p": people.province,
            "lat": np.round(np.nan_to_num(people.lat, nan=-1.0), 7),
            "lon": np.round(np.nan_to_num(people.lon, nan=-1.0), 7),
            "pr": people.precise,
            "m": people.mobility,
            "care": people.care,
        }
    )
    group = key.groupby(list(key.columns), sort=False).ngroup().to_numpy()
    _, reps = np.unique(group, return_index=True)
    return reps.astype(np.int64), group


def _pruned_scores(
    rec: Recommender, people: People, post_rows: np.ndarray, top: int, prefilter: int, block: int = 1_000_000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Like ``score_posts`` for many people: reach once per place group, a vector-space pre-cut, then the ranker."""
    posts = rec.posts
    m = len(post_rows)
    reps, group = _geo_groups(people)
    rings = np.empty((len(reps), m), dtype=np.int8)
    step = max(1, block // m)
    for a in range(0, len(reps), step):
        r = reps[a : a + step]
        pi, pj = np.repeat(r, m), np.tile(post_rows, len(r))
        rings[a : a + len(r)] = ring_of(people, posts, pi, pj, pair_geo(people, posts, pi, pj)).reshape(len(r), m)
    post_vectors = posts.vectors[post_rows] if posts.vectors is not None else None
    cand_i, cand_j = [], []
    k = min(prefilter, m)
    for a in range(0, len(people), step):
        rows = np.arange(a, min(a + step, len(people)), dtype=np.int64)
        pi, pj = np.repeat(rows, m), np.tile(post_rows, len(rows))
        ring = rings[group[rows]].ravel()
        ok = eligible(people, posts, pi, pj, ring, rec.today).reshape(len(rows), m)
        if people.vectors is not None and post_vectors is not None:
            sim = people.vectors[rows] @ post_vectors.T
        else:
            sim = np.zeros((len(rows), m), dtype=np.float32)
        sim = np.where(ok, sim, -np.inf)
        best = np.argpartition(-sim, k - 1, axis=1)[:, :k] if k < m else np.tile(np.arange(m), (len(rows), 1))
        take = np.isfinite(np.take_along_axis(sim, best, axis=1))
        cand_i.append(np.repeat(rows, k)[take.ravel()])
        cand_j.append(post_rows[best[take]])
    pi, pj = np.concatenate(cand_i), np.concatenate(cand_j)
    if not len(pi):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    skills = PairSkills.for_people(PostSkills.build(posts), people)
    X = pair_features(people, posts, pi, pj, pair_geo(people, posts, pi, pj), skills, rec.employers)
    coarse = rec.ranker.coarse_score(X)
    order = np.lexsort((-coarse, pi))
    rank = np.arange(len(order)) - np.searchsorted(pi[order], pi[order])
    keep = order[rank < top]
    return pi[keep], pj[keep], rec.ranker.predict_proba(X[keep])[:, 1]
