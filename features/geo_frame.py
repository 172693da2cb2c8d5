"""Batch address resolution over a DataFrame, memoised on distinct addresses.

A county's ledger repeats the same few thousand villages over and over, so
the frame is reduced to its distinct address tuples first (with
``pandas.factorize``, which is vectorised), each tuple is resolved once,
and the answers are scattered back to the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from features.geo import Resolution

__all__ = ["NAME_COLUMNS", "CODE_COLUMN", "RESULT_COLUMNS", "resolve_frame", "resolve_columns"]

#: Input columns holding names, top level first.
NAME_COLUMNS = ("province", "city", "county", "town", "village")
#: Optional input column holding an admin code.
CODE_COLUMN = "admin_code"
#: Output columns, in the order of the fields of ``Resolution``.
RESULT_COLUMNS = (
    "code",
    "adcode",
    "level",
    "province_code",
    "city_code",
    "county_code",
    "town_code",
    "village_code",
    "lat",
    "lon",
    "coord_level",
    "unresolved",
)
_FLOAT_COLUMNS = frozenset({"lat", "lon"})


def _group_rows(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Group rows with equal value tuples.

    Returns
    -------
    group : numpy.ndarray
        int64, shape (n_rows,), group id of each row, ``0 .. n_groups - 1``.
    first : numpy.ndarray
        int64, shape (n_groups,), the first row of each group.
    values : list of numpy.ndarray
        Per column, object array of shape (n_groups,): the group's value
        (``None`` for missing).
    """
    group = np.zeros(len(columns[0]), dtype=np.int64)
    per_column = []
    for column in columns:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        per_column.append((codes, uniques))
        # Pairwise combination keeps the key below n_rows * (n_uniques + 1).
        combined = group * (len(uniques) + 1) + (codes.astype(np.int64) + 1)
        group, _ = pd.factorize(combined)
    _, first = np.unique(group, return_index=True)
    values = []
    for codes, uniques in per_column:
        lookup = np.empty(len(uniques) + 1, dtype=object)
        lookup[:-1] = np.asarray(uniques, dtype=object)
        lookup[-1] = None  # code -1 (missing) indexes the last slot
        values.append(lookup[codes[first]])
    return group, first, values


def resolve_frame(resolve: Callable[..., Resolution], frame: pd.DataFrame) -> pd.DataFrame:
    """Resolve every row of ``frame`` with ``resolve`` (``Gazetteer.resolve``).

    Parameters
    ----------
    resolve : callable
        ``resolve(province, city, county, town, village, code=...)``.
    frame : pandas.DataFrame
        Any of the columns ``province``, ``city``, ``county``, ``town``,
        ``village`` (names) and ``admin_code``; absent columns count as not
        given, other columns are ignored.

    Returns
    -------
    pandas.DataFrame
        One row per input row, same index, columns :data:`RESULT_COLUMNS`:
        codes, ``level`` and ``coord_level`` as object columns holding ``str``
        or ``None``; ``lat``/``lon`` float64 with NaN; ``unresolved`` holding
        tuples of ``(field, name)``.

    Raises
    ------
    ValueError
        If the frame has none of the address columns.
    """
    present = [name for name in (*NAME_COLUMNS, CODE_COLUMN) if name in frame.columns]
    if not present:
        allowed = ", ".join((*NAME_COLUMNS, CODE_COLUMN))
        raise ValueError(
            f"地址表缺少地址列: 收到 {list(frame.columns)!r}; 需要至少一个: {allowed} / "
            f"address frame has no address column: got {list(frame.columns)!r}; "
            f"need at least one of: {allowed}"
        )
    if len(frame) == 0:
        return _empty(frame.index)
    arrays = resolve_columns(resolve, {name: frame[name].to_numpy(dtype=object) for name in present})
    return pd.DataFrame(
        {
            field: pd.Series(values, index=frame.index, dtype=np.float64 if field in _FLOAT_COLUMNS else object)
            for field, values in arrays.items()
        },
        index=frame.index,
    )


def resolve_columns(resolve: Callable[..., Resolution], columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`resolve_frame` on columns given as arrays of equal length (at least one row), answered
    as arrays: ``lat``/``lon`` float64 with NaN, the others object arrays (``str``, ``None``, and
    tuples of ``(field, name)`` in ``unresolved``). No frame is built: a one-record write resolves its
    place in microseconds instead of paying pandas' fixed cost per column."""
    present = [name for name in (*NAME_COLUMNS, CODE_COLUMN) if name in columns]
    group, first, unique_values = _group_rows([columns[name] for name in present])
    values = dict(zip(present, unique_values, strict=True))
    results = [
        resolve(
            *(values[name][i] if name in values else None for name in NAME_COLUMNS),
            code=values[CODE_COLUMN][i] if CODE_COLUMN in values else None,
        )
        for i in range(first.size)
    ]
    out: dict[str, np.ndarray] = {}
    for field in RESULT_COLUMNS:
        if field in _FLOAT_COLUMNS:
            per_group = np.array(
                [np.nan if getattr(r, field) is None else getattr(r, field) for r in results],
                dtype=np.float64,
            )
        else:
            per_group = np.empty(len(results), dtype=object)
            per_group[:] = [getattr(r, field) for r in results]
        out[field] = per_group[group]
    return out


def _empty(index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        {
            name: pd.Series([], index=index, dtype=np.float64 if name in _FLOAT_COLUMNS else object)
            for name in RESULT_COLUMNS
        },
        index=index,
    )
