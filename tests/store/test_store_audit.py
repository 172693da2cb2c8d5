"""The audit log: one executemany per batch, newest first, filtered by laborer or key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from store import RecordError
from store.audit import query_audit, write_audit


def _entry(i: int, **overrides: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "at": datetime(2025, 3, 1, 9, 0) + timedelta(minutes=i),
        "key_id": "k1" if i % 2 else "k2",
        "role": "caseworker",
        "county_code": "360322",
        "laborer_id": f"L{i % 3}",
        "action": "read_person",
        "route": "/laborers/{laborer_id}",
        "client": "10.0.0.7",
        "status": 200,
    }
    entry.update(overrides)
    return entry


def test_query_is_newest_first_and_filtered(migrated_engine: Engine) -> None:
    assert write_audit(migrated_engine, [_entry(i) for i in range(9)]) == 9
    rows = query_audit(migrated_engine, laborer_id="L1")
    assert [r["at"].minute for r in rows] == [7, 4, 1]
    assert {r["laborer_id"] for r in rows} == {"L1"}
    assert rows[0]["status"] == 200 and rows[0]["route"] == "/laborers/{laborer_id}"
    by_key = query_audit(migrated_engine, key_id="k1", limit=2)
    assert [r["at"].minute for r in by_key] == [7, 5]
    both = query_audit(migrated_engine, laborer_id="L1", key_id="k2")
    assert [r["at"].minute for r in both] == [4]
    assert len(query_audit(migrated_engine)) == 9


def test_entries_of_one_moment_come_back_in_reverse_insertion_order(migrated_engine: Engine) -> None:
    at = datetime(2025, 3, 1)
    write_audit(migrated_engine, [_entry(0, at=at, action=a) for a in ("import", "update", "export")])
    assert [r["action"] for r in query_audit(migrated_engine)] == ["export", "update", "import"]


def test_defaults_and_widths(migrated_engine: Engine) -> None:
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    write_audit(migrated_engine, [{"action": "export", "route": "/x" * 200, "detail": "d" * 300}])
    after = datetime.now(UTC).replace(tzinfo=None)
    (row,) = query_audit(migrated_engine)
    assert isinstance(row["at"], datetime) and row["at"].tzinfo is None
    assert before <= row["at"] <= after  # stamped at the write, in naive UTC (not local time)
    assert len(row["route"]) == 128 and len(row["detail"]) == 256
    assert row["laborer_id"] is None and row["key_id"] is None


@pytest.mark.parametrize(
    ("entry", "field"),
    [({"action": "export", "name": "张三"}, "name"), ({"route": "/x"}, "action"), ({"action": "x", "at": "now"}, "at")],
)
def test_bad_entries_write_nothing(migrated_engine: Engine, entry: dict, field: str) -> None:
    with pytest.raises(RecordError, match=field):
        write_audit(migrated_engine, [_entry(0), entry])
    assert query_audit(migrated_engine) == []
    assert write_audit(migrated_engine, []) == 0
