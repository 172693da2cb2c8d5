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
from features.geo_frame import resolve_columns
from features.rows import object_columns, object_frame

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
    if frame.empty:
        out = frame.copy()
        for col in ("county_code", "town_code", "village_code", "coord_source"):
            out[col] = pd.Series(dtype=object)
        out["geo_unresolved"] = pd.Series(dtype=object)
        return out, Counter()
    gaz = get_gazetteer()
    # Worked on arrays and made into a frame once: a frame's column reads and assignments cost a fixed
    # ~0.1 ms each, most of placing the one record of an API write.
    data = object_columns(frame)
    res = resolve_columns(gaz.resolve, {c: data[c] for c in (*PLACE_COLUMNS, "admin_code") if c in data})
    lat, lon = data["lat"], data["lon"]
    given = pd.notna(lat) & pd.notna(lon)
    placed = {
        "admin_code": res["code"],
        "county_code": res["adcode"],
        "town_code": res["town_code"],
        "village_code": res["village_code"],
        "lat": np.where(given, lat, res["lat"].astype(object)),
        "lon": np.where(given, lon, res["lon"].astype(object)),
        "coord_source": np.where(given, "input", res["coord_level"]).astype(object),
    }
    for col, values in placed.items():
        data[col] = _nones(values)
    unresolved = np.empty(len(frame), dtype=object)
    unresolved[:] = [[list(p) for p in u] if u else [] for u in res["unresolved"]]
    data["geo_unresolved"] = unresolved
    # Fill upper names a file left empty (a row given only an admin code, or only
    # a county) so every page can show the full place.
    for level, code_col in (
        ("province", "province_code"),
        ("city", "city_code"),
        ("county", "county_code"),
        ("town", "town_code"),
        ("village", "village_code"),
    ):
        codes = res[code_col]
        missing = pd.isna(data[level]) & pd.notna(codes)
        if missing.any():
            names = np.array(data[level], dtype=object)
            names[missing] = [_name(gaz, c) for c in codes[missing]]
            data[level] = names
    out = object_frame(data, frame.index)
    for col, dtype in frame.dtypes.items():  # the frame's typed columns (the row number) as they were
        if dtype != np.dtype(object) and col not in placed:
            out[col] = frame[col].array
    counts: Counter[tuple[str, str]] = Counter()
    for u in unresolved:
        for field_name, name in u:
            counts[(field_name, name)] += 1
    return out, counts


def _nones(values: np.ndarray) -> np.ndarray:
    """``values`` as an object array with ``None`` for a missing value (the stored form)."""
    values = np.asarray(values, dtype=object)
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = None
    return values


def _name(gaz: object, code: str) -> str | None:
    place = gaz.get(code)  # type: ignore[attr-defined]
    return None if place is None else place.name
