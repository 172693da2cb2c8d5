"""``/runs/{id}/report`` for a county's key holds that county alone: no other county's rows, households,
people or posts, and its ``全部`` rows are the county's own totals; an admin sees the whole run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from county_fixture import OTHER, OWN, ROLES, TwoCounties, bearer, build_two_counties, client_for
from fastapi.testclient import TestClient

from store.ledger import Scope, list_records


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TwoCounties, TestClient]]:
    county = build_two_counties(tmp_path_factory.mktemp("report_scope"), laborers=200, vacancies=30)
    with client_for(county.settings) as client:
        yield county, client


def _report(county: TwoCounties, client: TestClient, key: str) -> dict[str, list[dict[str, Any]]]:
    got = client.get(f"/runs/{county.run_id}/report", headers=bearer(key))
    assert got.status_code == 200, got.text
    return got.json()["tables"]


def _ids(county: TwoCounties, kind: str, where: str) -> set[str]:
    rows, _ = list_records(county.application.engine, kind, Scope(where), page_size=10_000)
    return {r["laborer_id" if kind == "laborers" else "vacancy_id"] for r in rows}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_a_county_key_sees_its_county_alone(reports: tuple[TwoCounties, TestClient], role: str) -> None:
    county, client = reports
    own, other = _report(county, client, county.key(role, OWN)), _report(county, client, county.key(role, OTHER))
    theirs = _ids(county, "laborers", OTHER) | _ids(county, "vacancies", OTHER)
    for tables, me in ((own, OWN), (other, OTHER)):
        for name, rows in tables.items():
            codes = {str(r["county_code"]) for r in rows if "county_code" in r}
            assert codes <= {me, "全部"}, (name, codes)
        # Households and posts of the other county never reach this one's key.
        foreign = theirs if me == OWN else _ids(county, "laborers", OWN) | _ids(county, "vacancies", OWN)
        members = {m for r in tables["zero_households"] for m in str(r.get("member_ids") or "").split("、")}
        assert not members & foreign
        assert not {r["vacancy_id"] for r in tables["exposure"]} & foreign
    # The county's totals are its own: the 全部 row equals its county row.
    for tables, me in ((own, OWN), (other, OTHER)):
        cov = {r["county_code"]: r for r in tables["coverage_county"]}
        assert set(cov) == {me, "全部"}
        assert cov["全部"]["served"] == cov[me]["served"] > 0


def test_an_admin_sees_the_whole_run(reports: tuple[TwoCounties, TestClient]) -> None:
    county, client = reports
    tables = _report(county, client, county.key("admin"))
    cov = {r["county_code"]: r for r in tables["coverage_county"]}
    assert {OWN, OTHER, "全部"} <= set(cov)
    assert cov["全部"]["served"] == sum(r["served"] for c, r in cov.items() if c != "全部")


def test_readonly_reads_households_as_counts_per_village(reports: tuple[TwoCounties, TestClient]) -> None:
    """A readonly key never reads a person: its report has no household id or member id, the households
    are counted per village (the counting: tests/matcher/batch/test_report_without_people.py); the
    organiser's report lists each household."""
    county, client = reports

    def report(role: str) -> dict[str, Any]:
        got = client.get(f"/runs/{county.run_id}/report", headers=bearer(county.key(role, OWN)))
        assert got.status_code == 200, got.text
        return got.json()

    listed, counted = report("organizer"), report("readonly")
    assert {"household_id", "member_ids"} <= set(listed["columns"]["zero_households"])
    assert counted["columns"]["zero_households"] == [
        "county",
        "town",
        "village",
        "households",
        "members",
        "members_in_run",
    ]
    assert all(set(r) == set(counted["columns"]["zero_households"]) for r in counted["tables"]["zero_households"])
    assert sum(r["households"] for r in counted["tables"]["zero_households"]) == len(
        listed["tables"]["zero_households"]
    )
    # every other table is the same for both roles (aggregates already)
    for name, rows in listed["tables"].items():
        if name != "zero_households":
            assert counted["tables"][name] == rows, name
