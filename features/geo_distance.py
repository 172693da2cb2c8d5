"""Straight-line distance and rural travel-time estimates.

Coordinates in the gazetteer are GCJ-02 (the offset datum used by Chinese
map services). Its offset from WGS-84 is a few hundred metres at most and
nearly constant over a county, so distances between two GCJ-02 points are
accurate enough for commuting estimates without converting.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "EARTH_RADIUS_KM",
    "DETOUR_FACTOR",
    "RURAL_SPEED_KMH",
    "FIXED_MINUTES",
    "haversine_km",
    "travel_minutes",
    "unit_vectors",
    "chord_km",
]

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088
#: Road distance over straight-line distance (circuity). An assumption, not a
#: calibrated figure: road networks commonly run 1.2–1.5 times the straight
#: line, hill counties at the upper end, plains lower.
DETOUR_FACTOR = 1.4
#: Door-to-door speed on county and township roads, km/h: a mix of township
#: buses, motorbikes and shared vans, including waits at junctions.
RURAL_SPEED_KMH = 30.0
#: Fixed overhead per trip, minutes: walking to the road, waiting for a ride.
FIXED_MINUTES = 5.0


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> np.ndarray:
    """Great-circle distance in km between points given in degrees.

    Parameters
    ----------
    lat1, lon1 : array_like
        First points, shape broadcastable with the second points. ``None`` and
        NaN propagate as NaN.
    lat2, lon2 : array_like
        Second points.

    Returns
    -------
    numpy.ndarray
        Distances in km, float64, shape of the broadcast inputs (0-d for scalars).

    Examples
    --------
    >>> round(float(haversine_km(39.9042, 116.4074, 31.2304, 121.4737)))
    1068
    """
    phi1, lam1, phi2, lam2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((phi2 - phi1) / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def unit_vectors(lat: ArrayLike, lon: ArrayLike) -> np.ndarray:
    """Points on the unit sphere, shape (n, 3); NaN rows for missing coordinates.

    With these, distances between many points are one matrix product
    (:func:`chord_km`) instead of four trigonometric functions per pair.
    """
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=-1)


def chord_km(dot: ArrayLike) -> np.ndarray:
    """Great-circle distance in km from the dot product of two unit vectors.

    Uses the chord (``|u - v|² = 2 - 2 u·v``), which keeps more precision for
    nearby points than ``arccos``; equals :func:`haversine_km` to under a
    metre, and gives exactly 0 for the same point (squared chords below the
    rounding noise of the dot product, about half a metre, count as 0). NaN propagates.
    """
    d = np.asarray(dot, dtype=np.float64)
    sq = np.clip(2.0 - 2.0 * d, 0.0, 4.0)
    half_chord = np.sqrt(np.where(sq < 1e-14, 0.0, sq)) * 0.5
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(half_chord, 1.0))


def travel_minutes(km: ArrayLike) -> np.ndarray:
    """Estimated rural door-to-door travel time from straight-line distance.

    ``minutes = FIXED_MINUTES + km * DETOUR_FACTOR / RURAL_SPEED_KMH * 60``,
    i.e. 5 min plus 2.8 min per straight-line km: a place 9 km away is just
    inside the half-hour employment service circle (半小时就业服务圈).

    Parameters
    ----------
    km : array_like
        Non-negative straight-line distances in km (NaN allowed, propagates).

    Returns
    -------
    numpy.ndarray
        Minutes, float64, same shape as ``km``; non-decreasing in ``km``.

    Raises
    ------
    ValueError
        If any distance is negative.
    """
    distance = np.asarray(km, dtype=np.float64)
    if np.any(distance < 0):
        bad = float(distance[distance < 0].flat[0])
        raise ValueError(
            f"距离不能为负数: km={bad}; 允许值为 >= 0 的公里数 / "
            f"distance must not be negative: km={bad}; allowed: kilometres >= 0"
        )
    return FIXED_MINUTES + distance * (DETOUR_FACTOR / RURAL_SPEED_KMH * 60.0)
