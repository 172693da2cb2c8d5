"""Batch upsert of re-sent ledger records.

The county ledgers are re-sent every month, mostly unchanged. ``upsert``
compares each incoming record with the stored row by ``content_hash`` (which
the caller computes over the contract fields) and ``updated_at``, and writes
only what changed, with plain bulk statements: one chunked ``SELECT`` of the
existing keys, one ``executemany`` INSERT, one ``executemany`` UPDATE. No ORM
objects, no per-row round trips; a million rows fit in one transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from store.changes import ANSWERING_OUTCOMES, ENTITY_OF_TABLE, record_changes
from store.errors import RecordError
from store.schema import LEDGER_TABLES, TABLES

__all__ = ["Stored", "UpsertCounts", "read_stored", "upsert", "utcnow"]

#: Ids per key-lookup SELECT (well below SQLite's 32766 bound parameters).
FETCH_CHUNK = 10_000
#: Rows per executemany call; bounds the memory of bound parameters.
WRITE_CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What one ``upsert`` call did.

    Attributes
    ----------
    inserted : int
        New ids.
    updated : int
        Known ids whose content hash changed.
    unchanged : int
        Known ids with the same content hash (nothing written).
    stale : int
        Known ids whose incoming ``updated_at`` is older than the stored one;
        the stored row is kept.
    outcomes : dict of str to str
        Per id, which of the four happened to it (``inserted``, ``updated``, ``unchanged``, ``stale``).
    households : frozenset of str
        Laborers only: the households an inserted or updated row belongs to now or belonged to before
        (a person who moved leaves a household whose members, and so whose flags, changed too).
    """

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    outcomes: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    households: frozenset[str] = field(default_factory=frozenset, compare=False, repr=False)

    @property
    def total(self) -> int:
        """Number of records handed in."""
        return self.inserted + self.updated + self.unchanged + self.stale

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.stale + other.stale,
            {**self.outcomes, **other.outcomes},
            self.households | other.households,
        )


