"""What the per-row work on a few records shares: where "few" ends, and what counts as a missing cell.

pandas' vectorised calls cost a fixed tenth of a millisecond or so each; for one person (a fresh
list, an API write) that fixed cost is most of the work. Code that has a whole-column path and a
cell-by-cell path for a few rows takes the same threshold and the same notion of "missing" from here.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["FEW_ROWS", "is_missing"]

#: Up to this many rows, a column is handled cell by cell rather than by a vectorised pandas call.
FEW_ROWS = 64


def is_missing(value: object) -> bool:
    """What pandas counts as missing in a cell (as ``pd.factorize`` and ``pd.isna`` do): None, NaN,
    ``pd.NA``, ``NaT``."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)
