"""Readers that return pandas DataFrames, one row per record, ordered by id.

Column dtypes are the same on SQLite and PostgreSQL: integers ``Int64``,
booleans ``boolean`` (both nullable), floats ``float64``, dates and
timestamps ``datetime64``, JSON list columns ``object`` holding Python lists
(``None`` where nothing was stored), text as pandas infers it.

A filter argument of ``None`` means "no filter"; an empty sequence selects
nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from pandas.api.types import infer_dtype
from sqlalchemy.engine import Engine

from store.errors import RecordError
from store.schema import TABLES, households, laborers, placements, vacancies

__all__ = [
    "load_laborers",
    "load_vacancies",
    "load_placements",
    "load_households",
    "load_household_flags",
    "load_laborers_bulk",
    "load_vacancies_bulk",
    "load_known_ids",
    "load_vacancy_fields",
]

#: Ids per SELECT when filtering by id (SQLite allows 32766 bound parameters).
_ID_CHUNK = 10_000


def _is_json(column: sa.Column) -> bool:
    return isinstance(column.type, sa.JSON) or isinstance(getattr(column.type, "impl", None), sa.JSON)


#: What pandas infers for a column of text (its ``str`` dtype; Arrow-backed where pyarrow is installed).
_TEXT = pd.Series(["a"]).dtype
_INT = pd.Int64Dtype()
_BOOL = pd.BooleanDtype()


def _array(values: list[Any], column: sa.Column) -> Any:
    """One column's values as the array a ``pd.Series`` of them gets (same dtype, same values), built
    without the Series: a one-person read builds some fifty columns, and a Series costs three times
    what its array does."""
    if _is_json(column):
        out = np.empty(len(values), dtype=object)
        for i, value in enumerate(values):  # element by element: lists of equal length stay lists
            out[i] = value
        return out
    ctype = column.type
    if isinstance(ctype, sa.Boolean):
        return _BOOL.construct_array_type()._from_sequence(values, dtype=_BOOL)
    if isinstance(ctype, sa.Integer):
        return _INT.construct_array_type()._from_sequence(values, dtype=_INT)
    if isinstance(ctype, sa.Float):
        return np.array(values, dtype="float64")
    if isinstance(ctype, sa.Date | sa.DateTime):
        return pd.to_datetime(np.array(values, dtype=object)).array
    if infer_dtype(values, skipna=True) == "string":
        return _TEXT.construct_array_type()._from_sequence(values, dtype=_TEXT)
    return pd.Series(values).array  # all missing (object), or not text after all: as pandas infers


def _frame(table: sa.Table, rows: list[Sequence[Any]], selected: Sequence[sa.Column] | None = None) -> pd.DataFrame:
    """The rows as a frame, built from each column's array (no Series: not copied, not aligned)."""
    chosen = list(table.c) if selected is None else list(selected)
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in chosen]
    return _arrays_frame({c.name: _array(list(vals), c) for c, vals in zip(chosen, columns, strict=True)})


def _arrays_frame(arrays: dict[str, Any]) -> pd.DataFrame:
    """A frame of freshly built columns of equal length, from their arrays as they are (a fresh RangeIndex)."""
    return pd.DataFrame(arrays, copy=False)


def _in(column: sa.Column, values: Iterable[str] | str | None) -> sa.ColumnElement[bool] | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    return column.in_(list(values))


def _load(
    engine: Engine,
    table: sa.Table,
    filters: list[sa.ColumnElement[bool] | None],
    ids: Iterable[str] | None = None,
    id_column: sa.Column | None = None,
    selected: Sequence[sa.Column] | None = None,
) -> pd.DataFrame:
    """Rows of ``table`` (the ``selected`` columns, all when None; the key must come first)."""
    key = table.primary_key.columns.values()[0]
    where = [f for f in filters if f is not None]
    base = (sa.select(table) if selected is None else sa.select(*selected)).where(*where).order_by(key)
    rows: list[Sequence[Any]] = []
    with engine.connect() as conn:
        if ids is None:
            rows = list(conn.execute(base))
        else:
            id_list = list(dict.fromkeys([ids] if isinstance(ids, str) else ids))
            col = key if id_column is None else id_column
            for start in range(0, len(id_list), _ID_CHUNK):
                chunk = id_list[start : start + _ID_CHUNK]
                rows.extend(conn.execute(base.where(col.in_(chunk))))
            if len(id_list) > _ID_CHUNK:
                rows.sort(key=lambda r: r[0])
    return _frame(table, rows, selected)


