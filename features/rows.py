"""What the per-row work on a few records shares: where "few" ends, and what counts as a missing cell.

pandas' vectorised calls cost a fixed tenth of a millisecond or so each; for one person (a fresh
list, an API write) that fixed cost is most of the work. Code that has a whole-column path and a
cell-by-cell path for a few rows takes the same threshold and the same notion of "missing" from here.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["FEW_ROWS", "is_missing", "object_columns", "object_frame"]

#: Up to this many rows, a column is handled cell by cell rather than by a vectorised pandas call.
FEW_ROWS = 64


def is_missing(value: object) -> bool:
    """What pandas counts as missing in a cell (as ``pd.factorize`` and ``pd.isna`` do): None, NaN,
    ``pd.NA``, ``NaT``."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def object_columns(frame: pd.DataFrame) -> dict[Hashable, np.ndarray]:
    """Every column of ``frame`` as an object array (missing cells as the frame holds them), read out of it
    in one step when the column names are unique: a column read through pandas costs a fixed ~25 µs, and a
    one-record write reads forty of them several times over."""
    if frame.columns.is_unique:
        block = frame.to_numpy(dtype=object)
        return {c: block[:, i] for i, c in enumerate(frame.columns)}
    return {c: frame[c].to_numpy(dtype=object) for c in frame.columns}


def object_frame(columns: Mapping[str, Sequence[object]], index: pd.Index | None = None) -> pd.DataFrame:
    """A frame of object columns (the values as they are, never inferred to pandas' text type), built from
    one two-dimensional block: a frame built column by column costs a one-record write more than all of
    its checks (a frame from a dict of forty-odd columns about 0.4 ms, from one block under 0.2)."""
    length = len(index) if index is not None else len(next(iter(columns.values()), ()))
    block = np.empty((length, len(columns)), dtype=object)
    for i, values in enumerate(columns.values()):
        block[:, i] = values
    return pd.DataFrame(block, columns=list(columns), index=index, dtype=object, copy=False)
