"""Single records of the laborer and vacancy ledgers, as the HTTP API reads and deletes them.

Every call takes a :class:`Scope`: the county (and optionally the town) the
caller's key is limited to. A record outside the scope behaves exactly like
a record that does not exist, so ids never leak across counties. Filters are
bound parameters only; ``LIKE`` patterns escape ``%`` and ``_``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.changes import ENTITY_OF_TABLE, record_changes
from store.engine import begin_write
from store.errors import InputError, RecordError
from store.households import recompute_households
from store.schema import laborers, vacancies

__all__ = [
    "Scope",
    "get_record",
    "list_records",
    "delete_record",
    "resolve_id",
    "visible",
    "KINDS",
    "MAX_PAGE",
    "MAX_PAGE_SIZE",
    "MAX_IDS",
]

#: Ledgers this module serves: table and the column ``status`` filters on.
KINDS: dict[str, tuple[sa.Table, str]] = {
    "laborers": (laborers, "employment_status"),
    "vacancies": (vacancies, "status"),
}
#: Largest page :func:`list_records` returns.
MAX_PAGE_SIZE = 200
#: Highest page number :func:`list_records` reads (its offset must fit the database's integers).
MAX_PAGE = 1_000_000
#: Most ids one ``ids`` filter may name (SQLite binds at most 32,766 parameters).
MAX_IDS = 10_000

_COUNTY_RE = re.compile(r"\d{6}")
_TOWN_RE = re.compile(r"\d{9}|\d{12}")
_FULL_ID_RE = re.compile(r"\d{17}[\dX]|\d{15}")
_ID_TAIL_RE = re.compile(r"\d{3,5}[\dX]")


@dataclass(frozen=True, slots=True)
class Scope:
    """The part of the ledgers a caller may see.

    Attributes
    ----------
    county_code : str or None
        6-digit county; ``None`` means every county (admin keys only — the
        caller decides who gets such a scope).
    town_code : str or None
        9- or 12-digit town within the county; ``None`` means the whole county.
    """

    county_code: str | None
    town_code: str | None = None

    def __post_init__(self) -> None:
        county, town = self.county_code, self.town_code
        if county is not None and not (isinstance(county, str) and _COUNTY_RE.fullmatch(county)):
            raise RecordError(
                f"范围 county_code 的值 {county!r} 无效，允许：6 位数字县级代码或空（全部县）/ "
                f"scope county_code {county!r} is not allowed; allowed: a 6-digit county code or None"
            )
        if town is None:
            return
        if county is None or not (isinstance(town, str) and _TOWN_RE.fullmatch(town) and town.startswith(county)):
            raise RecordError(
                f"范围 town_code 的值 {town!r} 无效，允许：所属县 {county} 下的 9 位或 12 位乡镇代码 / "
                f"scope town_code {town!r} is not allowed; allowed: a 9- or 12-digit town code "
                f"starting with the scope's county_code ({county})"
            )

    def admits(self, county_code: str | None, town_code: str | None) -> bool:
        """Whether a record of ``county_code`` / ``town_code`` lies within this scope (as :meth:`clause`)."""
        if self.county_code is not None and county_code != self.county_code:
            return False
        return self.town_code is None or town_code == self.town_code

    def clause(self, table: sa.Table) -> list[sa.ColumnElement[bool]]:
        """Conditions that keep ``table``'s rows to this scope (none for every county)."""
        conds: list[sa.ColumnElement[bool]] = []
        if self.county_code is not None:
            conds.append(table.c.county_code == self.county_code)
        if self.town_code is not None:
            conds.append(table.c.town_code == self.town_code)
        return conds


def _table(kind: str) -> tuple[sa.Table, sa.Column[Any], str]:
    if kind not in KINDS:
        raise RecordError(
            f"kind 的值 {kind!r} 无效，可选：{'、'.join(KINDS)} / kind {kind!r} is not allowed; "
            f"allowed: {', '.join(KINDS)}"
        )
    table, status = KINDS[kind]
    return table, table.primary_key.columns.values()[0], status


def get_record(engine: Engine, kind: str, record_id: str, scope: Scope) -> dict[str, Any] | None:
    """One record as a dict of its columns, or ``None`` when it is unknown or outside the scope.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    kind : {"laborers", "vacancies"}
    record_id : str
        ``laborer_id`` or ``vacancy_id``.
    scope : Scope
        The caller's county and town.

    Returns
    -------
    dict or None
        Every column, personal fields unmasked (the caller masks by role).
    """
    table, id_col, _ = _table(kind)
    stmt = sa.select(table).where(id_col == record_id, *scope.clause(table))
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return None if row is None else dict(row._mapping)


def resolve_id(engine: Engine, kind: str, record_id: str, scope: Scope) -> str | None:
    """The stored id ``record_id`` names within ``scope``: itself when stored, else the one stored id
    equal to it ignoring case (``l0001`` for ``L0001``); None when there is none.

    Raises :class:`store.errors.InputError` (``ambiguous_id``) when several ids of the scope differ
    from it only in case. The exact lookup uses the primary key; the case-blind one reads the id
    column of the scope (only for ids that are not stored as given).
    """
    table, id_col, _ = _table(kind)
    with engine.connect() as conn:
        if conn.execute(sa.select(id_col).where(id_col == record_id, *scope.clause(table))).first() is not None:
            return record_id
        folded = sa.select(id_col).where(sa.func.lower(id_col) == record_id.lower(), *scope.clause(table)).limit(5)
        found = [str(v) for v in conn.execute(folded).scalars()]
    if len(found) > 1:
        raise InputError(
            f"the id {record_id!r} matches {len(found)} records that differ only in case ({', '.join(found)}); "
            "give the id exactly as stored",
            f"编号 {record_id} 与 {len(found)} 条记录仅大小写不同（{'、'.join(found)}），请按原样填写编号",
            field=id_col.name,
            value=record_id,
            allowed=", ".join(found),
            code="ambiguous_id",
        )
    return found[0] if found else None


