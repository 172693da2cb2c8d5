"""store/outcomes.py on SQLite and PostgreSQL: an outcome is a placement row, idempotent per day,
a decline keeps its reason, bad values are refused, per-post counts count people."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from store import upsert
from store.errors import InputError, NotFoundError
from store.outcomes import decline_reason, outcome_counts, person_outcomes, placement_id, record_outcome

DAY = dt.date(2026, 12, 4)


@pytest.fixture
def store(migrated_engine):  # type: ignore[no-untyped-def]
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", [{"laborer_id": f"L{i}", "content_hash": f"h{i}"} for i in (1, 2)])
        upsert(conn, "vacancies", [{"vacancy_id": f"V{i}", "content_hash": f"v{i}"} for i in (1, 2)])
    return migrated_engine


def test_an_outcome_is_a_placement_row_once_a_day(store) -> None:  # type: ignore[no-untyped-def]
    first = record_outcome(store, laborer_id="L1", vacancy_id="V1", outcome="interviewed", day=DAY)
    again = record_outcome(store, laborer_id="L1", vacancy_id="V1", outcome="interviewed", day=DAY)
    assert first.inserted and not again.inserted and first.placement_id == again.placement_id
    assert first.placement_id == placement_id("L1", "V1", "interviewed", DAY, None)
    rows = person_outcomes(store, "L1")
    assert [(r["vacancy_id"], r["outcome"], r["date"], r["source"]) for r in rows] == [
        ("V1", "interviewed", DAY, "caseworker")
    ]
    with store.connect() as conn:
        changes = conn.execute(sa.text("SELECT count(*) FROM changes WHERE entity = 'placement'")).scalar()
    assert changes == 1  # the second, unchanged write records no change


def test_a_decline_keeps_its_reason(store) -> None:  # type: ignore[no-untyped-def]
    record_outcome(store, laborer_id="L1", vacancy_id="V2", outcome="declined", reason="care_duties", day=DAY)
    (row,) = person_outcomes(store, "L1")
    assert row["source"] == "caseworker:care_duties" and row["reason"] == "care_duties"
    assert decline_reason("caseworker:too_far") == "too_far" and decline_reason("history") is None


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"outcome": "married"}, InputError),
        ({"outcome": "declined"}, InputError),
        ({"outcome": "declined", "reason": "bored"}, InputError),
        ({"outcome": "hired", "reason": "too_far"}, InputError),
        ({"outcome": "hired", "laborer_id": "L9"}, NotFoundError),
        ({"outcome": "hired", "vacancy_id": "V9"}, NotFoundError),
    ],
)
def test_bad_outcomes_are_refused(store, kw, error) -> None:  # type: ignore[no-untyped-def]
    args = {"laborer_id": "L1", "vacancy_id": "V1", "day": DAY, **kw}
    with pytest.raises(error):
        record_outcome(store, **args)
    assert person_outcomes(store, "L1") == []


def test_counts_per_post_count_people(store) -> None:  # type: ignore[no-untyped-def]
    for person in ("L1", "L2"):
        record_outcome(store, laborer_id=person, vacancy_id="V1", outcome="applied", day=DAY)
    record_outcome(store, laborer_id="L1", vacancy_id="V1", outcome="applied", day=DAY - dt.timedelta(days=1))
    record_outcome(store, laborer_id="L2", vacancy_id="V1", outcome="hired", day=DAY)
    assert outcome_counts(store, ["V1", "V2"]) == {"V1": {"applied": 2, "hired": 1}}
    assert outcome_counts(store, []) == {}
