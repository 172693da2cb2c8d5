"""Ledger reads and deletes for the API: scoped by county and town, literal text search."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store import RecordError, recompute_households, upsert
from store.changes import changes_since, latest_seq
from store.ledger import Scope, delete_record, get_record, list_records
from store.schema import households, laborers
from tests.store.conftest import Factory

COUNTY = Scope("520526")
OTHER = Scope("520527")
EVERY = Scope(None)


@pytest.fixture
def ledger(migrated_engine: Engine, make_laborer: Factory, make_vacancy: Factory) -> Engine:
    """40 laborers (i % 4 == 0 in county 520527, the rest in 520526) and 12 vacancies."""
    people = [make_laborer(i) for i in range(40)]
    people[5] = make_laborer(5, name="李_%华")
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", people)
        recompute_households(conn, None)
        upsert(conn, "vacancies", [make_vacancy(i, county_code="520526" if i % 2 else "520527") for i in range(12)])
    return migrated_engine


def _ids(rows: list[dict]) -> list[str]:
    return [r.get("laborer_id") or r["vacancy_id"] for r in rows]


def test_a_record_of_another_county_is_invisible(ledger: Engine) -> None:
    assert get_record(ledger, "laborers", "L0000001", COUNTY)["name"] == "测试1"  # type: ignore[index]
    assert get_record(ledger, "laborers", "L0000004", COUNTY) is None  # county 520527
    assert get_record(ledger, "laborers", "L0000004", OTHER) is not None
    assert get_record(ledger, "laborers", "L0000004", EVERY) is not None
    assert get_record(ledger, "laborers", "L9999999", EVERY) is None
    rows, total = list_records(ledger, "laborers", COUNTY, q="测试4")  # 测试4 is 520527; 测试4x are mixed
    assert "L0000004" not in _ids(rows) and total == len(rows)
    assert list_records(ledger, "laborers", COUNTY, ids=["L0000004", "L0000008"]) == ([], 0)
    start = latest_seq(ledger)
    assert delete_record(ledger, "laborers", "L0000004", COUNTY) is False
    assert delete_record(ledger, "laborers", "L9999999", EVERY) is False
    assert get_record(ledger, "laborers", "L0000004", OTHER) is not None
    assert latest_seq(ledger) == start
    assert get_record(ledger, "vacancies", "V000002", COUNTY) is None
    assert get_record(ledger, "vacancies", "V000003", COUNTY)["openings"] == 4  # type: ignore[index]


def test_town_scope_narrows_the_county(ledger: Engine) -> None:
    town = Scope("520526", "520526101")
    rows, total = list_records(ledger, "laborers", town)
    assert total == len(rows) == 6  # i % 5 == 1 and i % 4 != 0 among 0..39: 1, 6, 11, 21, 26, 31
    assert all(r["town_code"] == "520526101" for r in rows)
    assert get_record(ledger, "laborers", "L0000002", town) is None


def test_list_orders_by_id_pages_and_counts(ledger: Engine) -> None:
    rows, total = list_records(ledger, "laborers", COUNTY, page_size=7)
    assert total == 30 and len(rows) == 7
    assert _ids(rows) == sorted(_ids(rows)) and _ids(rows)[0] == "L0000001"
    pages = [list_records(ledger, "laborers", COUNTY, page=p, page_size=7)[0] for p in range(1, 6)]
    seen = [i for page in pages for i in _ids(page)]
    assert len(seen) == len(set(seen)) == 30
    assert list_records(ledger, "laborers", COUNTY, page=9, page_size=7) == ([], 30)
    assert len(list_records(ledger, "laborers", EVERY, page_size=10_000)[0]) == 40  # capped at 200, 40 exist
    # a page whose offset no database integer holds reads the last page there is room for: nothing
    assert list_records(ledger, "laborers", COUNTY, page=10**20, page_size=200) == ([], 30)


def test_page_size_is_capped(migrated_engine: Engine, make_laborer: Factory) -> None:
    with migrated_engine.begin() as conn:
        upsert(
            conn, "laborers", [make_laborer(i) for i in range(1, 260, 4)] + [make_laborer(i) for i in range(2, 600, 4)]
        )
    rows, total = list_records(migrated_engine, "laborers", COUNTY, page_size=1000)
    assert total == 215 and len(rows) == 200


def test_q_by_the_last_digits_or_the_full_id_number(ledger: Engine) -> None:
    rows, _ = list_records(ledger, "laborers", COUNTY, q="0013")
    assert _ids(rows) == ["L0000013"]
    rows, _ = list_records(ledger, "laborers", COUNTY, q="000013")
    assert _ids(rows) == ["L0000013"]
    rows, _ = list_records(ledger, "laborers", COUNTY, q="520100000000000021")
    assert _ids(rows) == ["L0000021"]
    assert list_records(ledger, "laborers", COUNTY, q="5201000000000000")[1] == 0  # neither full nor a tail
    assert list_records(ledger, "laborers", OTHER, q="0013")[1] == 0


def test_q_by_name_or_village(ledger: Engine) -> None:
    rows, _ = list_records(ledger, "laborers", COUNTY, q="测试3")
    assert _ids(rows) == ["L0000003", *(f"L00000{i}" for i in (30, 31, 33, 34, 35, 37, 38, 39))]
    rows, total = list_records(ledger, "laborers", COUNTY, q="16号村")
    assert total == 1 and _ids(rows) == ["L0000033"]


def test_like_wildcards_in_q_are_literal(ledger: Engine) -> None:
    assert _ids(list_records(ledger, "laborers", COUNTY, q="%")[0]) == ["L0000005"]
    assert _ids(list_records(ledger, "laborers", COUNTY, q="_")[0]) == ["L0000005"]
    assert list_records(ledger, "laborers", COUNTY, q="测_")[1] == 0
    assert list_records(ledger, "laborers", COUNTY, q="测%1")[1] == 0
    assert list_records(ledger, "vacancies", COUNTY, q="%")[1] == 0


def test_village_town_status_and_ids_filters(ledger: Engine) -> None:
    by_name = list_records(ledger, "laborers", COUNTY, village="3号村")  # a name repeats across towns
    assert _ids(by_name[0]) == ["L0000003", "L0000037"]
    by_code = list_records(ledger, "laborers", COUNTY, village="520526103003")
    assert _ids(by_code[0]) == ["L0000003"]
    assert list_records(ledger, "laborers", COUNTY, town="2号镇") == list_records(
        ledger, "laborers", COUNTY, town="520526102"
    )
    assert list_records(ledger, "laborers", COUNTY, status="employed_local")[1] == 0
    assert list_records(ledger, "laborers", COUNTY, status="unemployed")[1] == 30
    rows, total = list_records(ledger, "laborers", COUNTY, ids={"L0000003", "L0000001", "L0000004"})
    assert (_ids(rows), total) == (["L0000001", "L0000003"], 2)
    assert list_records(ledger, "laborers", COUNTY, ids=[]) == ([], 0)
    rows, total = list_records(ledger, "vacancies", COUNTY, status="open")
    assert total == 4 and {r["status"] for r in rows} == {"open"}  # odd i, i % 3 != 0: 1, 5, 7, 11
    rows, total = list_records(ledger, "vacancies", COUNTY, q="建筑公司7")
    assert _ids(rows) == ["V000007"]
    assert list_records(ledger, "vacancies", COUNTY, q="电焊")[1] == 6


def test_delete_records_a_change_and_rebuilds_the_household(ledger: Engine) -> None:
    with ledger.connect() as conn:
        before = conn.execute(sa.select(households.c.members).where(households.c.household_id == "H000001")).scalar()
    start = latest_seq(ledger)
    assert delete_record(ledger, "laborers", "L0000003", COUNTY) is True
    assert get_record(ledger, "laborers", "L0000003", COUNTY) is None
    new = changes_since(ledger, start)
    assert [(c.entity, c.entity_id, c.op) for c in new] == [
        ("laborer", "L0000003", "delete"),
        ("household", "H000001", "upsert"),
    ]
    assert new[0].county_code == "520526"
    with ledger.connect() as conn:
        after = conn.execute(sa.select(households.c.members).where(households.c.household_id == "H000001")).scalar()
        left = conn.execute(sa.select(sa.func.count()).select_from(laborers)).scalar()
    assert (before, after, left) == (3, 2, 39)
    assert delete_record(ledger, "laborers", "L0000003", COUNTY) is False
    assert delete_record(ledger, "vacancies", "V000003", COUNTY) is True
    assert changes_since(ledger, new[-1].seq)[0][1:] == ("vacancy", "V000003", "520526", "delete")


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Scope("52052"), "county_code"),
        (lambda: Scope(None, "520526101"), "town_code"),
        (lambda: Scope("520526", "520527101"), "town_code"),
    ],
)
def test_bad_scopes_are_refused(make, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RecordError, match=field):
        make()


def test_unknown_kind_is_refused(ledger: Engine) -> None:
    with pytest.raises(RecordError, match="placements.*allowed: laborers, vacancies"):
        get_record(ledger, "placements", "P1", EVERY)
