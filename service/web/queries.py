"""Store reads the pages need beyond the API's: names of places, lists with counts, fill state.

Everything here is scoped by the caller's :class:`store.ledger.Scope` (the same scope the API
applies), reads only, and returns plain Python values.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from service.api.deps import Principal
from store.ledger import Scope
from store.schema import households, laborers, vacancies

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


# ------------------------------------------------------------------ people
_FULL_ID = re.compile(r"\d{17}[\dX]|\d{15}")
_ID_TAIL = re.compile(r"\d{3,5}[\dX]")
_LIGHT = ("laborer_id", "village_code", "village", "town", "wants_job", "employment_status")


def _person_match(q: str) -> sa.ColumnElement[bool]:
    """Name or village (part of it), the laborer id, the full ID number or its last 4–6 characters."""
    conds: list[sa.ColumnElement[bool]] = [
        laborers.c.name.icontains(q, autoescape=True),
        laborers.c.village.icontains(q, autoescape=True),
        laborers.c.town.icontains(q, autoescape=True),
        laborers.c.laborer_id == q,
    ]
    upper = q.upper()
    if _FULL_ID.fullmatch(upper):
        conds.append(laborers.c.id_number == upper)
    elif _ID_TAIL.fullmatch(upper):
        conds.append(laborers.c.id_number.endswith(upper, autoescape=True))
    return sa.or_(*conds)


def people_index(
    engine: Engine, scope: Scope, *, q: str | None = None, village: str | None = None, status: str | None = None
) -> pd.DataFrame:
    """The scope's people passing the filters, a few light columns each, ordered by village then id."""
    conds = scope.clause(laborers)
    if q:
        conds.append(_person_match(q))
    if village:
        conds.append(laborers.c.village_code == village)
    if status:
        conds.append(laborers.c.employment_status == status)
    stmt = sa.select(*(laborers.c[c] for c in _LIGHT)).where(*conds).order_by(laborers.c.laborer_id)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=list(_LIGHT))


def villages_of(engine: Engine, scope: Scope) -> list[tuple[str, str, str, int]]:
    """The scope's villages: ``(village_code, town, village, people)``, by town then village."""
    stmt = (
        sa.select(laborers.c.village_code, laborers.c.town, laborers.c.village, sa.func.count())
        .where(*scope.clause(laborers), laborers.c.village_code.is_not(None))
        .group_by(laborers.c.village_code, laborers.c.town, laborers.c.village)
        .order_by(laborers.c.town, laborers.c.village)
    )
    with engine.connect() as conn:
        return [(str(a), str(b or ""), str(c or ""), int(d)) for a, b, c, d in conn.execute(stmt)]


def household_members(engine: Engine, household_id: str, scope: Scope) -> list[dict[str, Any]]:
    stmt = (
        sa.select(laborers)
        .where(laborers.c.household_id == household_id, *scope.clause(laborers))
        .order_by(laborers.c.laborer_id)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def household(engine: Engine, household_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(households).where(households.c.household_id == household_id)).first()
    return None if row is None else dict(row._mapping)


def posts_by_id(engine: Engine, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    stmt = sa.select(vacancies).where(vacancies.c.vacancy_id.in_(sorted(set(ids))))
    with engine.connect() as conn:
        return {r.vacancy_id: dict(r._mapping) for r in conn.execute(stmt)}
