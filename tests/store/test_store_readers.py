"""Readers, ingest runs and row counts."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from store import (
    RecordError,
    count_rows,
    load_known_ids,
    load_laborers,
    load_placements,
    load_vacancies,
    record_ingest_run,
    upsert,
)
from store.schema import households, ingest_runs, laborers, placements, vacancies


def test_load_laborers_filters_and_dtypes(migrated_engine: Engine, make_laborer) -> None:
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", [make_laborer(i) for i in range(12)])
    everyone = load_laborers(migrated_engine)
    assert list(everyone.columns) == [c.name for c in laborers.c]
    assert everyone["laborer_id"].is_monotonic_increasing and len(everyone) == 12
    assert everyone["age"].dtype == "Int64"
    assert everyone["registered_poor"].dtype == "boolean"
    assert pd.api.types.is_datetime64_any_dtype(everyone["birth_date"])
    assert pd.api.types.is_datetime64_any_dtype(everyone["updated_at"])

    county = load_laborers(migrated_engine, county_codes=["520527"])
    assert set(county["county_code"]) == {"520527"} and len(county) == 3
    picked = load_laborers(migrated_engine, ids=["L0000003", "L0000004", "nobody"])
    assert picked["laborer_id"].tolist() == ["L0000003", "L0000004"]
    both = load_laborers(migrated_engine, county_codes=["520527"], ids=["L0000003", "L0000004"])
    assert both["laborer_id"].tolist() == ["L0000004"]
    assert load_laborers(migrated_engine, ids=[]).empty


def test_empty_tables_give_typed_empty_frames(migrated_engine: Engine) -> None:
    df = load_vacancies(migrated_engine)
    assert df.empty and "required_skills" in df.columns
    assert df["openings"].dtype == "Int64"


def test_load_vacancies_by_status(migrated_engine: Engine, make_vacancy) -> None:
    with migrated_engine.begin() as conn:
        upsert(conn, "vacancies", [make_vacancy(i) for i in range(9)])
    open_ = load_vacancies(migrated_engine, status="open")
    assert set(open_["status"]) == {"open"} and len(open_) == 6
    assert len(load_vacancies(migrated_engine, status=["open", "closed"])) == 9
    assert load_vacancies(migrated_engine, ids=["V000001"]).iloc[0]["required_skills"] == ["电焊"]


def test_load_placements_by_laborer(migrated_engine: Engine) -> None:
    records = [
        {
            "placement_id": f"P{i}",
            "laborer_id": f"L{i % 3}",
            "vacancy_id": "V1",
            "outcome": "hired",
            "fair_id": None,
            "content_hash": f"h{i}",
            "updated_at": datetime(2025, 1, 1),
        }
        for i in range(6)
    ]
    with migrated_engine.begin() as conn:
        assert upsert(conn, "placements", records).inserted == 6
    df = load_placements(migrated_engine, laborer_ids=["L1"])
    assert df["placement_id"].tolist() == ["P1", "P4"]
    assert len(load_placements(migrated_engine)) == 6


def test_record_ingest_run_keeps_only_base_name(migrated_engine: Engine) -> None:
    with migrated_engine.begin() as conn:
        run_id = record_ingest_run(
            conn,
            kind="laborers",
            source_name="/home/张三/台账/2025-01 威宁县.xlsx",
            started_at=datetime(2025, 1, 1),
            inserted=3,
            updated=1,
            unchanged=0,
            stale=0,
            rejected=2,
            dry_run=False,
        )
        second = record_ingest_run(conn, kind="vacancies", source_name=r"C:\docs\岗位.csv")
    assert second == run_id + 1
    with migrated_engine.connect() as conn:
        names = conn.execute(sa.select(ingest_runs.c.source_name).order_by(ingest_runs.c.id))
        assert names.scalars().all() == ["2025-01 威宁县.xlsx", "岗位.csv"]
    assert count_rows(migrated_engine)["ingest_runs"] == 2


def test_record_ingest_run_rejects_unknown_field(migrated_engine: Engine) -> None:
    with migrated_engine.begin() as conn:
        with pytest.raises(RecordError, match="colour"):
            record_ingest_run(conn, kind="laborers", colour="blue")


def test_load_known_ids(migrated_engine: Engine, make_laborer) -> None:
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", [make_laborer(i) for i in range(3)])
    asked = ["L0000001", "L0000002", "L9999999", "L0000001"]
    assert load_known_ids(migrated_engine, "laborers", asked) == {"L0000001", "L0000002"}
    assert load_known_ids(migrated_engine, "vacancies", []) == set()
    with pytest.raises(RecordError, match="job_fair_vacancies"):
        load_known_ids(migrated_engine, "job_fair_vacancies", ["x"])


def test_bulk_readers_give_the_plain_readers_frames(migrated_engine: Engine, make_laborer, make_vacancy) -> None:
    """The nightly batch reads whole ledgers through the driver directly; the frames (values, dtypes,
    order, filters) are those of the plain readers on either database."""
    from store.readers import load_laborers_bulk, load_vacancies_bulk

    people = [make_laborer(i) for i in range(12)]
    people[0] = {**people[0], "wants_job": False, "skills": [], "birth_date": None, "expected_wage": None}
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", people)
        upsert(conn, "vacancies", [make_vacancy(i) for i in range(9)])
    pairs = [
        (load_laborers(migrated_engine), load_laborers_bulk(migrated_engine)),
        (load_laborers(migrated_engine, wants_job=True), load_laborers_bulk(migrated_engine, wants_job=True)),
        (
            load_laborers(migrated_engine, county_codes=["520527"]),
            load_laborers_bulk(migrated_engine, county_codes=["520527"]),
        ),
        (load_vacancies(migrated_engine), load_vacancies_bulk(migrated_engine)),
        (load_vacancies(migrated_engine, status="open"), load_vacancies_bulk(migrated_engine, status="open")),
    ]
    for plain, bulk in pairs:
        assert len(plain) > 0
        pd.testing.assert_frame_equal(plain, bulk)
    assert len(pairs[1][1]) == 11 and pairs[2][1]["county_code"].eq("520527").all()
    assert not pairs[0][1].loc[0, "wants_job"] and pairs[0][1].loc[0, "skills"] == []
    assert pairs[0][1]["registered_poor"].dtype == "boolean"
    assert pd.api.types.is_datetime64_any_dtype(pairs[3][1]["start_date"])


def _cells(column: sa.Column) -> st.SearchStrategy[object]:
    """Values a driver hands back for ``column`` (through SQLAlchemy), missing ones included."""
    from store.readers import _is_json

    ctype = column.type
    if _is_json(column):
        value: st.SearchStrategy[object] = st.lists(st.text(max_size=3), max_size=3)
    elif isinstance(ctype, sa.Boolean):
        value = st.booleans()
    elif isinstance(ctype, sa.Integer):
        value = st.integers(-(2**40), 2**40)
    elif isinstance(ctype, sa.Float):
        value = st.floats(allow_nan=False, width=64)
    elif isinstance(ctype, sa.DateTime):
        value = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1))
    elif isinstance(ctype, sa.Date):
        value = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1))
    else:
        value = st.text(max_size=4)
    return st.none() | value


@st.composite
def _rows(draw: st.DrawFn, table: sa.Table) -> list[tuple[object, ...]]:
    n = draw(st.integers(0, 4))
    return [tuple(draw(_cells(c)) for c in table.c) for _ in range(n)]


@pytest.mark.parametrize("table", [laborers, vacancies, placements, households], ids=lambda t: t.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_frames_are_built_as_pandas_builds_them_from_series(table: sa.Table, data: st.DataObject) -> None:
    """The readers build each column's array directly: the same dtypes and values as one pandas Series per
    column (how pandas infers text, an all-missing column, lists of equal length kept as lists)."""
    from store.readers import _frame, _is_json

    rows = data.draw(_rows(table))
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in table.c]
    expected: dict[str, pd.Series] = {}
    for c, values in zip(table.c, columns, strict=True):
        v = list(values)
        if _is_json(c):
            expected[c.name] = pd.Series(v, dtype=object, name=c.name)
        elif isinstance(c.type, sa.Boolean):
            expected[c.name] = pd.Series(v, dtype="boolean", name=c.name)
        elif isinstance(c.type, sa.Integer):
            expected[c.name] = pd.Series(v, dtype="Int64", name=c.name)
        elif isinstance(c.type, sa.Float):
            expected[c.name] = pd.Series(v, dtype="float64", name=c.name)
        elif isinstance(c.type, sa.Date | sa.DateTime):
            expected[c.name] = pd.Series(pd.to_datetime(pd.Series(v, dtype=object)), name=c.name)
        else:
            expected[c.name] = pd.Series(v, name=c.name)
    pd.testing.assert_frame_equal(_frame(table, rows), pd.DataFrame(expected), check_index_type=True)
