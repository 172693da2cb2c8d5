"""The division table: arrays of all places and row-level primitives.

Places are addressed here by *row* (position in the code-sorted arrays;
``-1`` stands for the whole country). :class:`features.geo.Gazetteer` builds
the code-level public API on top; :mod:`features.geo_resolve` walks rows.

Because a place's descendants share its code prefix, they form one
contiguous slice of the sorted arrays: every "below X" query is two binary
searches and a mask over that slice.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Self

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from features.geo_build import DEFAULT_PATH, FORMAT_VERSION, LEVELS
from features.geo_names import NameIndex
from features.geo_types import PREFIX_DIGITS, Place, Resolution, parse_code

__all__ = ["DivisionTable"]

_PREFIX = tuple(PREFIX_DIGITS[level] for level in LEVELS)
_CITY = LEVELS.index("city")
_VILLAGE = LEVELS.index("village")


class DivisionTable:
    """Code-sorted arrays of all divisions, one row per place.

    Parameters
    ----------
    codes : numpy.ndarray
        int64, shape (n,), strictly increasing 12-digit codes.
    parents : numpy.ndarray
        int64, shape (n,), parent codes (0 or any absent code for provinces).
    names : numpy.ndarray
        object, shape (n,), official names.
    levels : numpy.ndarray
        int8, shape (n,), 0 province … 4 village.
    lat, lon : numpy.ndarray
        float64, shape (n,), GCJ-02 degrees, NaN when unknown.
    ur_code : numpy.ndarray
        int16, shape (n,), urban/rural code, 0 when unknown.
    """

    def __init__(
        self,
        codes: np.ndarray,
        parents: np.ndarray,
        names: np.ndarray,
        levels: np.ndarray,
        lat: np.ndarray,
        lon: np.ndarray,
        ur_code: np.ndarray,
    ) -> None:
        if codes.size == 0 or not bool(np.all(np.diff(codes) > 0)):
            raise ValueError("地名库为空或代码未严格递增 / gazetteer is empty or its codes are not strictly increasing")
        self.codes = codes
        self.names = names
        self.levels = levels
        self.lat = lat
        self.lon = lon
        self.ur = ur_code
        parent_row = np.searchsorted(codes, parents).clip(0, codes.size - 1)
        self.parent_row = np.where(codes[parent_row] == parents, parent_row, -1).astype(np.int64)
        self._indices: dict[tuple[int, int], NameIndex] = {}

    @classmethod
    def load(cls, path: Path | None = None) -> Self:
        """Read a gazetteer parquet file (default: the one shipped in the package).

        Parameters
        ----------
        path : Path, optional
            A file written by :func:`features.geo_build.build`.

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        ValueError
            If it is not a gazetteer of the expected format version.
        """
        path = Path(path) if path is not None else DEFAULT_PATH
        if not path.is_file():
            raise FileNotFoundError(f"地名库文件不存在: {path} / gazetteer file not found: {path}")
        table = pq.read_table(path)
        version = (table.schema.metadata or {}).get(b"format_version", b"").decode()
        if version != FORMAT_VERSION:
            raise ValueError(
                f"地名库格式版本不符: {path} 为 {version!r}, 需要 {FORMAT_VERSION!r} / "
                f"gazetteer format mismatch: {path} has version {version!r}, "
                f"expected {FORMAT_VERSION!r}; rebuild it with python -m features.geo_build"
            )
        column = table.column
        loaded = cls(
            codes=column("code").to_numpy().copy(),
            parents=column("parent").to_numpy(),
            names=column("name").to_numpy(zero_copy_only=False),
            levels=column("level").to_numpy().copy(),
            lat=column("lat_e6").to_numpy(zero_copy_only=False) / 1e6,
            lon=column("lon_e6").to_numpy(zero_copy_only=False) / 1e6,
            ur_code=column("ur_code").fill_null(0).to_numpy().copy(),
        )
        # Decompression scratch stays cached in arrow's allocator (~100 MB)
        # unless handed back; nothing else of the table is referenced now.
        del table, column
        pa.default_memory_pool().release_unused()
        return loaded

    def __len__(self) -> int:
        return int(self.codes.size)

    def row(self, code: object) -> int:
        """Row of an existing code (12-digit or padded prefix), else -1."""
        parsed = parse_code(code)
        if parsed is None:
            return -1
        row = int(np.searchsorted(self.codes, parsed))
        return row if row < self.codes.size and self.codes[row] == parsed else -1

    def require(self, code: object) -> int:
        """Row of an existing code; raises ``KeyError`` naming the code otherwise."""
        row = self.row(code)
        if row < 0:
            raise KeyError(
                f"未知的行政区划代码: code={code!r}; 需要 2/4/6/9/12 位数字的现有代码 / "
                f"unknown administrative division code: code={code!r}; "
                "allowed: an existing 2/4/6/9/12-digit code"
            )
        return row

    def code(self, row: int) -> str:
        """12-digit code string of a row."""
        return f"{int(self.codes[row]):012d}"

    def level(self, row: int) -> int:
        """Level number of a row; -1 for the country."""
        return int(self.levels[row]) if row >= 0 else -1

    def place(self, row: int) -> Place:
        """The :class:`Place` of a row, with its own coordinates only."""
        parent = int(self.parent_row[row])
        lat = float(self.lat[row])
        known = not math.isnan(lat)
        return Place(
            code=self.code(row),
            name=str(self.names[row]),
            level=LEVELS[int(self.levels[row])],
            parent=self.code(parent) if parent >= 0 else "",
            lat=lat if known else None,
            lon=float(self.lon[row]) if known else None,
        )

    def span(self, row: int) -> tuple[int, int]:
        """``[lo, hi)`` rows of the place and all its descendants (all rows for -1)."""
        if row < 0:
            return 0, int(self.codes.size)
        unit = 10 ** (12 - _PREFIX[int(self.levels[row])])
        base = int(self.codes[row]) // unit * unit
        lo, hi = np.searchsorted(self.codes, [base, base + unit])
        return int(lo), int(hi)

    def coord_row(self, row: int) -> int:
        """The row itself or its nearest ancestor with coordinates; -1 if none."""
        while row >= 0 and math.isnan(self.lat[row]):
            row = int(self.parent_row[row])
        return row

    def match(self, anchor: int, level: int, name: str) -> list[int]:
        """Rows of ``level`` below ``anchor`` whose name matches (see ``NameIndex``).

        Villages are only searched below a city or deeper: a village name
        alone (or with just a province) is ambiguous far too often to be
        useful, and indexing 666,000 villages nationally would cost seconds
        and hundreds of MB.
        """
        if self.level(anchor) >= level or (level == _VILLAGE and self.level(anchor) < _CITY):
            return []
        key = (anchor, level)
        index = self._indices.get(key)
        if index is None:
            # Built on first use and kept: a ledger hits the same towns again and again.
            lo, hi = self.span(anchor)
            rows = lo + np.flatnonzero(self.levels[lo:hi] == level)
            index = self._indices[key] = NameIndex(rows.tolist(), self.names[rows].tolist(), level)
        return index.match(name)

    def resolution(self, row: int, unresolved: tuple[tuple[str, str], ...]) -> Resolution:
        """The :class:`Resolution` for a deepest resolved row (-1: nothing resolved)."""
        chain: list[str | None] = [None] * len(LEVELS)
        current = row
        while current >= 0:
            chain[int(self.levels[current])] = self.code(current)
            current = int(self.parent_row[current])
        province, city, county, town, village = chain
        if county is not None:
            adcode = county[:6]
        elif city is not None and (town is not None or village is not None):
            adcode = city[:6]  # towns directly below a city (东莞市, 中山市)
        else:
            adcode = None
        coord_row = self.coord_row(row)
        has_coords = coord_row >= 0
        return Resolution(
            code=self.code(row) if row >= 0 else None,
            adcode=adcode,
            level=LEVELS[int(self.levels[row])] if row >= 0 else None,
            province_code=province,
            city_code=city,
            county_code=county,
            town_code=town,
            village_code=village,
            lat=float(self.lat[coord_row]) if has_coords else None,
            lon=float(self.lon[coord_row]) if has_coords else None,
            coord_level=LEVELS[int(self.levels[coord_row])] if has_coords else None,
            unresolved=unresolved,
        )