def load_laborers(
    engine: Engine,
    county_codes: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    wants_job: bool | None = None,
) -> pd.DataFrame:
    """Laborers, optionally only those of some counties and/or with given ids.

    Returns
    -------
    pandas.DataFrame, shape (n_laborers, n_columns)
        Columns of the ``laborers`` table; JSON columns hold lists.
    """
    wants = None if wants_job is None else laborers.c.wants_job.is_(wants_job)
    return _load(engine, laborers, [_in(laborers.c.county_code, county_codes), wants], ids)


def load_vacancies(
    engine: Engine,
    county_codes: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Vacancies, optionally filtered by county, id and status (one or several).

    Returns
    -------
    pandas.DataFrame, shape (n_vacancies, n_columns)
    """
    filters = [_in(vacancies.c.county_code, county_codes), _in(vacancies.c.status, status)]
    return _load(engine, vacancies, filters, ids)


def load_vacancy_fields(engine: Engine, ids: Sequence[str], names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Some columns of a few posts, as SQLAlchemy types them (no DataFrame: a live snapshot re-reads the
    one or two posts a write changed, where building a frame cost more than the read).

    Returns ``{vacancy_id: {name: value}}``; dates are ``datetime.date``, JSON columns lists, booleans
    ``bool``, a missing value ``None``. Ids not stored are absent.
    """
    key = vacancies.c.vacancy_id
    chosen = [vacancies.c[n] for n in names if n != key.name]
    wanted = list(dict.fromkeys(ids))
    out: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for start in range(0, len(wanted), _ID_CHUNK):
            stmt = sa.select(key, *chosen).where(key.in_(wanted[start : start + _ID_CHUNK]))
            for row in conn.execute(stmt):
                out[str(row[0])] = dict(zip([c.name for c in chosen], row[1:], strict=True))
    return out


def load_placements(engine: Engine, laborer_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Placements, optionally only those of the given laborers.

    Returns
    -------
    pandas.DataFrame, shape (n_placements, n_columns)
    """
    return _load(engine, placements, [], laborer_ids, id_column=placements.c.laborer_id)


def load_households(
    engine: Engine, county_codes: Sequence[str] | None = None, ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Derived households (see `store.recompute_households`), optionally by county and/or household id.

    Returns
    -------
    pandas.DataFrame, shape (n_households, n_columns)
    """
    return _load(engine, households, [_in(households.c.county_code, county_codes)], ids)


def load_household_flags(
    engine: Engine,
    county_codes: Sequence[str] | None = None,
    zero_only: bool = False,
    ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each household's id and zero-employment flag (what matching reads of a household), optionally by
    county and/or household id.

    ``zero_only``: only the zero-employment households (a household left out is not one; the nightly
    batch reads a province's households this way, a small share of them).

    Returns
    -------
    pandas.DataFrame, shape (n_households, 2)
        ``household_id`` and ``zero_employment``, as :func:`load_households` gives them.
    """
    selected = [households.c.household_id, households.c.zero_employment]
    zero = households.c.zero_employment.is_(True) if zero_only else None
    return _load(engine, households, [_in(households.c.county_code, county_codes), zero], ids, selected=selected)


def _fetch_raw(engine: Engine, stmt: sa.Select[Any]) -> list[Sequence[Any]]:
    """The rows of ``stmt`` as the database driver returns them: no result-row objects and no per-cell
    type processing (half the time of reading a whole ledger). :func:`_array` gives each column its
    type: the drivers return the same values as SQLAlchemy would, except SQLite's booleans (0/1) and
    dates (ISO text), which it converts alike."""
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = [compiled.params[k] for k in compiled.positiontup or ()] if compiled.positional else compiled.params
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(str(compiled), params)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def _load_bulk(
    engine: Engine, table: sa.Table, filters: list[sa.ColumnElement[bool] | None], skip: Sequence[str] = ()
) -> pd.DataFrame:
    """As :func:`_load` without an id filter, the JSON columns fetched as text and decoded by one
    ``json.loads`` per column (the driver's per-cell decoding dominates reading a whole ledger); the
    columns named in ``skip`` are not read."""
    unknown = sorted(set(skip) - set(table.c.keys()))
    if unknown:
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
    key = table.primary_key.columns.values()[0]
    chosen = [c for c in table.c if c.name not in skip]
    selected = [sa.cast(c, sa.Text).label(c.name) if _is_json(c) else c for c in chosen]
    stmt = sa.select(*selected).where(*[f for f in filters if f is not None]).order_by(key)
    rows = _fetch_raw(engine, stmt)
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in chosen]
    data = {}
    for column, values in zip(chosen, columns, strict=True):
        if _is_json(column):
            values = json.loads("[" + ",".join("null" if v is None else v for v in values) + "]")
        else:
            values = _driver_values(values, column)
        data[column.name] = _array(list(values), column)
    return _arrays_frame(data)


def _driver_values(values: Sequence[Any], column: sa.Column) -> Sequence[Any]:
    """A column as SQLAlchemy would return it from what the driver returned: SQLite keeps booleans as
    0/1 and dates as ISO text (each distinct text parsed once)."""
    ctype = column.type
    if isinstance(ctype, sa.Boolean):
        return [v if v is None or isinstance(v, bool) else bool(v) for v in values]
    if isinstance(ctype, sa.Date | sa.DateTime) and any(isinstance(v, str) for v in values):
        parse = dt.datetime.fromisoformat if isinstance(ctype, sa.DateTime) else dt.date.fromisoformat
        memo: dict[str, Any] = {}
        return [memo[v] if v in memo else memo.setdefault(v, parse(v)) if isinstance(v, str) else v for v in values]
    return values


def load_laborers_bulk(
    engine: Engine,
    county_codes: Sequence[str] | None = None,
    wants_job: bool | None = None,
    skip: Sequence[str] = (),
) -> pd.DataFrame:
    """:func:`load_laborers` (the same frame, less the columns in ``skip``) for reading many rows at once:
    the nightly batch's ledger."""
    wants = None if wants_job is None else laborers.c.wants_job.is_(wants_job)
    return _load_bulk(engine, laborers, [_in(laborers.c.county_code, county_codes), wants], skip)


def load_vacancies_bulk(
    engine: Engine, status: str | Sequence[str] | None = None, skip: Sequence[str] = ()
) -> pd.DataFrame:
    """:func:`load_vacancies` (the same frame, less the columns in ``skip``) for reading many rows at once:
    the nightly batch's posts."""
    return _load_bulk(engine, vacancies, [_in(vacancies.c.status, status)], skip)


def load_known_ids(engine: Engine, table_name: str, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` exist in a table (by its single-column primary key).

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    table_name : str
        A table with a one-column key: laborers, vacancies, placements,
        households or job_fairs.
    ids : iterable of str

    Returns
    -------
    set of str
        The subset of ``ids`` present in the table.
    """
    table = TABLES.get(table_name)
    keys = list(table.primary_key.columns) if table is not None else []
    if table is None or len(keys) != 1:
        allowed = [n for n, t in TABLES.items() if len(t.primary_key.columns) == 1]
        allowed = [n for n in allowed if n != "ingest_runs"]
        raise RecordError(
            f"不能按编号查询表 {table_name!r} / cannot look up ids in table {table_name!r}; "
            f"allowed: {', '.join(allowed)}"
        )
    key = keys[0]
    wanted = list(dict.fromkeys(ids))
    found: set[str] = set()
    stmt = sa.select(key).where(key.in_(sa.bindparam("ids", expanding=True)))
    with engine.connect() as conn:
        for start in range(0, len(wanted), _ID_CHUNK):
            found.update(conn.execute(stmt, {"ids": wanted[start : start + _ID_CHUNK]}).scalars())
    return found
