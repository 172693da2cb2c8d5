"""Geography: China's administrative divisions, place-name resolution, distances.

The gazetteer holds all five levels of the national division code table
(province 省 → city 市 → county 县 → town 乡镇街道 → village 村/社区) as of
2016-07-31, 713,034 places, with GCJ-02 centre coordinates for nearly all
counties, most towns and some villages. It ships inside the package
(``features/data/geo/gazetteer.parquet``, built by :mod:`features.geo_build`;
attribution in ``features/data/NOTICE.md``) and loads in well under a second.

Ledger addresses arrive as five name columns, sometimes with gaps and
spelling variants, sometimes with an admin code. :meth:`Gazetteer.resolve`
walks down the hierarchy (:mod:`features.geo_resolve`), matching each name
only among the places below what is already resolved, exactly first, then
tolerantly (:mod:`features.geo_names`). Missing upper levels are inferred
from a lower name that is unique where it is searched; an ambiguous or
unknown name is reported in ``Resolution.unresolved`` and the resolution
stops at the nearest resolved parent, never at an arbitrary guess.

Module layout: ``geo_types`` (values, code helpers), ``geo_names`` (name
keys), ``geo_table`` (arrays, row primitives), ``geo_resolve`` (the walk),
``geo_frame`` (batch), ``geo_distance`` (distance, travel time),
``geo_build`` (data file). Import from here.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from features.geo_build import LEVELS
from features.geo_distance import haversine_km, travel_minutes
from features.geo_frame import resolve_frame
from features.geo_names import clean_name
from features.geo_resolve import resolve_address
from features.geo_table import DivisionTable
from features.geo_types import PREFIX_DIGITS, Place, Resolution, level_number, same_unit

__all__ = [
    "LEVELS",
    "PREFIX_DIGITS",
    "Place",
    "Resolution",
    "Gazetteer",
    "get_gazetteer",
    "haversine_km",
    "travel_minutes",
    "same_unit",
]

_MEMO_LIMIT = 1_000_000


class Gazetteer(DivisionTable):
    """All administrative divisions, with lookup and name resolution.

    Build it with :meth:`load` (or use the cached :func:`get_gazetteer`).
    Instances are read-only apart from internal caches (per-parent name
    indices, memoised resolutions), so one instance can be shared between
    threads; at worst two threads fill the same cache entry twice. Codes may
    be given as 12-digit strings or as 2/4/6/9-digit prefixes (padded).
    """

    def __init__(self, *args: np.ndarray, **kwargs: np.ndarray) -> None:
        super().__init__(*args, **kwargs)
        self._memo: dict[tuple[tuple[str | None, ...], str | None], Resolution] = {}

    def get(self, code: object) -> Place | None:
        """The place with this code, or ``None`` when there is none."""
        row = self.row(code)
        return self.place(row) if row >= 0 else None

    def children(self, code: object, level: str | None = None) -> list[Place]:
        """Places below ``code``: direct children, or all descendants of ``level``.

        Parameters
        ----------
        code : str
            An existing division code.
        level : str, optional
            ``None`` for the direct children; a level name for every descendant
            at that level (e.g. all villages of a county). A level at or above
            the place's own gives an empty list.

        Returns
        -------
        list of Place
            In code order.

        Raises
        ------
        KeyError
            If ``code`` is not an existing division.
        ValueError
            If ``level`` is not a level name.
        """
        row = self.require(code)
        lo, hi = self.span(row)
        if level is None:
            rows = lo + np.flatnonzero(self.parent_row[lo:hi] == row)
        else:
            wanted = level_number(level)
            if wanted <= self.level(row):
                return []
            rows = lo + np.flatnonzero(self.levels[lo:hi] == wanted)
        return [self.place(int(r)) for r in rows]

    def ancestors(self, code: object) -> list[Place]:
        """Enclosing places, province first, excluding the place itself.

        Raises
        ------
        KeyError
            If ``code`` is not an existing division.
        """
        row = int(self.parent_row[self.require(code)])
        chain = []
        while row >= 0:
            chain.append(self.place(row))
            row = int(self.parent_row[row])
        return chain[::-1]

    def coords(self, code: object) -> tuple[float | None, float | None]:
        """``(lat, lon)`` of the place, else of its nearest ancestor with coordinates.

        ``(None, None)`` for an unknown code or a chain without coordinates.
        """
        row = self.coord_row(self.row(code))
        if row < 0:
            return None, None
        return float(self.lat[row]), float(self.lon[row])

    def ur_code(self, code: object) -> int | None:
        """The urban/rural code (220 village, 210 town centre, 1xx urban), if recorded."""
        row = self.row(code)
        value = int(self.ur[row]) if row >= 0 else 0
        return value or None

    def resolve(
        self,
        province: object = None,
        city: object = None,
        county: object = None,
        town: object = None,
        village: object = None,
        *,
        code: object = None,
    ) -> Resolution:
        """Resolve one address given as names and/or an admin code.

        Parameters
        ----------
        province, city, county, town, village : str, optional
            Names as written in the ledger (normalised text; whitespace is
            ignored). ``None``, NaN and blanks mean "not given".
        code : str or int, optional
            An admin code (12-digit or a padded prefix). When it exists it
            takes precedence over the names of its level and above; names
            below it are resolved inside it. An unknown or malformed code is
            reported as ``("code", value)`` and the names are used instead.

        Returns
        -------
        Resolution
            Never raises for odd input: what could not be matched is listed in
            ``unresolved``. Results are memoised per distinct input.
        """
        names = tuple(clean_name(value) for value in (province, city, county, town, village))
        key = (names, clean_name(code))
        result = self._memo.get(key)
        if result is None:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            result = self._memo[key] = resolve_address(self, names, key[1])
        return result

    def resolve_many(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Resolve every row of an address frame, memoised on distinct addresses.

        Parameters
        ----------
        frame : pandas.DataFrame
            Any of the columns ``province``, ``city``, ``county``, ``town``,
            ``village`` and ``admin_code``; absent columns count as not given.

        Returns
        -------
        pandas.DataFrame
            Same index, one column per :class:`Resolution` field (see
            :func:`features.geo_frame.resolve_frame` for the dtypes).
        """
        return resolve_frame(self.resolve, frame)


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once per process."""
    return Gazetteer.load()
