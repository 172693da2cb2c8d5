"""Figures the organiser's desk shares: the run's report tables and per-post counts, cached per run."""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from matcher.app import Application
from service.api.deps import Principal
from store.ledger import Scope
from store.schema import EMPLOYED_STATUSES, laborers, vacancies

__all__ = ["report_of", "suggested_counts", "by_town", "county_rows"]

_lock = threading.Lock()
_cache: dict[tuple[str, ...], Any] = {}
#: Entries kept (per-run counts); the oldest goes first.
CACHE_ENTRIES = 16


def _cached(key: tuple[str, ...], build: Any) -> Any:
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    value = build()
    with _lock:
        while len(_cache) >= CACHE_ENTRIES:
            _cache.pop(next(iter(_cache)))
        _cache[key] = value
    return value


def report_of(app: Application, county_code: str | None = None, *, people: bool = True) -> Any:
    """The published run's report tables for one county (its ``全部`` rows are the county's totals)
    or, without a county, the whole run (:func:`service.report_cache.report_tables_of`, ``people`` as
    there); None before the first run."""
    from service.report_cache import report_tables_of

    view = app.run_view
    return None if view is None else report_tables_of(app, view.run, county_code, people=people)


def suggested_counts(app: Application) -> dict[str, int]:
    """People each post is suggested to on last night's lists."""
    from matcher.batch.runs import read_table

    view = app.run_view
    if view is None:
        return {}

    def build() -> dict[str, int]:
        frame = read_table(view.run, "suggestions", columns=["vacancy_id", "laborer_id"])
        return {str(k): int(v) for k, v in frame.groupby("vacancy_id")["laborer_id"].nunique().items()}

    return _cached((view.run_id, "suggested"), build)


def county_rows(frame: pd.DataFrame, principal: Principal, column: str = "county_code") -> pd.DataFrame:
    """The rows of the key's county (an admin: the run's totals, ``全部``)."""
    if frame is None or frame.empty or column not in frame:
        return frame if frame is not None else pd.DataFrame()
    wanted = principal.county_code or "全部"
    return frame[frame[column].astype(str) == wanted]


def by_town(engine: Engine, scope: Scope, today: Any) -> list[dict[str, Any]]:
    """Per town of the scope: open posts' openings against job seekers (wants a job, not in work)."""
    open_posts = (
        sa.select(vacancies.c.town_code, vacancies.c.town, sa.func.sum(vacancies.c.openings))
        .where(*scope.clause(vacancies), vacancies.c.status == "open", vacancies.c.town_code.is_not(None))
        .group_by(vacancies.c.town_code, vacancies.c.town)
    )
    seekers = (
        sa.select(laborers.c.town_code, laborers.c.town, sa.func.count())
        .where(
            *scope.clause(laborers),
            laborers.c.wants_job.is_(True),
            sa.or_(laborers.c.employment_status.is_(None), laborers.c.employment_status.not_in(EMPLOYED_STATUSES)),
            laborers.c.town_code.is_not(None),
        )
        .group_by(laborers.c.town_code, laborers.c.town)
    )
    rows: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for code, name, n in conn.execute(open_posts):
            rows.setdefault(code, {"town": name or code, "openings": 0, "seekers": 0})["openings"] = int(n or 0)
        for code, name, n in conn.execute(seekers):
            rows.setdefault(code, {"town": name or code, "openings": 0, "seekers": 0})["seekers"] = int(n or 0)
    out = sorted(rows.values(), key=lambda r: -max(r["openings"], r["seekers"]))
    for r in out:
        o, s = r["openings"], r["seekers"]
        r["balance"] = "岗多人少" if o > 0 and o >= 2 * s else "人多岗少" if s > 0 and s >= 2 * o else "大致平衡"
    return out
