"""Derived household rows, rebuilt from the laborers table in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from store.changes import record_changes
from store.schema import EMPLOYED_STATUSES, households, laborers

__all__ = ["recompute_households"]

#: Households per DELETE/INSERT … SELECT round when ids are given.
_CHUNK = 5_000

_PLACE = ("province", "city", "county", "town", "village", "county_code", "town_code")
_PLACE_COLUMNS = (*_PLACE, "village_code")


def _rebuild_select(household_ids: sa.BindParameter[Any] | None) -> sa.Select:
    """The household rows rebuilt from their members: all, or those of the ids bound to ``household_ids``."""
    lab = laborers.c
    scope: sa.ColumnElement[bool] = lab.household_id.is_not(None)
    if household_ids is not None:
        scope = sa.and_(scope, lab.household_id.in_(household_ids))

    # The ledger has no "relation to head" column; the member with the
    # smallest laborer_id stands for the household's place.
    first = (
        sa.select(
            lab.household_id,
            *(lab[c] for c in _PLACE_COLUMNS),
            sa.func.row_number().over(partition_by=lab.household_id, order_by=lab.laborer_id).label("rn"),
        )
        .where(scope)
        .subquery("first_member")
    )
    employed = sa.func.sum(sa.case((lab.employment_status.in_(EMPLOYED_STATUSES), 1), else_=0))
    poor = sa.func.max(sa.case((lab.registered_poor.is_(True), 1), else_=0))
    agg = (
        sa.select(
            lab.household_id.label("household_id"),
            sa.func.count().label("members"),
            employed.label("employed"),
            (poor == 1).label("registered_poor"),
            (employed == 0).label("zero_employment"),
            sa.func.max(lab.updated_at).label("updated_at"),
        )
        .where(scope)
        .group_by(lab.household_id)
        .subquery("agg")
    )
    return sa.select(
        agg.c.household_id,
        *(first.c[c] for c in _PLACE_COLUMNS),
        agg.c.members,
        agg.c.employed,
        agg.c.registered_poor,
        agg.c.zero_employment,
        agg.c.updated_at,
    ).join_from(agg, first, sa.and_(first.c.household_id == agg.c.household_id, first.c.rn == 1))


_TARGET = (
    "household_id",
    *_PLACE_COLUMNS,
    "members",
    "employed",
    "registered_poor",
    "zero_employment",
    "updated_at",
)


def _insert_statement(household_ids: sa.BindParameter[Any] | None) -> sa.Insert:
    # SQLAlchemy only keeps an INSERT's rowcount when asked to.
    return (
        sa.insert(households)
        .from_select(_TARGET, _rebuild_select(household_ids))
        .execution_options(preserve_rowcount=True)
    )


# Built once: statements are immutable and shared by every thread; the ids are bound per call (building
# the rebuild's SELECT cost more than running it for one household, as every API write of a person does).
_IDS = sa.bindparam("household_ids", expanding=True)
_INSERT_ALL = _insert_statement(None)
_INSERT_SOME = _insert_statement(_IDS)
_SNAPSHOT = sa.select(households).where(households.c.household_id.in_(_IDS))
_DELETE_SOME = sa.delete(households).where(households.c.household_id.in_(_IDS))


def _insert(conn: Connection, household_ids: Sequence[str] | None) -> int:
    if household_ids is None:
        return conn.execute(_INSERT_ALL).rowcount
    return conn.execute(_INSERT_SOME, {"household_ids": list(household_ids)}).rowcount


def _snapshot(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[object, ...]]:
    rows = conn.execute(_SNAPSHOT, {"household_ids": list(ids)})
    return {row.household_id: tuple(row) for row in rows}


def _record_household_changes(
    conn: Connection, before: dict[str, tuple[object, ...]], after: dict[str, tuple[object, ...]]
) -> None:
    names = list(households.c.keys())
    position = names.index("county_code")
    dated = names.index("updated_at")

    def content(row: tuple[object, ...] | None) -> tuple[object, ...] | None:
        # A member's later confirmation date alone does not change the household.
        return None if row is None else row[:dated] + row[dated + 1 :]

    upserts = [(hid, row[position]) for hid, row in after.items() if content(before.get(hid)) != content(row)]
    deletes = [(hid, row[position]) for hid, row in before.items() if hid not in after]
    record_changes(conn, "household", [(str(h), None if c is None else str(c)) for h, c in upserts])
    record_changes(conn, "household", [(str(h), None if c is None else str(c)) for h, c in deletes], op="delete")


def recompute_households(conn: Connection, household_ids: Sequence[str] | None = None) -> int:
    """Rebuild household rows from their members, set-based in SQL.

    For each household: ``members`` = laborers with that ``household_id``;
    ``employed`` = members whose ``employment_status`` is one of
    `store.schema.EMPLOYED_STATUSES`; ``registered_poor`` = any member is;
    ``zero_employment`` = ``employed == 0``; the place columns are those of the
    member with the smallest ``laborer_id``; ``updated_at`` = the latest
    member ``updated_at``. Households left without members are deleted.

    When ``household_ids`` are given, every household whose row this call
    created, altered or deleted gets a ``household`` entry in the change
    sequence (`store.changes`), in the same transaction; households rebuilt
    to the very same row (``updated_at`` aside: a member's later confirmation
    date alone) are not recorded, so re-sending an unchanged ledger moves
    nothing. A whole-table rebuild records nothing.

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        Open connection; runs in the caller's transaction.
    household_ids : sequence of str or None
        Households to rebuild; ``None`` rebuilds the whole table.

    Returns
    -------
    int
        Number of household rows written.
    """
    if household_ids is None:
        conn.execute(sa.delete(households))
        return _insert(conn, None)
    ids = list(dict.fromkeys(household_ids))
    written = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        before = _snapshot(conn, chunk)
        conn.execute(_DELETE_SOME, {"household_ids": chunk})
        written += _insert(conn, chunk)
        _record_household_changes(conn, before, _snapshot(conn, chunk))
    return written
