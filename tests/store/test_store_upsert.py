"""upsert: counts, staleness, validation, atomicity, JSON round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store import RecordError, UpsertCounts, count_rows, load_laborers, upsert
from store.schema import laborers


def _stored(engine: Engine, laborer_id: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(sa.select(laborers).where(laborers.c.laborer_id == laborer_id)).one()
    return dict(row._mapping)


def test_insert_update_unchanged_stale_counts(migrated_engine: Engine, make_laborer) -> None:
    first = [make_laborer(i) for i in range(10)]
    with migrated_engine.begin() as conn:
        assert upsert(conn, "laborers", first) == UpsertCounts(inserted=10)

    newer, older = datetime(2025, 2, 1), datetime(2024, 12, 1)
    second = (
        [make_laborer(i) for i in range(0, 4)]  # unchanged
        + [make_laborer(i, expected_wage=5000.0, updated_at=newer) for i in range(4, 7)]
        + [make_laborer(7, expected_wage=5000.0, updated_at=None)]  # no date: update
        + [make_laborer(i, expected_wage=1.0, updated_at=older) for i in range(8, 10)]  # stale
        + [make_laborer(i) for i in range(10, 13)]  # new
    )
    with migrated_engine.begin() as conn:
        counts = upsert(conn, "laborers", second)
    assert counts == UpsertCounts(inserted=3, updated=4, unchanged=4, stale=2)
    assert counts.total == len(second)

    assert _stored(migrated_engine, "L0000005")["expected_wage"] == 5000.0
    assert _stored(migrated_engine, "L0000005")["updated_at"] == newer
    stale_row = _stored(migrated_engine, "L0000009")
    assert stale_row["expected_wage"] == first[9]["expected_wage"]
    assert stale_row["content_hash"] == first[9]["content_hash"]
    assert count_rows(migrated_engine)["laborers"] == 13


def test_same_hash_is_unchanged_even_with_older_date(migrated_engine: Engine, make_laborer) -> None:
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", [make_laborer(1)])
        rec = make_laborer(1)
        rec["updated_at"] = datetime(2000, 1, 1)
        assert upsert(conn, "laborers", [rec]) == UpsertCounts(unchanged=1)


def test_aware_updated_at_is_stored_as_naive_utc(migrated_engine: Engine, make_laborer) -> None:
    beijing = timezone(timedelta(hours=8))
    rec = make_laborer(1, updated_at=datetime(2025, 3, 1, 8, 0, tzinfo=beijing))
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", [rec])
    stored = _stored(migrated_engine, "L0000001")
    assert stored["updated_at"] == datetime(2025, 3, 1, 0, 0)
    assert stored["ingested_at"] <= datetime.now(UTC).replace(tzinfo=None)


def test_large_batch_crosses_chunk_boundaries(migrated_engine: Engine, make_laborer) -> None:
    n = 25_000  # > FETCH_CHUNK and > WRITE_CHUNK
    records = [make_laborer(i) for i in range(n)]
    with migrated_engine.begin() as conn:
        assert upsert(conn, "laborers", records).inserted == n
    records[-1] = make_laborer(n - 1, expected_wage=9.0, updated_at=datetime(2026, 1, 1))
    with migrated_engine.begin() as conn:
        assert upsert(conn, "laborers", records) == UpsertCounts(updated=1, unchanged=n - 1)


def test_failure_mid_batch_rolls_back_everything(migrated_engine: Engine, make_laborer) -> None:
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", [make_laborer(i) for i in range(5)])
    before = load_laborers(migrated_engine)

    # A trigger makes the database itself reject one row in the middle of the
    # bulk INSERT; it is created inside the transaction and rolled back with it.
    with pytest.raises(sa.exc.DBAPIError):
        with migrated_engine.begin() as conn:
            _install_failing_trigger(conn, "L0000500")
            changed = [make_laborer(i, expected_wage=1.0, updated_at=None) for i in range(5)]
            assert upsert(conn, "laborers", changed).updated == 5
            upsert(conn, "laborers", [make_laborer(i) for i in range(5, 1000)])

    after = load_laborers(migrated_engine)
    assert count_rows(migrated_engine)["laborers"] == 5
    assert after["expected_wage"].tolist() == before["expected_wage"].tolist()
    with migrated_engine.begin() as conn:  # the trigger went with the rollback
        assert upsert(conn, "laborers", [make_laborer(500)]).inserted == 1


def _install_failing_trigger(conn: sa.Connection, laborer_id: str) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE TRIGGER fail_one BEFORE INSERT ON laborers "
            f"WHEN NEW.laborer_id = '{laborer_id}' BEGIN SELECT RAISE(ABORT, 'boom'); END"
        )
    else:
        conn.exec_driver_sql(
            "CREATE FUNCTION fail_one() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.laborer_id = '{laborer_id}' THEN RAISE EXCEPTION 'boom'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER fail_one BEFORE INSERT ON laborers FOR EACH ROW EXECUTE FUNCTION fail_one()"
        )


def test_json_lists_round_trip(migrated_engine: Engine, make_laborer, make_vacancy) -> None:
    rec = make_laborer(
        1,
        skills=["电焊", "砌筑", "叉车 驾驶"],
        certificates=[],
        job_intention=None,
        geo_unresolved=[["town", "某某镇"], ["village", "新寨村"]],
    )
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", [rec])
        upsert(conn, "vacancies", [make_vacancy(1, required_skills=["厨师", "面点"])])
    with migrated_engine.connect() as conn:
        raw = conn.exec_driver_sql(
            "SELECT job_intention IS NULL, skills FROM laborers WHERE laborer_id = 'L0000001'"
        ).one()
    assert bool(raw[0])  # None is SQL NULL, not JSON null
    assert "电焊" in str(raw[1])  # stored readable, not \\u escapes

    row = load_laborers(migrated_engine).iloc[0]
    assert row["skills"] == ["电焊", "砌筑", "叉车 驾驶"]
    assert row["certificates"] == []
    assert row["job_intention"] is None
    assert row["geo_unresolved"] == [["town", "某某镇"], ["village", "新寨村"]]


@pytest.mark.parametrize(
    ("table", "records", "match"),
    [
        ("households", [{"household_id": "H1", "content_hash": "x"}], "allowed: laborers"),
        ("laborers", [{"laborer_id": "L1", "content_hash": "x", "shoe_size": 42}], "shoe_size"),
        ("laborers", [{"laborer_id": "L1"}], "content_hash"),
        ("laborers", [{"laborer_id": None, "content_hash": "x"}], "record 0 has no laborer_id"),
        (
            "laborers",
            [{"laborer_id": "L1", "content_hash": "x"}, {"laborer_id": "L1", "content_hash": "y"}],
            "repeated laborer_id",
        ),
        ("laborers", [{"laborer_id": "L1", "content_hash": "x", "updated_at": 5}], "updated_at"),
    ],
)
def test_malformed_batches_are_refused(migrated_engine: Engine, table: str, records: list[dict], match: str) -> None:
    with migrated_engine.begin() as conn:
        with pytest.raises(RecordError, match=match):
            upsert(conn, table, records)
    assert count_rows(migrated_engine)[table] == 0


def test_error_messages_carry_no_personal_data(migrated_engine: Engine, make_laborer) -> None:
    rec = make_laborer(1)
    bad = [rec, dict(rec)]
    with migrated_engine.begin() as conn:
        with pytest.raises(RecordError) as info:
            upsert(conn, "laborers", bad)
    for secret in (rec["name"], rec["id_number"], rec["phone"]):
        assert secret not in str(info.value)


def test_empty_batch(migrated_engine: Engine) -> None:
    with migrated_engine.begin() as conn:
        assert upsert(conn, "laborers", []) == UpsertCounts()
