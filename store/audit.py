"""The audit log: who read or changed whose record, through which route, with what result.

Rows name keys, roles, counties, record ids, routes and HTTP statuses only,
never a name, ID number or phone (PIPL arts. 28–29): the service writes them,
caseworkers' supervisors read them with ``matcher audit --laborer ID``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.errors import RecordError
from store.schema import audit_log

__all__ = ["write_audit", "query_audit", "AUDIT_FIELDS", "MAX_QUERY"]

#: Fields an audit entry may carry (``audit_id`` is assigned by the database).
AUDIT_FIELDS = tuple(c.name for c in audit_log.c if c.name != "audit_id")
#: Most rows one :func:`query_audit` call returns.
MAX_QUERY = 10_000

# Text columns are cut to their width: an over-long route or client address must not
# cost the audit row (PostgreSQL refuses values longer than VARCHAR(n)).
_WIDTHS = {c.name: c.type.length for c in audit_log.c if isinstance(c.type, sa.String) and c.type.length}


def _row(entry: Mapping[str, Any], position: int, now: datetime) -> dict[str, Any]:
    unknown = sorted(set(entry) - set(AUDIT_FIELDS))
    if unknown:
        raise RecordError(
            f"审计记录第 {position} 条有未知字段 {', '.join(unknown)} / audit entry {position} has unknown "
            f"field(s) {', '.join(unknown)}; allowed: {', '.join(AUDIT_FIELDS)}"
        )
    if not entry.get("action"):
        raise RecordError(
            f"审计记录第 {position} 条缺少 action / audit entry {position} has no action; "
            "allowed: e.g. read_person, read_recommendations, update, delete, import, record_outcome, export"
        )
    row = {name: entry.get(name) for name in AUDIT_FIELDS}
    at = row["at"] or now
    if not isinstance(at, datetime):
        raise RecordError(
            f"审计记录第 {position} 条 at 不是日期时间 / audit entry {position}: at has type "
            f"{type(at).__name__}; allowed: datetime or None"
        )
    row["at"] = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo is not None else at
    for name, width in _WIDTHS.items():
        value = row[name]
        if value is not None:
            row[name] = str(value)[:width]
    if row["status"] is not None:
        row["status"] = int(row["status"])
    return row


def write_audit(engine: Engine, entries: Sequence[Mapping[str, Any]]) -> int:
    """Append audit entries in one transaction (one ``executemany``).

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    entries : sequence of mapping, length n
        Keys among `AUDIT_FIELDS`: ``at`` (default now, naive UTC), ``key_id``,
        ``role``, ``county_code``, ``laborer_id``, ``vacancy_id``, ``action``
        (required), ``route``, ``client``, ``status``, ``detail``. Text is cut
        to its column width. ``detail`` must never hold personal data.

    Returns
    -------
    int
        Number of rows written (n).

    Raises
    ------
    RecordError
        An unknown field, a missing action or a wrong ``at``; nothing is written.
    """
    if not entries:
        return 0
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [_row(entry, position, now) for position, entry in enumerate(entries)]
    with engine.begin() as conn:
        conn.execute(sa.insert(audit_log), rows)
    return len(rows)


def query_audit(
    engine: Engine,
    *,
    laborer_id: str | None = None,
    key_id: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Audit rows, newest first.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    laborer_id, key_id : str or None
        Only rows about this laborer / made with this key.
    limit : int
        Most rows returned, 1 to 10,000.

    Returns
    -------
    list of dict
        One dict per row with every column of ``audit_log``.
    """
    limit = max(1, min(int(limit), MAX_QUERY))
    stmt = sa.select(audit_log)
    if laborer_id is not None:
        stmt = stmt.where(audit_log.c.laborer_id == laborer_id)
    if key_id is not None:
        stmt = stmt.where(audit_log.c.key_id == key_id)
    # Entries of one batch share ``at``; audit_id (insertion order) breaks the tie.
    stmt = stmt.order_by(audit_log.c.at.desc(), audit_log.c.audit_id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]
