"""Attach administrative codes and coordinates to validated ledger rows.

Names are resolved against the shipped gazetteer (see :mod:`features.geo`).
A name that cannot be resolved is kept as written; the row falls back to
its nearest resolved parent for codes and coordinates, and the unresolved
names are listed so the ingest summary can flag them.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from features.geo import get_gazetteer

__all__ = ["attach_places", "PLACE_COLUMNS"]

PLACE_COLUMNS = ("province", "city", "county", "town", "village")


def attach_places(frame: pd.DataFrame) -> tuple[pd.DataFrame, Counter[tuple[str, str]]]:
    """Resolve the place columns of every row.

    Parameters
    ----------
    frame : pandas.DataFrame, shape (n, ...)
        Validated rows with ``province`` … ``village``, ``admin_code``,
        ``lat``, ``lon``.

    Returns
    -------
    frame : pandas.DataFrame, shape (n, ...)
        Adds ``county_code`` (6 digits), ``town_code``, ``village_code``
        (12 digits), ``admin_code`` (the deepest resolved 12-digit code),
        ``coord_source`` (``input`` or the level whose centre was used) and
        ``geo_unresolved`` (list of ``[field, name]``); fills ``lat``/``lon``
        where the file left them empty and missing upper place names.
    unresolved : collections.Counter
        ``(field, name)`` → number of rows, for the ingest summary.
    """
    out = frame.copy()
    if out.empty:
        for col in ("county_code", "town_code", "village_code", "coord_source"):
            out[col] = pd.Series(dtype=object)
        out["geo_unresolved"] = pd.Series(dtype=object)
        return out, Counter()
    gaz = get_gazetteer()
    query = out[list(PLACE_COLUMNS)].copy()
    query["admin_code"] = out["admin_code"]
    res = gaz.resolve_many(query)
    given = out["lat"].notna().to_numpy() & out["lon"].notna().to_numpy()
    out["admin_code"] = res["code"].to_numpy()
    out["county_code"] = res["adcode"].to_numpy()
    out["town_code"] = res["town_code"].to_numpy()
    out["village_code"] = res["village_code"].to_numpy()
    out["lat"] = np.where(given, out["lat"].to_numpy(dtype=object), res["lat"].to_numpy(dtype=object))
    out["lon"] = np.where(given, out["lon"].to_numpy(dtype=object), res["lon"].to_numpy(dtype=object))
    out["coord_source"] = np.where(given, "input", res["coord_level"].to_numpy(dtype=object))
    for col in ("lat", "lon", "coord_source", "admin_code", "county_code", "town_code", "village_code"):
        out[col] = _objects(out[col])
    unresolved = [[list(p) for p in u] if u else [] for u in res["unresolved"]]
    out["geo_unresolved"] = pd.Series(unresolved, index=out.index, dtype=object)
    # Fill upper names a file left empty (a row given only an admin code, or only
    # a county) so every page can show the full place.
    for level, code_col in (
        ("province", "province_code"),
        ("city", "city_code"),
        ("county", "county_code"),
        ("town", "town_code"),
        ("village", "village_code"),
    ):
        if code_col not in res.columns:
            continue
        missing = pd.isna(out[level].to_numpy()) & pd.notna(res[code_col].to_numpy())
        if missing.any():
            names = [_name(gaz, c) for c in res.loc[missing, code_col]]
            out.loc[missing, level] = names
    counts: Counter[tuple[str, str]] = Counter()
    for u in unresolved:
        for field_name, name in u:
            counts[(field_name, name)] += 1
    return out, counts


def _objects(column: pd.Series) -> pd.Series:
    """``column`` as Python objects with ``None`` for a missing value (the stored form), on the frame's
    index: the same as ``astype(object).where(notna, None)`` at a third of its fixed cost."""
    values = column.to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = None
    return pd.Series(values, index=column.index, dtype=object)


def _name(gaz: object, code: str) -> str | None:
    place = gaz.get(code)  # type: ignore[attr-defined]
    return None if place is None else place.name
