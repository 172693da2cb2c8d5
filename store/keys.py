"""API keys: created once, stored as a hash, checked on every request.

A key reads ``mk_<key_id>_<secret>``: ``key_id`` (10 letters and digits) is
public and names the key in lists and the audit log; ``secret`` is 32 random
bytes, URL-safe base64. Only the sha256 of the whole key text is stored. A
fast hash is right here (unlike for passwords): the secret has 256 bits of
entropy, so there is nothing to guess a dictionary for. Hashes are compared
with :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.errors import RecordError
from store.schema import KEY_ROLES, api_keys

__all__ = ["KeyRecord", "create_key", "list_keys", "revoke_key", "verify_key", "KEY_PREFIX", "ROLES"]

#: Roles a key may carry; ``admin`` alone may span every county.
ROLES = KEY_ROLES
#: Every key text starts with this.
KEY_PREFIX = "mk_"
#: ``last_used_at`` is written at most this often per key.
TOUCH_INTERVAL = timedelta(minutes=1)

_ID_ALPHABET = string.ascii_letters + string.digits
_ID_LENGTH = 10
_SECRET_BYTES = 32
_KEY_RE = re.compile(r"mk_([A-Za-z0-9]{1,16})_([A-Za-z0-9_-]{32,128})")
_COUNTY_RE = re.compile(r"\d{6}")
_TOWN_RE = re.compile(r"\d{9}|\d{12}")
_LABEL_MAX = 128


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What the store knows about one key; never its secret or hash.

    Attributes
    ----------
    key_id : str
        Public id, part of the key text.
    role : {"admin", "organizer", "caseworker", "readonly"}
    county_code : str or None
        6-digit county the key is limited to; ``None`` only for ``admin``.
    town_code : str or None
        9- or 12-digit town within the county, or ``None`` (whole county).
    pii : bool
        Whether the key may see names, ID numbers and phones unmasked.
    label : str or None
        Free note on who holds the key.
    created_at, expires_at, revoked_at, last_used_at : datetime or None
        Naive UTC.
    """

    key_id: str
    role: str
    county_code: str | None
    town_code: str | None
    pii: bool
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def active(self, now: datetime | None = None) -> bool:
        """Neither revoked nor expired at ``now`` (naive UTC; default: now)."""
        at = _naive_utc(now) if now is not None else _utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _refuse(field: str, value: object, zh_allowed: str, en_allowed: str) -> RecordError:
    return RecordError(
        f"{field} 的值 {value!r} 无效，允许：{zh_allowed} / {field} {value!r} is not allowed; allowed: {en_allowed}"
    )


def _check_scope(role: str, county_code: str | None, town_code: str | None) -> None:
    if role not in ROLES:
        raise _refuse("role", role, "、".join(ROLES), ", ".join(ROLES))
    if county_code is None:
        if role != "admin":
            raise _refuse(
                "county_code",
                None,
                "6 位县级区划代码（只有 admin 可以不填）",
                "a 6-digit county code (only admin may have none)",
            )
    elif not (isinstance(county_code, str) and _COUNTY_RE.fullmatch(county_code)):
        raise _refuse(
            "county_code", county_code, "6 位数字的县级区划代码，如 360322", "a 6-digit county code, e.g. 360322"
        )
    if town_code is None:
        return
    if county_code is None:
        raise _refuse("town_code", town_code, "先给出所属县 county_code", "a town only together with its county_code")
    if not (isinstance(town_code, str) and _TOWN_RE.fullmatch(town_code) and town_code.startswith(county_code)):
        raise _refuse(
            "town_code",
            town_code,
            f"以 {county_code} 开头的 9 位或 12 位乡镇代码",
            f"a 9- or 12-digit town code starting with {county_code}",
        )