def utcnow() -> datetime:
    """Current time as a naive UTC datetime (the store's timestamp convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _as_naive_utc(value: Any, *, position: int) -> datetime | None:
    if value is None or value != value:  # None, NaN or NaT
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise RecordError(
                f"记录第 {position} 条 updated_at 不是日期时间 / record {position}: updated_at "
                "is not an ISO date-time; allowed: datetime or 'YYYY-MM-DDTHH:MM:SS'"
            ) from None
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise RecordError(
            f"记录第 {position} 条 updated_at 类型错误 / record {position}: updated_at has type "
            f"{type(value).__name__}; allowed: datetime, date, ISO string or None"
        )
    if hasattr(value, "to_pydatetime"):  # pandas.Timestamp
        value = value.to_pydatetime()
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_batch(table_name: str, records: Sequence[Mapping[str, Any]]) -> tuple[str, list[str]]:
    if table_name not in LEDGER_TABLES:
        raise RecordError(
            f"不能对表 {table_name!r} 做批量更新 / cannot upsert into table {table_name!r}; "
            f"allowed: {', '.join(LEDGER_TABLES)}"
        )
    key = LEDGER_TABLES[table_name]
    table = TABLES[table_name]
    fields = list(dict.fromkeys(itertools.chain.from_iterable(records)))
    unknown = [f for f in fields if f not in table.c]
    if unknown:
        raise RecordError(
            f"表 {table_name} 没有这些字段 / table {table_name} has no field(s) "
            f"{', '.join(map(repr, unknown))}; allowed: the columns of {table_name}"
        )
    for required in (key, "content_hash"):
        if required not in fields:
            raise RecordError(f"记录缺少字段 {required} / records lack the required field {required!r}")
    return key, fields


class Stored(NamedTuple):
    """What :func:`upsert` compares an incoming record with, and where the stored record lies (None for a
    column the table lacks)."""

    content_hash: str | None
    updated_at: datetime | None
    county_code: str | None
    town_code: str | None
    household_id: str | None


_STORED_STATEMENTS: dict[tuple[str, bool], Any] = {}


def read_stored(
    conn: Connection, table_name: str, ids: Sequence[str], *, for_update: bool = False
) -> dict[str, Stored]:
    """The stored state (:class:`Stored`) of each of ``ids`` that is stored (an id not stored is absent).

    ``for_update``: read in a write transaction before its rows are written, to decide whether the writer
    may change them (``matcher.ingest.ingest_table``'s ``check_places``: a key covering one area may only
    change records of that area); on PostgreSQL the rows read stay locked until the transaction ends
    (``FOR UPDATE``), so no other writer moves them meanwhile; SQLite's write transaction already excludes
    every other writer. Hand the result to :func:`upsert` (``stored=``) so it does not read them again.
    """
    stmt = _STORED_STATEMENTS.get((table_name, for_update))
    if stmt is None:
        table = TABLES[table_name]
        id_col = table.c[LEDGER_TABLES[table_name]]
        optional = [table.c[c] if c in table.c else sa.null() for c in ("county_code", "town_code", "household_id")]
        stmt = select(id_col, table.c.content_hash, table.c.updated_at, *optional).where(
            id_col.in_(bindparam("ids", expanding=True))
        )
        if for_update:
            stmt = stmt.with_for_update()
        _STORED_STATEMENTS[(table_name, for_update)] = stmt
    wanted = list(dict.fromkeys(ids))
    out: dict[str, Stored] = {}
    for chunk in _chunks(wanted, FETCH_CHUNK):
        for ident, *values in conn.execute(stmt, {"ids": list(chunk)}):
            out[str(ident)] = Stored(*values)
    return out


def upsert(
    conn: Connection,
    table_name: str,
    records: Sequence[Mapping[str, Any]],
    *,
    stored: Mapping[str, Stored] | None = None,
) -> UpsertCounts:
    """Insert new records and update changed ones, inside the caller's transaction.

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        Open connection; the caller owns the transaction (``engine.begin()``),
        so a failure anywhere rolls the whole batch back.
    table_name : {"laborers", "vacancies", "placements"}
        Target ledger table; its id column is the key.
    records : sequence of mapping, length n
        Column name → value. Each carries the id, ``content_hash`` and,
        optionally, ``updated_at`` (naive UTC; aware datetimes are converted).
        A column present in some records and absent in others is written as
        NULL for the latter; columns absent from every record are untouched.
        ``ingested_at`` is set to now for written rows unless given.
        Every inserted or updated row also gets an ``upsert`` entry in the
        change sequence (`store.changes`), in the same transaction; its
        county is the row's ``county_code`` (the stored one when the batch
        does not carry the column; none for placements).

    stored : mapping of str to Stored, optional
        The stored state of the records' ids as :func:`read_stored` read it in this transaction (an id
        absent is not stored); read here when not given.

    Returns
    -------
    UpsertCounts
        Rules, per record: unknown id → inserted; same ``content_hash`` as
        stored → unchanged (a newer incoming ``updated_at`` is kept as the
        row's date, nothing else is written and no change is recorded, so an
        older record sent later is stale); incoming ``updated_at`` older than
        the stored one → stale (stored row kept); otherwise → updated.

    Raises
    ------
    RecordError
        Unknown table or field, a missing id or hash, or an id repeated in
        the batch. Nothing is written.
    """
    if not records:
        return UpsertCounts()
    key, fields = _check_batch(table_name, records)
    table = TABLES[table_name]
    now = utcnow()
    if "ingested_at" not in fields:
        fields.append("ingested_at")

    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    duplicates: list[str] = []
    for position, rec in enumerate(records):
        row = {f: rec.get(f) for f in fields}
        ident = row[key]
        if ident is None or ident == "":
            raise RecordError(f"记录第 {position} 条缺少 {key} / record {position} has no {key}")
        if row["content_hash"] is None:
            raise RecordError(
                f"记录第 {position} 条缺少 content_hash / record {position} ({key}={ident}) has no content_hash"
            )
        if ident in seen:
            duplicates.append(str(ident))
        seen.add(ident)
        if "updated_at" in row:
            row["updated_at"] = _as_naive_utc(row["updated_at"], position=position)
        if row["ingested_at"] is None:
            row["ingested_at"] = now
        rows.append(row)
    if duplicates:
        shown = ", ".join(duplicates[:5]) + (" …" if len(duplicates) > 5 else "")
        raise RecordError(
            f"同一批次中 {key} 重复 {len(duplicates)} 次 / {len(duplicates)} repeated {key} "
            f"in one batch: {shown}; each id may appear once"
        )

    id_col = table.c[key]
    if stored is None:
        stored = read_stored(conn, table_name, [r[key] for r in rows])

    to_insert: list[dict[str, Any]] = []
    to_update: list[dict[str, Any]] = []
    changed: list[tuple[str, str | None]] = []
    to_touch: list[dict[str, Any]] = []
    unchanged = stale = 0
    outcomes: dict[str, str] = {}
    for row in rows:
        found = stored.get(row[key])
        if found is None:
            to_insert.append(row)
            changed.append((str(row[key]), row.get("county_code")))
            outcomes[str(row[key])] = "inserted"
            continue
        stored_hash, stored_at, stored_county = found.content_hash, found.updated_at, found.county_code
        incoming_at = row.get("updated_at")
        if stored_hash == row["content_hash"]:
            unchanged += 1
            outcomes[str(row[key])] = "unchanged"
            # The same facts, confirmed at a later date: the stored row takes the date, so an older
            # file sent afterwards cannot overwrite what this one confirmed.
            if incoming_at is not None and (stored_at is None or incoming_at > stored_at):
                to_touch.append({"b_key": row[key], "updated_at": incoming_at})
        elif incoming_at is not None and stored_at is not None and incoming_at < stored_at:
            stale += 1
            outcomes[str(row[key])] = "stale"
        else:
            outcomes[str(row[key])] = "updated"
            changed.append((str(row[key]), row["county_code"] if "county_code" in row else stored_county))
            row["b_key"] = row.pop(key)
            to_update.append(row)

    for chunk in _chunks(to_insert, WRITE_CHUNK):
        conn.execute(insert(table), list(chunk))
    if to_update:
        stmt = update(table).where(id_col == bindparam("b_key"))
        for chunk in _chunks(to_update, WRITE_CHUNK):
            conn.execute(stmt, list(chunk))
    if to_touch:  # only the date moves: no change is recorded, the row's content is the same
        touch = update(table).where(id_col == bindparam("b_key")).values(updated_at=bindparam("updated_at"))
        for chunk in _chunks(to_touch, WRITE_CHUNK):
            conn.execute(touch, list(chunk))
    record_changes(conn, ENTITY_OF_TABLE[table_name], changed)
    if table_name == "placements":
        # A person who answered a post (applied, declined …) is changed too: their suggestions leave it out.
        answered = sorted(
            {str(r["laborer_id"]) for r in (*to_insert, *to_update) if r.get("outcome") in ANSWERING_OUTCOMES} - {""}
        )
        record_changes(conn, "laborer", [(pid, None) for pid in answered])
    households: set[str] = set()
    if "household_id" in table.c:
        for r in to_insert:
            households.add(r.get("household_id"))
        for r in to_update:
            before = stored[r["b_key"]].household_id
            households.update((before, r.get("household_id", before)))  # a batch without the column keeps it
        households = {str(h) for h in households if h}
    return UpsertCounts(len(to_insert), len(to_update), unchanged, stale, outcomes, frozenset(households))
