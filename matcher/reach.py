"""Hard constraints: which posts a person may be offered at all, and how far away they are.

A post is never suggested when it is closed, past its end date, has no
openings left, lies beyond the person's ``mobility``, or violates the post's
age or physical limits. These rules are applied to candidate pairs inside
retrieval, before any scoring, so a tight filter narrows the list but
never lets a forbidden post through.

Reach by ``mobility`` (each level accepts everything the levels before it do):

=========== ==========================================================
home        online posts, home-style workshop posts of the own county
            (the work is brought to the house), posts in the own village
village     the same (the village's own posts)
town        + the same town, or within the half-hour travel circle
county      + the same county
province    + the same province
nationwide  + everywhere
=========== ==========================================================

Public-welfare posts are reachable only in the person's own village or
town; whether they are offered at all is the safety-net step's decision.

Travel time comes from coordinates when both places have coordinates of
village or town precision, else from the administrative tree (same
village 5 min, same town 20, same county 60, same prefecture 120, farther
600).

Physical limits: a ``high`` demand post is closed to people with chronic or
serious illness or a moderate or severe disability; a ``medium`` one to
people with serious illness or a severe disability.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np

from features.geo import travel_minutes
from features.geo_distance import chord_km, unit_vectors
from matcher.prepare import KIND_INDEX, People, Posts

__all__ = ["RINGS", "HALF_HOUR", "PairGeo", "pair_geo", "eligible", "ring_of", "open_mask", "units"]

#: Widening steps over geography, in order. ``safety_net`` and ``training`` follow them.
RINGS: tuple[str, ...] = ("village", "half_hour", "county", "province", "nationwide")
HALF_HOUR = 30.0
_TREE_MINUTES = (5.0, 20.0, 60.0, 120.0, 600.0)
_ONLINE = KIND_INDEX["online"]
_HOME_WS = KIND_INDEX["workshop_home"]
_WELFARE = KIND_INDEX["public_welfare"]


class PairGeo(NamedTuple):
    """Geography of candidate pairs, shape (n_pairs,) each."""

    minutes: np.ndarray
    km: np.ndarray
    same_village: np.ndarray
    same_town: np.ndarray
    same_county: np.ndarray
    same_province: np.ndarray


def pair_geo(people: People, posts: Posts, pi: np.ndarray, pj: np.ndarray) -> PairGeo:
    """Distance and administrative relations for pairs ``(people[pi], posts[pj])``.

    ``pi`` and ``pj`` may also be a column ``(n, 1)`` and a row ``(1, m)``: every
    function here broadcasts, so a block of people is checked against a pool
    of posts as one grid.
    """
    same_village = (people.village[pi] == posts.village[pj]) & (posts.village[pj] > 0)
    same_town = (people.town[pi] == posts.town[pj]) & (posts.town[pj] > 0)
    same_county = (people.county[pi] == posts.county[pj]) & (posts.county[pj] > 0)
    same_city = (people.city[pi] == posts.city[pj]) & (posts.city[pj] > 0)
    same_province = (people.province[pi] == posts.province[pj]) & (posts.province[pj] > 0)
    tree = np.select(
        [same_village, same_town, same_county, same_city],
        list(_TREE_MINUTES[:4]),
        default=_TREE_MINUTES[4],
    )
    km = _km(people, posts, pi, pj)
    usable = people.precise[pi] & posts.precise[pj] & np.isfinite(km)
    minutes = np.where(usable, travel_minutes(np.nan_to_num(km)), tree)
    # Never farther than the tree says for the same village/town (coarse coordinates).
    minutes = np.where(same_village, np.minimum(minutes, _TREE_MINUTES[0]), minutes)
    km = np.where(np.isfinite(km), km, minutes / 2.8)
    online = posts.kind[pj] == _ONLINE
    minutes = np.where(online, 0.0, minutes)
    km = np.where(online, 0.0, km)
    return PairGeo(minutes, km, same_village, same_town, same_county, same_province)


def units(places: People | Posts) -> np.ndarray:
    """Unit vectors of the places' coordinates, shape (n, 3), computed once per object."""
    cached = getattr(places, "_units", None)
    if cached is not None and cached[0] is places.lat:
        return cached[1]
    u = unit_vectors(places.lat, places.lon)
    places._units = (places.lat, u)  # type: ignore[union-attr]
    return u