def _record(row: Any) -> KeyRecord:
    return KeyRecord(
        key_id=row.key_id,
        role=row.role,
        county_code=row.county_code,
        town_code=row.town_code,
        pii=bool(row.pii),
        label=row.label,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


_PUBLIC = [c for c in api_keys.c if c.name != "secret_hash"]


def create_key(
    engine: Engine,
    *,
    role: str,
    county_code: str | None,
    town_code: str | None = None,
    pii: bool = False,
    label: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[KeyRecord, str]:
    """Create a key and return it; the key text exists only in this return value.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    role : {"admin", "organizer", "caseworker", "readonly"}
    county_code : str or None
        6-digit county; ``None`` only for ``admin`` (every county).
    town_code : str or None
        9- or 12-digit town code starting with ``county_code``.
    pii : bool
        May see unmasked names, ID numbers and phones.
    label : str or None
        Note on the holder, at most 128 characters.
    expires_at : datetime or None
        When the key stops working (aware datetimes are converted to UTC).

    Returns
    -------
    (KeyRecord, str)
        The stored record and the key text ``mk_<key_id>_<secret>``.

    Raises
    ------
    RecordError
        A role, code or label that is not allowed, naming the field.
    """
    _check_scope(role, county_code, town_code)
    if label is not None and len(label) > _LABEL_MAX:
        raise RecordError(
            f"label 长度 {len(label)} 超过 {_LABEL_MAX} 个字符 / label has {len(label)} characters; "
            f"allowed: at most {_LABEL_MAX}"
        )
    record = KeyRecord(
        key_id="".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH)),
        role=role,
        county_code=county_code,
        town_code=town_code,
        pii=bool(pii),
        label=label,
        created_at=_utcnow(),
        expires_at=_naive_utc(expires_at) if expires_at is not None else None,
        revoked_at=None,
        last_used_at=None,
    )
    text = f"{KEY_PREFIX}{record.key_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"
    values = {c.name: getattr(record, c.name) for c in _PUBLIC}
    with engine.begin() as conn:
        conn.execute(sa.insert(api_keys).values(**values, secret_hash=_hash(text)))
    return record, text


def list_keys(engine: Engine) -> list[KeyRecord]:
    """Every key, oldest first (without hashes)."""
    stmt = sa.select(*_PUBLIC).order_by(api_keys.c.created_at, api_keys.c.key_id)
    with engine.connect() as conn:
        return [_record(row) for row in conn.execute(stmt)]


def revoke_key(engine: Engine, key_id: str) -> bool:
    """Revoke a key now; ``False`` when no such key exists or it was already revoked."""
    stmt = (
        sa.update(api_keys)
        .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=_utcnow())
    )
    with engine.begin() as conn:
        return bool(conn.execute(stmt).rowcount)


def verify_key(engine: Engine, text: str, now: datetime | None = None) -> KeyRecord | None:
    """The key's record when ``text`` is a valid, active key, else ``None``.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    text : str
        Key text as presented by a client.
    now : datetime or None
        Time to check expiry against (default: now; naive UTC or aware).

    Returns
    -------
    KeyRecord or None
        ``None`` for a malformed, unknown, revoked or expired key. On success
        ``last_used_at`` is written when it is more than a minute old, so a
        busy key costs one write a minute, not one per request.
    """
    if not isinstance(text, str):
        return None
    match = _KEY_RE.fullmatch(text)
    if match is None:
        return None
    at = _naive_utc(now) if now is not None else _utcnow()
    key_id = match.group(1)
    with engine.connect() as conn:
        row = conn.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).first()
    if row is None or not hmac.compare_digest(_hash(text), row.secret_hash):
        return None
    record = _record(row)
    if not record.active(at):
        return None
    if record.last_used_at is None or record.last_used_at <= at - TOUCH_INTERVAL:
        touch = (
            sa.update(api_keys)
            .where(
                api_keys.c.key_id == key_id,
                sa.or_(api_keys.c.last_used_at.is_(None), api_keys.c.last_used_at <= at - TOUCH_INTERVAL),
            )
            .values(last_used_at=at)
        )
        with engine.begin() as conn:
            conn.execute(touch)
        record = dataclasses.replace(record, last_used_at=at)
    return record
