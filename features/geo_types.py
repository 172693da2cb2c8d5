"""Value types and code helpers of the geography layer.

Codes are 12-digit strings (``450000000000``); wherever a code is accepted,
a 2-, 4-, 6- or 9-digit prefix (province, city, county adcode, town) is
padded with zeros.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from features.geo_build import LEVELS

__all__ = [
    "LEVELS",
    "PREFIX_DIGITS",
    "Place",
    "Resolution",
    "parse_code",
    "level_number",
    "same_unit",
]

#: Number of leading code digits that identify a unit of each level.
PREFIX_DIGITS: dict[str, int] = {"province": 2, "city": 4, "county": 6, "town": 9, "village": 12}
_PREFIX = tuple(PREFIX_DIGITS[level] for level in LEVELS)
_BLANKS = re.compile(r"\s+")


@dataclass(frozen=True)
class Place:
    """One administrative division.

    ``parent`` is the 12-digit code of the enclosing division, ``""`` for a
    province. ``lat``/``lon`` are the place's own GCJ-02 centre, ``None`` when
    the source has none (see :meth:`Gazetteer.coords` for the fallback).
    """

    code: str
    name: str
    level: str
    parent: str
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Resolution:
    """Outcome of resolving one address.

    ``code``/``level`` name the deepest resolved place; the five ``*_code``
    fields its chain of ancestors (``None`` where the chain skips a level,
    e.g. 东莞市 has towns directly below the city). ``adcode`` is the 6-digit
    county code (for a town directly below a city: the city's 6 digits).
    ``lat``/``lon`` come from the deepest place in that chain that has
    coordinates, ``coord_level`` says which level that was. ``unresolved``
    lists ``(field, name)`` pairs that matched nothing or were ambiguous;
    ``field`` is a level name or ``"code"``.
    """

    code: str | None
    adcode: str | None
    level: str | None
    province_code: str | None
    city_code: str | None
    county_code: str | None
    town_code: str | None
    village_code: str | None
    lat: float | None
    lon: float | None
    coord_level: str | None
    unresolved: tuple[tuple[str, str], ...] = ()


def parse_code(code: object) -> int | None:
    """Return a division code as a 12-digit integer, or ``None`` if malformed.

    Accepts ``str``, ``int`` and integral floats (as pandas reads code columns
    with gaps); 2/4/6/9-digit prefixes are padded with zeros.
    """
    if code is None or isinstance(code, bool | np.bool_):
        return None
    if isinstance(code, int | np.integer):
        text = str(int(code))
    elif isinstance(code, float | np.floating):
        if not math.isfinite(code) or code != int(code):
            return None
        text = str(int(code))
    elif isinstance(code, str):
        text = _BLANKS.sub("", code).removesuffix(".0")
    else:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) not in _PREFIX:
        return None
    return int(text.ljust(12, "0"))


def level_number(level: str) -> int:
    """Position of a level name in :data:`LEVELS` (0 province … 4 village).

    Raises
    ------
    ValueError
        If ``level`` is not one of :data:`LEVELS`.
    """
    try:
        return LEVELS.index(level)
    except ValueError:
        raise ValueError(
            f"无效的行政级别: level={level!r}; 允许值: {', '.join(LEVELS)} / "
            f"invalid level: level={level!r}; allowed: {', '.join(LEVELS)}"
        ) from None


def same_unit(code_a: object, code_b: object, level: str) -> bool:
    """Whether two codes lie in the same unit of ``level``, by code prefix.

    Parameters
    ----------
    code_a, code_b : str or int
        Division codes (12-digit or a padded prefix). Malformed or missing
        codes are never in the same unit as anything.
    level : str
        One of ``province`` (2 digits), ``city`` (4), ``county`` (6),
        ``town`` (9), ``village`` (12).

    Returns
    -------
    bool

    Notes
    -----
    The county-level units directly under a province (省直辖县级行政区划,
    e.g. 湖北 仙桃市 4290 04) share a 4-digit "city" prefix without forming
    a city; callers comparing cities there get ``True``.
    """
    digits = PREFIX_DIGITS[LEVELS[level_number(level)]]
    a, b = parse_code(code_a), parse_code(code_b)
    if a is None or b is None:
        return False
    unit = 10 ** (12 - digits)
    return a // unit == b // unit
