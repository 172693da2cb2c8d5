"""The morning report's tables of a published run, computed once per run and county and kept.

A report takes a second or two to compute on a county of 100,000 people and does not change once
its run is published, so the API (``/runs/{id}/report``) and the pages (``/report``, ``/posts``)
share this cache. It is bounded (:data:`CACHE_ENTRIES`, the oldest leaves first) and safe across
threads: one lock guards the table, and requests asking for the same report while it is being
computed wait for that one computation instead of repeating it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from matcher.batch.report_build import ReportTables, report_tables, without_people

__all__ = ["CACHE_ENTRIES", "report_tables_of"]

#: Reports kept (one per run and county asked for).
CACHE_ENTRIES = 32

_lock = threading.Lock()
_cache: OrderedDict[tuple[str, str, str, bool], ReportTables] = OrderedDict()
_building: dict[tuple[str, str, str, bool], threading.Lock] = {}


def report_tables_of(
    application: Any, run: Any, county_code: str | None = None, *, people: bool = True
) -> ReportTables:
    """The report tables of ``run`` for one county (its ``全部`` rows are the county's totals) or,
    without a county, the whole run (:func:`matcher.batch.report_build.report_tables`). ``people=False``:
    for a reader of aggregates alone, nothing that names a household or a person
    (:func:`matcher.batch.report_build.without_people`), kept beside the full report."""
    key = (str(application.home), run.run_id, county_code or "", people)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
        building = _building.setdefault(key, threading.Lock())
    with building:
        with _lock:
            hit = _cache.get(key)
        if hit is not None:
            return hit
        try:
            if people:
                _, tables = report_tables(run, application.engine, county_code=county_code)
            else:
                tables = without_people(report_tables_of(application, run, county_code))
        finally:
            with _lock:
                _building.pop(key, None)
        with _lock:
            _cache[key] = tables
            while len(_cache) > CACHE_ENTRIES:
                _cache.popitem(last=False)
        return tables