def visible(engine: Engine, kind: str, record_id: str, scope: Scope) -> bool:
    """Whether the record exists within the scope (one indexed lookup, no columns read)."""
    table, id_col, _ = _table(kind)
    stmt = sa.select(id_col).where(id_col == record_id, *scope.clause(table))
    with engine.connect() as conn:
        return conn.execute(stmt).first() is not None


def _text_match(kind: str, table: sa.Table, q: str) -> sa.ColumnElement[bool]:
    fields = ("title", "employer_name", "village") if kind == "vacancies" else ("name", "village")
    conds: list[sa.ColumnElement[bool]] = [table.c[f].icontains(q, autoescape=True) for f in fields]
    conds.append(table.primary_key.columns.values()[0] == q)
    if kind == "laborers":
        id_like = q.upper()
        if _FULL_ID_RE.fullmatch(id_like):
            conds.append(table.c.id_number == id_like)
        elif _ID_TAIL_RE.fullmatch(id_like):
            conds.append(table.c.id_number.endswith(id_like, autoescape=True))
    return sa.or_(*conds)


def _filters(
    kind: str,
    table: sa.Table,
    status_col: str,
    scope: Scope,
    *,
    village: str | None,
    town: str | None,
    status: str | None,
    q: str | None,
    ids: Collection[str] | None,
) -> list[sa.ColumnElement[bool]]:
    conds = scope.clause(table)
    if village:
        conds.append(sa.or_(table.c.village_code == village, table.c.village == village))
    if town:
        conds.append(sa.or_(table.c.town_code == town, table.c.town == town))
    if status:
        conds.append(table.c[status_col] == status)
    if q is not None and q.strip():
        conds.append(_text_match(kind, table, q.strip()))
    if ids is not None:
        wanted = sorted({str(i) for i in ids})
        if len(wanted) > MAX_IDS:
            raise RecordError(
                f"ids 过多：{len(wanted)} 个 / ids names {len(wanted)} records; allowed: at most {MAX_IDS:,}"
            )
        conds.append(table.primary_key.columns.values()[0].in_(wanted))
    return conds


def list_records(
    engine: Engine,
    kind: str,
    scope: Scope,
    *,
    village: str | None = None,
    town: str | None = None,
    status: str | None = None,
    q: str | None = None,
    ids: Collection[str] | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """One page of records in the scope that pass every filter given, ordered by id.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    kind : {"laborers", "vacancies"}
    scope : Scope
    village, town : str or None
        Administrative code or name (``village_code``/``village``, ``town_code``/``town``).
    status : str or None
        ``employment_status`` for laborers, ``status`` for vacancies.
    q : str or None
        Laborers: a substring of the name or village name, the full ID number
        or its last 4–6 characters, or the laborer id. Vacancies: a substring
        of the title, employer name or village name, or the vacancy id. ``%``
        and ``_`` match themselves.
    ids : collection of str or None
        Only these ids (at most `MAX_IDS`); empty → nothing.
    page : int
        1-based page number, at most `MAX_PAGE`.
    page_size : int
        Records per page, 1 to 200.

    Returns
    -------
    (list of dict, int)
        The page's records (every column) and the number of records that
        pass the same filters.
    """
    table, id_col, status_col = _table(kind)
    page = max(1, min(int(page), MAX_PAGE))
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    if ids is not None and not ids:
        return [], 0
    conds = _filters(kind, table, status_col, scope, village=village, town=town, status=status, q=q, ids=ids)
    rows_stmt = sa.select(table).where(*conds).order_by(id_col).offset((page - 1) * page_size).limit(page_size)
    count_stmt = sa.select(sa.func.count()).select_from(table).where(*conds)
    with engine.connect() as conn:
        total = int(conn.execute(count_stmt).scalar_one())
        rows = [dict(row._mapping) for row in conn.execute(rows_stmt)] if total else []
    return rows, total


def delete_record(engine: Engine, kind: str, record_id: str, scope: Scope) -> bool:
    """Delete one record in the scope; ``False`` when it is unknown or outside the scope.

    A ``delete`` change is recorded in the same transaction. Deleting a
    laborer rebuilds their household (`store.households.recompute_households`),
    which records the household's change. Placements keep their history.
    """
    table, id_col, _ = _table(kind)
    household_col = table.c.household_id if kind == "laborers" else sa.null()
    lookup = sa.select(table.c.county_code, household_col).where(id_col == record_id, *scope.clause(table))
    with begin_write(engine) as conn:
        found = conn.execute(lookup).first()
        if found is None:
            return False
        county, household = found
        conn.execute(sa.delete(table).where(id_col == record_id))
        record_changes(conn, ENTITY_OF_TABLE[kind], [(record_id, county)], op="delete")
        if household:
            recompute_households(conn, [household])
    return True
