"""The change sequence: what running server workers poll to stay fresh.

Every write of a ledger row (insert, update, delete) and every household
whose derived row changed appends one row to ``changes`` in the same
transaction as the write, so a rolled-back write leaves no trace. A worker
remembers the last ``seq`` it applied and asks for :func:`changes_since`.

``seq`` is strictly increasing, and a worker that sees change ``N`` has
already been able to see every change below ``N``:

* SQLite numbers rows with ``AUTOINCREMENT`` (never reused) and lets one
  writer in at a time, so numbering order is commit order.
* PostgreSQL draws ``seq`` from a sequence, which alone would let a
  transaction that drew ``N`` commit after one that drew ``N + 1`` (a
  poller would skip ``N`` for good). :func:`record_changes` therefore takes
  a transaction-scoped advisory lock before drawing numbers; writers of
  changes queue on it until the holder commits or rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from store.errors import RecordError
from store.schema import CHANGE_ENTITIES, changes

__all__ = [
    "Change",
    "record_changes",
    "latest_seq",
    "changes_since",
    "CHANGE_OPS",
    "ENTITY_OF_TABLE",
    "ANSWERING_OUTCOMES",
]

#: What happened to an entity.
CHANGE_OPS = ("upsert", "delete")

#: Placement outcomes that answer a post (``matcher.policy.ANSWERING_OUTCOMES``): recording one changes the
#: person too, since a post they answered is not suggested to them again.
ANSWERING_OUTCOMES = ("applied", "interviewed", "rejected", "declined", "hired", "retained_6m", "quit")

#: The entity name of each table that records changes.
ENTITY_OF_TABLE: dict[str, str] = {
    "laborers": "laborer",
    "vacancies": "vacancy",
    "placements": "placement",
    "households": "household",
}

#: Rows per executemany INSERT.
_WRITE_CHUNK = 20_000
#: Most changes one :func:`changes_since` call returns.
MAX_PAGE = 100_000
# Arbitrary constant key of the PostgreSQL advisory lock that orders change writers ("chng").
_PG_CHANGES_LOCK = 0x63686E67


class Change(NamedTuple):
    """One row of the change sequence."""

    seq: int
    entity: str
    entity_id: str
    county_code: str | None
    op: str


def _chunks(items: Sequence[tuple[str, str | None]], size: int) -> Iterator[Sequence[tuple[str, str | None]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def record_changes(
    conn: Connection,
    entity: str,
    items: Sequence[tuple[str, str | None]],
    op: str = "upsert",
) -> int:
    """Append changes of one entity kind, inside the caller's transaction.

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        Open connection; the caller owns the transaction, so a rollback
        removes these changes with the writes they describe.
    entity : {"laborer", "vacancy", "placement", "household"}
        Kind of the changed rows.
    items : sequence of (str, str or None), length n
        ``(entity_id, county_code)`` of each changed row, in the order their
        ``seq`` numbers are drawn.
    op : {"upsert", "delete"}
        What happened to them.

    Returns
    -------
    int
        Number of changes recorded (n).

    Raises
    ------
    RecordError
        Unknown entity or op, or an empty entity id. Nothing is written.
    """
    if entity not in CHANGE_ENTITIES:
        raise RecordError(
            f"变更实体 entity 的值 {entity!r} 无效，可选：{'、'.join(CHANGE_ENTITIES)} / "
            f"entity {entity!r} is not allowed; allowed: {', '.join(CHANGE_ENTITIES)}"
        )
    if op not in CHANGE_OPS:
        raise RecordError(
            f"变更操作 op 的值 {op!r} 无效，可选：{'、'.join(CHANGE_OPS)} / "
            f"op {op!r} is not allowed; allowed: {', '.join(CHANGE_OPS)}"
        )
    if not items:
        return 0
    if any(not entity_id for entity_id, _county in items):
        raise RecordError(
            f"变更记录缺少 entity_id（{entity}）/ a {entity} change has an empty entity_id; allowed: a non-empty id"
        )
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_CHANGES_LOCK})
    now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, the store's convention
    for chunk in _chunks(items, _WRITE_CHUNK):
        rows = [
            {"entity": entity, "entity_id": str(ident), "county_code": county, "op": op, "at": now}
            for ident, county in chunk
        ]
        conn.execute(sa.insert(changes), rows)
    return len(items)


def latest_seq(engine_or_conn: Engine | Connection) -> int:
    """Highest ``seq`` recorded so far, 0 when the sequence is empty."""
    stmt = sa.select(sa.func.coalesce(sa.func.max(changes.c.seq), 0))
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return int(conn.execute(stmt).scalar_one())
    return int(engine_or_conn.execute(stmt).scalar_one())


def changes_since(engine: Engine, seq: int, limit: int = 10_000) -> list[Change]:
    """Changes with a ``seq`` above the given one, oldest first.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    seq : int
        Last ``seq`` the caller has applied (0 for everything).
    limit : int
        Most changes returned (1 to 100,000); call again from the last
        ``seq`` returned while a full page comes back.

    Returns
    -------
    list of Change
        Ordered by ``seq``.
    """
    limit = max(1, min(int(limit), MAX_PAGE))
    c = changes.c
    stmt = (
        sa.select(c.seq, c.entity, c.entity_id, c.county_code, c.op)
        .where(c.seq > int(seq))
        .order_by(c.seq)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [Change(int(s), e, i, cc, o) for s, e, i, cc, o in conn.execute(stmt)]
