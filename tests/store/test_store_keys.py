"""API keys: shown once, stored as a hash, refused when malformed, unknown, revoked or expired."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store import RecordError
from store.keys import KeyRecord, create_key, list_keys, revoke_key, verify_key
from store.schema import api_keys


def test_created_key_verifies_and_only_its_hash_is_stored(migrated_engine: Engine) -> None:
    record, text = create_key(migrated_engine, role="caseworker", county_code="360322", town_code="360322100")
    assert text.startswith(f"mk_{record.key_id}_") and len(text) >= 3 + 10 + 1 + 43
    assert len(record.key_id) == 10 and record.key_id.isalnum()
    with migrated_engine.connect() as conn:
        stored = conn.execute(sa.select(api_keys)).one()
    assert stored.secret_hash == hashlib.sha256(text.encode()).hexdigest()
    assert text.split("_", 2)[2] not in "".join(str(v) for v in stored)
    found = verify_key(migrated_engine, text)
    assert isinstance(found, KeyRecord)
    assert (found.key_id, found.role, found.county_code, found.town_code, found.pii) == (
        record.key_id,
        "caseworker",
        "360322",
        "360322100",
        False,
    )
    assert not hasattr(found, "secret_hash")


def test_keys_are_unique(migrated_engine: Engine) -> None:
    texts = {create_key(migrated_engine, role="readonly", county_code="360322")[1] for _ in range(20)}
    assert len(texts) == 20
    assert len({k.key_id for k in list_keys(migrated_engine)}) == 20


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
        lambda t: "mk_ZZZZZZZZZZ_" + t.split("_", 2)[2],  # unknown id
        lambda t: t.replace("mk_", "xk_", 1),  # wrong prefix
        lambda t: t + " ",
        lambda t: "",
        lambda t: "mk_",
        lambda t: t.split("_", 2)[0] + "_" + t.split("_", 2)[1],  # no secret
    ],
)
def test_malformed_or_wrong_keys_are_refused(migrated_engine: Engine, mangle) -> None:  # type: ignore[no-untyped-def]
    _, text = create_key(migrated_engine, role="admin", county_code=None)
    assert verify_key(migrated_engine, mangle(text)) is None
    assert verify_key(migrated_engine, text) is not None


def test_revoked_key_is_refused(migrated_engine: Engine) -> None:
    record, text = create_key(migrated_engine, role="organizer", county_code="360322", label="县就业局")
    assert revoke_key(migrated_engine, record.key_id) is True
    assert verify_key(migrated_engine, text) is None
    assert revoke_key(migrated_engine, record.key_id) is False  # already revoked
    assert revoke_key(migrated_engine, "nosuchkey0") is False
    (listed,) = list_keys(migrated_engine)
    assert listed.revoked_at is not None and listed.label == "县就业局"


def test_expired_key_is_refused(migrated_engine: Engine) -> None:
    expires = datetime(2030, 1, 1, 12, 0)
    _, text = create_key(migrated_engine, role="readonly", county_code="360322", expires_at=expires)
    assert verify_key(migrated_engine, text, now=datetime(2030, 1, 1, 11, 59)) is not None
    assert verify_key(migrated_engine, text, now=expires) is None
    aware = datetime(2030, 1, 1, 19, 30, tzinfo=UTC).astimezone()  # 19:30 UTC in the local zone
    assert verify_key(migrated_engine, text, now=aware) is None


def test_last_used_is_written_at_most_once_a_minute(migrated_engine: Engine) -> None:
    record, text = create_key(migrated_engine, role="caseworker", county_code="360322")
    assert record.last_used_at is None
    t0 = datetime(2029, 5, 1, 8, 0, 0)
    assert verify_key(migrated_engine, text, now=t0).last_used_at == t0  # type: ignore[union-attr]
    verify_key(migrated_engine, text, now=t0 + timedelta(seconds=30))
    assert list_keys(migrated_engine)[0].last_used_at == t0
    verify_key(migrated_engine, text, now=t0 + timedelta(seconds=61))
    assert list_keys(migrated_engine)[0].last_used_at == t0 + timedelta(seconds=61)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": "superuser", "county_code": "360322"}, "role"),
        ({"role": "caseworker", "county_code": None}, "county_code"),
        ({"role": "caseworker", "county_code": "36032"}, "county_code"),
        ({"role": "caseworker", "county_code": "36032a"}, "county_code"),
        ({"role": "caseworker", "county_code": "360322", "town_code": "360323100"}, "town_code"),
        ({"role": "caseworker", "county_code": "360322", "town_code": "3603221001"}, "town_code"),
        ({"role": "admin", "county_code": None, "town_code": "360322100"}, "town_code"),
        ({"role": "readonly", "county_code": "360322", "label": "x" * 129}, "label"),
    ],
)
def test_bad_role_or_codes_are_refused_bilingually(migrated_engine: Engine, kwargs: dict, field: str) -> None:
    with pytest.raises(RecordError) as info:
        create_key(migrated_engine, **kwargs)
    message = str(info.value)
    assert field in message and "allowed" in message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    assert list_keys(migrated_engine) == []


def test_admin_may_span_every_county_and_a_12_digit_town_is_accepted(migrated_engine: Engine) -> None:
    admin, _ = create_key(migrated_engine, role="admin", county_code=None, pii=True)
    town, _ = create_key(migrated_engine, role="caseworker", county_code="360322", town_code="360322100000")
    assert admin.county_code is None and admin.pii
    assert town.town_code == "360322100000"


def test_database_refuses_a_county_less_non_admin_key(migrated_engine: Engine) -> None:
    row = {
        "key_id": "x1",
        "secret_hash": "0" * 64,
        "role": "caseworker",
        "pii": False,
        "created_at": datetime(2025, 1, 1),
    }
    with pytest.raises(sa.exc.IntegrityError):
        with migrated_engine.begin() as conn:
            conn.execute(sa.insert(api_keys).values(**row))
