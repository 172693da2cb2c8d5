"""Store reads the pages need beyond the API's: names of places, lists with counts, fill state.

Everything here is scoped by the caller's :class:`store.ledger.Scope` (the same scope the API
applies), reads only, and returns plain Python values.
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from service.api.deps import Principal
from store.schema import laborers, vacancies

__all__ = ["area_name"]

_NAMES: dict[tuple[int, str | None, str | None], tuple[float, str]] = {}
_NAMES_LOCK = threading.Lock()
_NAME_SECONDS = 300.0


def area_name(engine: Engine, principal: Principal) -> str:
    """The key's area in words (``永寿县``, ``永寿县甘井镇``; ``全部县区`` for an admin key)."""
    county, town = principal.county_code, principal.town_code
    if county is None:
        return "全部县区"
    key = (id(engine), county, town)
    now = time.monotonic()
    with _NAMES_LOCK:
        hit = _NAMES.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
    name = county
    with engine.connect() as conn:
        for table in (laborers, vacancies):
            row = conn.execute(
                sa.select(table.c.county).where(table.c.county_code == county, table.c.county.is_not(None)).limit(1)
            ).first()
            if row is not None:
                name = str(row[0])
                break
        if town is not None:
            row = conn.execute(
                sa.select(laborers.c.town).where(laborers.c.town_code == town, laborers.c.town.is_not(None)).limit(1)
            ).first()
            name += str(row[0]) if row is not None else town
    with _NAMES_LOCK:
        _NAMES[key] = (now + _NAME_SECONDS, name)
    return name
