"""The report tables cache shared by the API and the pages: once per run and county, bounded, one
computation for requests that ask at the same moment."""

from __future__ import annotations

import threading

import pytest

import service.report_cache as cache
from matcher.app import Application
from matcher.batch.report_build import report_tables
from matcher.settings import Settings
from tests.matcher.conftest import Published


@pytest.fixture
def application(published: Published) -> Application:
    cache._cache.clear()
    return Application(Settings.load(home=published.home, database_url=str(published.engine.url)))


def test_a_report_is_computed_once_per_run_and_county_and_equals_a_fresh_one(
    application: Application, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str | None] = []

    def counted(run, engine=None, county_code=None):  # the real computation, counted
        calls.append(county_code)
        return report_tables(run, engine, county_code=county_code)

    monkeypatch.setattr(cache, "report_tables", counted)
    county = str(report_tables(published.run, published.engine)[1].coverage_county["county_code"].iloc[0])
    threads = [
        threading.Thread(target=cache.report_tables_of, args=(application, published.run, county)) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = cache.report_tables_of(application, published.run, county)
    assert calls == [county]  # four at once and one after: one computation
    whole = cache.report_tables_of(application, published.run, None)
    assert calls == [county, None] and whole is not first
    fresh = report_tables(published.run, published.engine, county_code=county)[1]
    for name, frame in first._asdict().items():
        assert frame.equals(getattr(fresh, name)), name


def test_the_cache_keeps_at_most_its_bound(
    application: Application, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "CACHE_ENTRIES", 2)
    for county in ("000001", "000002", "000003"):
        cache.report_tables_of(application, published.run, county)
    assert len(cache._cache) == 2
    assert [k[2] for k in cache._cache] == ["000002", "000003"]  # the oldest left first