def _km(people: People, posts: Posts, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """Great-circle km of pairs; a (people × posts) grid is one matrix product."""
    up, uq = units(people), units(posts)
    if np.ndim(pi) == 2 and np.ndim(pj) == 2 and np.shape(pi)[1] == 1 and np.shape(pj)[0] == 1:
        return chord_km(up[np.asarray(pi)[:, 0]] @ uq[np.asarray(pj)[0]].T)
    a, b = np.broadcast_arrays(np.asarray(pi), np.asarray(pj))
    return chord_km(np.einsum("...k,...k->...", up[a], uq[b]))


def ring_of(people: People, posts: Posts, pi: np.ndarray, pj: np.ndarray, geo: PairGeo) -> np.ndarray:
    """Innermost widening ring of each pair, or -1 when the post is out of the person's reach."""
    mob = people.mobility[pi].astype(np.int64)
    kind = posts.kind[pj]
    half = geo.same_town | (geo.minutes <= HALF_HOUR)
    ring = np.full(np.broadcast(pi, pj).shape, -1, dtype=np.int8)  # pairs, or a (people × posts) grid
    # Market posts by distance, limited by how far the person will go.
    ring = np.where(geo.same_village, 0, ring)
    ring = np.where((ring < 0) & half & (mob >= 2), 1, ring)
    ring = np.where((ring < 0) & geo.same_county & (mob >= 3), 2, ring)
    ring = np.where((ring < 0) & geo.same_province & (mob >= 4), 3, ring)
    ring = np.where((ring < 0) & (mob >= 5), 4, ring)
    # Work that comes to the house, and work on a screen: the first step for
    # people who cannot go far (or must care for family); for everyone else
    # they sit with the county step (the half-hour step for people who stay in
    # their town), so they do not crowd out nearby market posts before any widening.
    homebound = (mob <= 1) | people.care[pi]
    home_ring = np.where(homebound, 0, np.where(mob >= 3, 2, 1))
    home_ring = np.where(geo.same_village, 0, home_ring)
    ring = np.where((kind == _HOME_WS) & geo.same_county, home_ring, ring)
    ring = np.where(kind == _ONLINE, home_ring, ring)
    # Public-welfare posts serve their own village or town only.
    welfare = kind == _WELFARE
    ring = np.where(welfare, np.where(geo.same_village, 0, np.where(geo.same_town & (mob >= 2), 1, -1)), ring)
    return ring.astype(np.int8)


def eligible(
    people: People,
    posts: Posts,
    pi: np.ndarray,
    pj: np.ndarray,
    ring: np.ndarray,
    today: dt.date | None,
) -> np.ndarray:
    """Hard constraints for pairs; ``today=None`` skips the date/status/openings checks (replay)."""
    ok = ring >= 0
    if today is not None:
        ok &= open_mask(posts, today)[pj]
    age = people.age[pi]
    ok &= ~(age < posts.age_min[pj]) & ~(age > posts.age_max[pj])
    health, dis, demand = people.health[pi], people.disability[pi], posts.physical[pj]
    no_high = (health >= 2) | (dis >= 2)
    no_medium = (health >= 3) | (dis >= 3)
    ok &= ~((demand == 2) & no_high) & ~((demand == 1) & no_medium)
    return ok


def open_mask(posts: Posts, today: dt.date) -> np.ndarray:
    """Posts that can be suggested today at all (status, end date, openings, a start date no further ahead than
    ``posts.starts_within`` days); kept on ``posts`` per day.

    ``posts`` is a day's snapshot: its status, end dates and openings are not edited in place.
    """
    cached = getattr(posts, "_open_mask", None)
    key = (today, posts.starts_within)
    if cached is not None and cached[0] == key and cached[1] is posts.openings:
        return cached[2]
    t = today.toordinal()
    # a post that has not started yet only when it starts within the policy's window (it says when)
    mask = posts.open & (posts.end >= t) & (posts.openings > 0) & (posts.start <= t + posts.starts_within)
    posts._open_mask = (key, posts.openings, mask)  # type: ignore[attr-defined]
    return mask
