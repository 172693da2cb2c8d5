"""Build the shipped gazetteer file from the third-party ``adcode`` source table.

The source is Vonng's ``adcode`` data set (CC BY 4.0; see
``features/data/NOTICE.md``): China's five-level administrative divisions as
of 2016-07-31, 713,035 rows. The shipped file keeps only what the matcher
needs, in a compact, fast-loading parquet file sorted by code:

========  ======  =====================================================
column    type    meaning
========  ======  =====================================================
code      int64   12-digit division code
parent    int64   parent's 12-digit code, 0 for provinces
name      string  official name (2016)
level     int8    0 province, 1 city, 2 county, 3 town, 4 village
lon_e6    int32   GCJ-02 longitude in micro-degrees, null when unknown
lat_e6    int32   GCJ-02 latitude in micro-degrees, null when unknown
ur_code   int16   urban/rural code (220 village, 210 town centre,
                  1xx urban), null when not given
========  ======  =====================================================

Run ``python -m features.geo_build SOURCE.csv.gz [DEST.parquet]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["LEVELS", "DEFAULT_PATH", "FORMAT_VERSION", "build"]

#: Administrative levels, top down; the position is the stored ``level`` value.
LEVELS: tuple[str, ...] = ("province", "city", "county", "town", "village")
#: Where the shipped gazetteer lives inside the package.
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "geo" / "gazetteer.parquet"
#: Bumped whenever the column layout changes; checked on load.
FORMAT_VERSION = "1"

_SOURCE_COLUMNS = ["code", "parent", "name", "level", "ur_code", "longitude", "latitude"]


def _micro_degrees(values: pd.Series) -> pa.Array:
    degrees = pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64)
    missing = np.isnan(degrees)
    scaled = np.where(missing, 0.0, np.round(degrees * 1e6)).astype(np.int32)
    return pa.array(scaled, type=pa.int32(), mask=missing)


def build(source: Path, dest: Path = DEFAULT_PATH) -> pa.Table:
    """Convert the ``adcode`` source CSV into the shipped parquet gazetteer.

    Parameters
    ----------
    source : Path
        ``adcode2016.csv.gz`` (the columns listed in ``/work/shared/data/README.md``).
    dest : Path
        Output parquet file; its directory is created when missing.

    Returns
    -------
    pyarrow.Table
        The table written, one row per division below the country, sorted by code.
    """
    frame = pd.read_csv(source, usecols=_SOURCE_COLUMNS, dtype=str, keep_default_na=False)
    frame = frame[frame["level"].isin(LEVELS)]
    frame = frame.assign(code_int=frame["code"].astype(np.int64)).sort_values("code_int")
    level = frame["level"].map({name: i for i, name in enumerate(LEVELS)}).astype(np.int8)
    parent = frame["parent"].astype(np.int64).to_numpy()
    # Provinces hang below the country row (100000000000), which is not shipped.
    parent = np.where(level.to_numpy() == 0, 0, parent)
    ur = pd.to_numeric(frame["ur_code"].replace("", None), errors="raise")
    table = pa.table(
        {
            "code": pa.array(frame["code_int"].to_numpy(), type=pa.int64()),
            "parent": pa.array(parent, type=pa.int64()),
            "name": pa.array(frame["name"].str.strip().tolist(), type=pa.string()),
            "level": pa.array(level.to_numpy(), type=pa.int8()),
            "lon_e6": _micro_degrees(frame["longitude"].replace("", None)),
            "lat_e6": _micro_degrees(frame["latitude"].replace("", None)),
            "ur_code": pa.array(ur.fillna(0).to_numpy(dtype=np.int16), type=pa.int16(), mask=ur.isna().to_numpy()),
        }
    )
    table = table.replace_schema_metadata(
        {
            "format_version": FORMAT_VERSION,
            "source": "adcode 2016-07-31 by Vonng (CC BY 4.0), from NBS/MCA/AMap",
        }
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        table,
        dest,
        compression="zstd",
        compression_level=19,
        use_dictionary=["name", "level", "ur_code"],
        column_encoding={
            "code": "DELTA_BINARY_PACKED",
            "parent": "DELTA_BINARY_PACKED",
            "lon_e6": "DELTA_BINARY_PACKED",
            "lat_e6": "DELTA_BINARY_PACKED",
        },
        row_group_size=1 << 20,
    )
    return table


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: ``python -m features.geo_build SOURCE [DEST]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="adcode2016.csv.gz")
    parser.add_argument("dest", type=Path, nargs="?", default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    table = build(args.source, args.dest)
    size_mb = args.dest.stat().st_size / 1e6
    print(f"wrote {table.num_rows} rows to {args.dest} ({size_mb:.1f} MB)")


if __name__ == "__main__":
    main()
