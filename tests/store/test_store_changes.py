"""The change sequence: recorded by upsert and household rebuilds, in the writer's transaction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store import RecordError, recompute_households, upsert
from store.changes import Change, changes_since, latest_seq, record_changes
from store.schema import changes
from tests.store.conftest import Factory


def _seqs(engine: Engine) -> list[int]:
    return [c.seq for c in changes_since(engine, 0)]


def test_empty_sequence_starts_at_zero(migrated_engine: Engine) -> None:
    assert latest_seq(migrated_engine) == 0
    with migrated_engine.connect() as conn:
        assert latest_seq(conn) == 0
    assert changes_since(migrated_engine, 0) == []


def test_upsert_records_inserted_and_updated_rows_only(migrated_engine: Engine, make_laborer: Factory) -> None:
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", [make_laborer(i) for i in range(2)])
    start = latest_seq(migrated_engine)
    assert start == 2
    batch = [
        make_laborer(0, employment_status="employed_local"),  # changed
        make_laborer(1),  # unchanged
        *(make_laborer(i) for i in (10, 11, 12)),  # new
    ]
    with migrated_engine.begin() as conn:
        counts = upsert(conn, "laborers", batch)
    assert (counts.inserted, counts.updated, counts.unchanged) == (3, 1, 1)
    new = changes_since(migrated_engine, start)
    assert len(new) == 4
    assert [c.seq for c in new] == sorted({c.seq for c in new}) and new[0].seq > start
    assert {c.entity_id for c in new} == {"L0000000", "L0000010", "L0000011", "L0000012"}
    assert {(c.entity, c.op) for c in new} == {("laborer", "upsert")}
    by_id = {c.entity_id: c for c in new}
    assert by_id["L0000012"].county_code == "520527"  # 12 % 4 == 0
    assert by_id["L0000010"].county_code == "520526"
    assert latest_seq(migrated_engine) == new[-1].seq


def test_stale_rows_record_nothing(migrated_engine: Engine, make_laborer: Factory) -> None:
    from datetime import datetime

    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", [make_laborer(1, updated_at=datetime(2025, 6, 1))])
    before = latest_seq(migrated_engine)
    with migrated_engine.begin() as conn:
        counts = upsert(conn, "laborers", [make_laborer(1, age=70, updated_at=datetime(2025, 1, 1))])
    assert counts.stale == 1
    assert latest_seq(migrated_engine) == before


def test_update_without_county_column_takes_the_stored_county(migrated_engine: Engine, make_vacancy: Factory) -> None:
    with migrated_engine.begin() as conn:
        upsert(conn, "vacancies", [make_vacancy(1, county_code="360322")])
    start = latest_seq(migrated_engine)
    with migrated_engine.begin() as conn:
        upsert(conn, "vacancies", [{"vacancy_id": "V000001", "content_hash": "x" * 32, "openings": 9}])
    (change,) = changes_since(migrated_engine, start)
    assert change == Change(start + 1, "vacancy", "V000001", "360322", "upsert")


def test_placements_have_no_county_and_an_answer_changes_the_person(migrated_engine: Engine) -> None:
    """An answer to a post (hired here) is a change of the person too (their suggestions leave the post
    out); a push (recommended) is not."""
    rec = {"placement_id": "P1", "laborer_id": "L1", "vacancy_id": "V1", "outcome": "hired", "content_hash": "h"}
    push = {**rec, "placement_id": "P2", "laborer_id": "L2", "outcome": "recommended", "content_hash": "i"}
    with migrated_engine.begin() as conn:
        upsert(conn, "placements", [rec, push])
    assert changes_since(migrated_engine, 0) == [
        Change(1, "placement", "P1", None, "upsert"),
        Change(2, "placement", "P2", None, "upsert"),
        Change(3, "laborer", "L1", None, "upsert"),
    ]


def test_rolled_back_transaction_records_nothing(migrated_engine: Engine, make_laborer: Factory) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with migrated_engine.begin() as conn:
            upsert(conn, "laborers", [make_laborer(i) for i in range(5)])
            assert latest_seq(conn) == 5  # visible inside the transaction
            raise RuntimeError("boom")
    assert latest_seq(migrated_engine) == 0
    assert changes_since(migrated_engine, 0) == []


def test_seq_keeps_increasing_after_the_top_row_is_deleted(migrated_engine: Engine) -> None:
    with migrated_engine.begin() as conn:
        record_changes(conn, "vacancy", [("V1", "360322"), ("V2", None)])
        conn.execute(sa.delete(changes).where(changes.c.seq == 2))
    with migrated_engine.begin() as conn:
        record_changes(conn, "vacancy", [("V3", None)], op="delete")
    assert _seqs(migrated_engine) == [1, 3]
    assert changes_since(migrated_engine, 1)[0] == Change(3, "vacancy", "V3", None, "delete")


def test_changes_since_pages_in_order(migrated_engine: Engine) -> None:
    with migrated_engine.begin() as conn:
        record_changes(conn, "laborer", [(f"L{i}", None) for i in range(25)])
    first = changes_since(migrated_engine, 0, limit=10)
    second = changes_since(migrated_engine, first[-1].seq, limit=10)
    third = changes_since(migrated_engine, second[-1].seq, limit=10)
    ids = [c.entity_id for c in first + second + third]
    assert ids == [f"L{i}" for i in range(25)]
    assert len(third) == 5


def test_household_rebuild_records_only_changed_households(migrated_engine: Engine, make_laborer: Factory) -> None:
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", [make_laborer(i) for i in range(6)])  # households H000000, H000001
        recompute_households(conn, ["H000000", "H000001"])
    first = [c for c in changes_since(migrated_engine, 0) if c.entity == "household"]
    assert {(c.entity_id, c.op) for c in first} == {("H000000", "upsert"), ("H000001", "upsert")}
    start = latest_seq(migrated_engine)
    with migrated_engine.begin() as conn:
        recompute_households(conn, ["H000000", "H000001"])  # nothing changed
    assert latest_seq(migrated_engine) == start
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", [make_laborer(4, employment_status="employed_away")])
        recompute_households(conn, ["H000000", "H000001"])
    new = changes_since(migrated_engine, start)
    assert [(c.entity, c.entity_id) for c in new] == [("laborer", "L0000004"), ("household", "H000001")]
    with migrated_engine.begin() as conn:
        recompute_households(conn, None)  # a whole-table rebuild records nothing
    assert latest_seq(migrated_engine) == new[-1].seq


def test_household_without_members_records_a_delete(migrated_engine: Engine, make_laborer: Factory) -> None:
    from store.schema import laborers

    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", [make_laborer(i) for i in range(3)])
        recompute_households(conn, ["H000000"])
        start = latest_seq(conn)
        conn.execute(sa.delete(laborers))
        recompute_households(conn, ["H000000"])
    assert changes_since(migrated_engine, start) == [Change(start + 1, "household", "H000000", "520527", "delete")]


@pytest.mark.parametrize(("entity", "op", "field"), [("person", "upsert", "entity"), ("laborer", "merge", "op")])
def test_bad_entity_or_op_is_refused_bilingually(migrated_engine: Engine, entity: str, op: str, field: str) -> None:
    with migrated_engine.begin() as conn:
        with pytest.raises(RecordError) as info:
            record_changes(conn, entity, [("X1", None)], op=op)
    message = str(info.value)
    assert field in message and "allowed" in message and "可选" in message
    assert latest_seq(migrated_engine) == 0
