"""Validate a raw ledger frame against the contract, losing nothing.

``validate_frame`` never raises on bad data. Every row ends up either in the
valid frame (typed, canonical column names) or in the rejects, with every
problem of that row named: row number, column, the value received (masked
for personal data) and the reason in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from features.contract.columns import ID_COLUMN, Column, schema
from features.contract.idcard import id_number_parts, mask_id_number, mask_name, mask_phone
from features.contract.parse import EMPLOYED_SOMEWHERE_CODE, parser_for
from features.contract.vocab import GRADE_OF_TYPE_ONLY, LOCAL_WORK_PLACES, NO_LABOUR_CAPACITY, squash
from features.rows import object_columns, object_frame
from features.text import normalize_text

__all__ = [
    "Reject",
    "Validated",
    "map_headers",
    "header_conflicts",
    "strip_control",
    "validate_frame",
    "content_hash",
    "drop_duplicate_ids",
]


@dataclass(frozen=True)
class Reject:
    """One problem in one row."""

    row: int
    column: str
    value: str
    reason_en: str
    reason_zh: str


@dataclass
class Validated:
    """The outcome of validating one file."""

    frame: pd.DataFrame
    rejects: list[Reject]
    rejected_positions: np.ndarray
    header_map: dict[str, str]
    ignored_columns: list[str] = field(default_factory=list)
    #: Cells whose control characters were removed (see :func:`strip_control`).
    control_cells: int = 0


@lru_cache(maxsize=8192)
def _header_key(text: str) -> str:
    norm = normalize_text(text) or ""
    return squash(norm).replace("（", "(").replace("）", ")")


@cache
def _header_index(kind: str) -> dict[str, str]:
    """``{header key: column}`` of every English name and alias of ``kind``'s columns (built once)."""
    index: dict[str, str] = {}
    for col in schema(kind):
        for word in (col.name, *col.aliases):
            index.setdefault(_header_key(word), col.name)
    return index


def map_headers(kind: str, headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Map raw headers to contract columns; returns ``(raw → column, ignored raw headers)``.

    A header matches a column by its English name or any alias, compared on
    normalised text (Traditional, full-width and blanks tolerated). The first
    header that maps to a column wins; later duplicates are ignored.
    """
    index = _header_index(kind)
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    taken: set[str] = set()
    for raw in headers:
        key = _header_key(str(raw))
        target = index.get(key)
        if target is None:
            # "技能（可多填）" style headers: try without a parenthesised remark.
            stripped = key.split("(")[0]
            target = index.get(stripped) if stripped else None
        if target is None or target in taken:
            ignored.append(str(raw))
            continue
        mapping[str(raw)] = target
        taken.add(target)
    return mapping, ignored


#: Longest value a reject quotes; a longer one is cut and its length said (the cell itself stays whole in the
#: rejects file's own column), so a huge cell never multiplies into the messages.
VALUE_CHARS = 60


_PANDAS_DUPLICATE = re.compile(r"^(.*)\.(\d+)$")


def header_conflicts(kind: str, headers: list[str]) -> list[tuple[str, list[str]]]:
    """Columns of ``kind`` that more than one header names: ``[(column, [headers…])]``.

    A repeated header (which the readers number, ``姓名`` / ``姓名.1``), or a Chinese and an English
    header for the same column (``姓名`` and ``name``): which one holds the truth is not for the
    system to guess, so the file is refused naming both.
    """
    present = {str(h) for h in headers}
    by_column: dict[str, list[str]] = {}
    for raw in headers:
        text = str(raw)
        m = _PANDAS_DUPLICATE.match(text)
        base = m.group(1) if m and m.group(1) in present else text
        target = map_headers(kind, [base])[0].get(base)
        if target is not None:
            by_column.setdefault(target, []).append(text)
    return [(col, names) for col, names in by_column.items() if len(names) > 1]


#: Control characters (C0 but tab, line feed and carriage return; DEL; C1): PostgreSQL refuses NUL in
#: text, SQLite keeps it, a terminal obeys escape sequences. They are removed from every cell and header.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _any_control(values: list[object]) -> bool:
    """Whether any text cell or list item among ``values`` holds a control character."""
    parts = [v for v in values if isinstance(v, str)]
    parts += [i for v in values if isinstance(v, list) for i in v if isinstance(i, str)]
    return CONTROL.search("\n".join(parts)) is not None  # \n is not a control character here


def clean_headers(headers: Iterable[object]) -> list[str]:
    """Headers as text without control characters (what :func:`strip_control` makes of them)."""
    return [CONTROL.sub("", str(c)) for c in headers]


def strip_control(raw: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``raw`` without control characters in any text cell (or list item) or header; and how many cells had some."""
    cleaned = 0
    out = raw
    # One search over every cell first: a file (or a record) without any control character, nearly all
    # of them, is then not looked at column by column.
    columns = [] if len(raw) and not _any_control(raw.to_numpy(dtype=object).ravel().tolist()) else raw.columns
    for col in columns:
        series = raw[col]
        if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
            continue
        if not _any_control(series.tolist()):
            continue  # one search over the column's text instead of one per cell
        if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
            hit = series.str.contains(CONTROL, na=False).to_numpy(dtype=bool)
        else:
            hit = np.array(
                [
                    (isinstance(v, str) and CONTROL.search(v) is not None)
                    or (isinstance(v, list) and any(isinstance(i, str) and CONTROL.search(i) for i in v))
                    for v in series
                ],
                dtype=bool,
            )
        if not hit.any():
            continue
        if out is raw:
            out = raw.copy()
        cleaned += int(hit.sum())

        def clean(v: object) -> object:
            if isinstance(v, str):
                return CONTROL.sub("", v)
            if isinstance(v, list):
                return [CONTROL.sub("", i) if isinstance(i, str) else i for i in v]
            return v

        out[col] = series.astype(object).map(clean)
    names = clean_headers(out.columns)
    if names != [str(c) for c in out.columns]:
        out = out.copy() if out is raw else out
        out.columns = names
    return out, cleaned


def _mask(col: str, value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    if col == "id_number":
        text = mask_id_number(text) or ""
    elif col == "phone":
        text = mask_phone(text) or ""
    elif col == "name":
        text = mask_name(text) or ""
    if len(text) > VALUE_CHARS:
        return f"{text[:VALUE_CHARS]}…({len(text)} characters / 共{len(text)}字)"
    return text


def python_cells(frame: pd.DataFrame, names: list[str], *, native: bool = False) -> list[list[object]]:
    """The columns ``names`` of ``frame`` as lists of Python objects, None where a value is missing.

    What ``frame[names].astype(object).where(frame[names].notna(), None)`` holds, column by column:
    the DataFrame-wide form costs ~10 ms of fixed overhead, most of a one-record write. ``native``:
    numpy scalars held in object columns become Python ones too (as ``to_dict`` gives them, what a
    database driver binds).
    """
    if not names:
        return []
    columns = object_columns(frame)
    dtypes = dict(zip(frame.columns, frame.dtypes, strict=True))
    out = []
    for name in names:
        cells = _cells(columns[name])
        if native and dtypes[name] == np.dtype(object):
            cells = [c.item() if isinstance(c, np.generic) else c for c in cells]
        out.append(cells)
    return out


def _hashed_columns(kind: str, present: list[str]) -> tuple[list[str], list[str]]:
    """The columns a row's digest covers, of those ``present``: always, and only when set (see below)."""
    contract = schema(kind)
    cols = [c.name for c in contract if c.hashed and not c.hash_if_set and c.name in present]
    cols += [c for c in ("birth_date", "gender", "age") if c in present and c not in cols]
    # Columns added to the contract later enter the digest only when set, so a ledger stored
    # before they existed keeps its digests (and re-sending it stays "unchanged").
    late = [c.name for c in contract if c.hashed and c.hash_if_set and c.name in present]
    return cols, late


def _digests(cols: list[str], late: list[str], columns: list[list[object]], n: int) -> list[str]:
    """One digest per row of ``columns`` (the cells of ``cols + late``, None where missing)."""

    def default(o: object) -> str:
        return o.isoformat() if isinstance(o, (dt.date, dt.datetime)) else str(o)

    digests = []
    for r in zip(*columns, strict=True) if columns else ((),) * n:
        base: list[object] = list(r[: len(cols)])
        extra = [[name, v] for name, v in zip(late, r[len(cols) :], strict=True) if v is not None]
        payload = json.dumps(base + extra if extra else base, default=default, ensure_ascii=False)
        digests.append(hashlib.md5(payload.encode()).hexdigest())
    return digests


def content_hash(frame: pd.DataFrame, kind: str) -> pd.Series:
    """A stable digest of the contract fields of each row (``updated_at`` excluded).

    Re-sending an unchanged ledger gives the same digests, so the store can
    tell "unchanged" from "updated" without comparing every column.
    """
    cols, late = _hashed_columns(kind, list(frame.columns))
    digests = _digests(cols, late, python_cells(frame, cols + late), len(frame))
    return pd.Series(digests, index=frame.index, dtype=object)


def _cells(values: np.ndarray) -> list[object]:
    """An object array's cells as a list, None where missing (what :func:`python_cells` gives per column)."""
    cells = values.tolist()
    for pos in np.flatnonzero(pd.isna(values)):
        cells[pos] = None
    return cells


Columns = dict[str, np.ndarray]  # canonical name → object array, one cell per raw row


def _filled(n: int, value: object) -> np.ndarray:
    """An object array of ``n`` cells holding ``value`` (``list``: a new empty list in each)."""
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = [] if value is list else value
    return out


def _objects(values: list[object]) -> np.ndarray:
    """``values`` as a 1-d object array (``np.array`` would make a 2-d one of equal-length tuples or lists)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _fill_missing(values: np.ndarray, default: object) -> np.ndarray:
    """``values`` with ``default`` (a scalar or an array of the same length) where a value is missing."""
    missing = pd.isna(values)
    if not missing.any():
        return values
    out = values.copy()
    out[missing] = default[missing] if isinstance(default, np.ndarray) else default
    return out


class _Errors:
    """Collects per-cell errors as (position, column, reason) triples."""

    def __init__(self, raw: pd.DataFrame, source_of: dict[str, str]) -> None:
        self.raw = raw
        self.source_of = source_of
        self.items: list[tuple[int, str, tuple[str, str]]] = []

    def add_array(self, column: str, reasons: np.ndarray) -> None:
        for pos in np.flatnonzero(pd.notna(reasons)):
            self.items.append((int(pos), column, reasons[pos]))

    def add_mask(self, column: str, mask: np.ndarray, reason: tuple[str, str]) -> None:
        for pos in np.flatnonzero(mask):
            self.items.append((int(pos), column, reason))

    def value(self, pos: int, column: str) -> str:
        src = self.source_of.get(column)
        return _mask(column, self.raw[src].iat[pos]) if src is not None else ""


def validate_frame(
    kind: str,
    raw: pd.DataFrame,
    *,
    first_row_number: int = 2,
    today: dt.date | None = None,
    default_updated_at: dt.datetime | None = None,
    dedupe: bool = True,
) -> Validated:
    """Validate every row of a raw ledger.

    Parameters
    ----------
    kind : {'laborers', 'vacancies', 'placements'}
    raw : pandas.DataFrame, shape (n, any)
        Cells as read from the file (strings, or JSON scalars/lists).
    first_row_number : int
        Row number of the first data row as a person sees it (2 for a CSV or
        sheet with one header line, 1 for JSON records).
    today : datetime.date, optional
        Reference date for ages (default: today).
    default_updated_at : datetime.datetime, optional
        What a row without ``updated_at`` gets (the file's date, or the ingest time), so that
        "newer wins" holds against next month's file and among the rows of this one.
    dedupe : bool
        Resolve ids the file lists more than once (:func:`drop_duplicate_ids`); a caller that
        refuses more rows after validation resolves them itself, last.

    Returns
    -------
    Validated
        ``frame`` holds the valid rows with canonical columns, a ``row``
        column (the person-facing row number) and ``content_hash``.
    """
    today = today or dt.date.today()
    cols = schema(kind)
    raw, control_cells = strip_control(raw)
    header_map, ignored = map_headers(kind, [str(c) for c in raw.columns])
    raw = raw.reset_index(drop=True)
    raw.columns = [str(c) for c in raw.columns]
    source_of = {target: src for src, target in header_map.items()}
    errors = _Errors(raw, source_of)
    n = len(raw)
    # The columns as object arrays until the end: the cross-column rules below are a few dozen element-wise
    # steps, each a fixed ~0.1 ms on a pandas Series and microseconds on an array (a one-record write is
    # nearly all such fixed cost). A parser's column that is not of object dtype keeps its dtype (``dtypes``).
    data: dict[str, np.ndarray] = {}
    dtypes: dict[str, object] = {}
    columns = object_columns(raw)
    for col in cols:
        src = source_of.get(col.name)
        if src is None:
            # A column the file does not carry: lists are empty lists, the rest unknown.
            data[col.name] = _filled(n, list if col.kind == "list" else None)
            continue
        parsed = parser_for(col)(columns[src])
        data[col.name] = parsed.values
        if parsed.dtype != np.dtype(object):
            dtypes[col.name] = parsed.dtype
        errors.add_array(col.name, parsed.errors)
    _CROSS[kind](data, errors, today, {c.name: c for c in cols})
    for col in cols:
        if col.required and col.name not in ("age",):
            missing = pd.isna(data[col.name])
            already = [p for p, c, _ in errors.items if c == col.name]
            missing[already] = False  # a bad value is reported as bad, not also as missing
            errors.add_mask(col.name, missing, ("required value is missing", "必填项为空"))

    if default_updated_at is not None and "updated_at" in data:
        data["updated_at"] = _fill_missing(data["updated_at"], default_updated_at)
    bad = np.zeros(n, dtype=bool)
    rejects: list[Reject] = []
    for pos, column, (en, zh) in sorted(errors.items, key=lambda t: (t[0], t[1])):
        bad[pos] = True
        rejects.append(Reject(pos + first_row_number, column, errors.value(pos, column), en, zh))
    keep = ~bad
    dropped_cols = {c.name for c in cols if c.kind == "range"}
    kept = {k: v[keep] for k, v in data.items() if k not in dropped_cols}
    hashed, late = _hashed_columns(kind, list(kept))
    digests = _digests(hashed, late, [_cells(kept[name]) for name in hashed + late], int(keep.sum()))
    # The text columns as one object block, then the row numbers; a parser's typed column keeps its dtype.
    frame = object_frame({**kept, "content_hash": digests}, pd.RangeIndex(int(keep.sum())))
    frame.insert(len(kept), "row", np.flatnonzero(keep) + first_row_number)
    for name, dtype in dtypes.items():
        if name in kept:
            frame[name] = pd.Series(kept[name], index=frame.index, dtype=dtype)
    if dedupe:
        frame, dropped = drop_duplicate_ids(kind, frame)
        if dropped:
            rejects = sorted(rejects + dropped, key=lambda r: (r.row, r.column))
            bad[np.asarray([r.row - first_row_number for r in dropped], dtype=int)] = True
    return Validated(frame.reset_index(drop=True), rejects, np.flatnonzero(bad), header_map, ignored, control_cells)


def drop_duplicate_ids(kind: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Reject]]:
    """Ids a file lists more than once, among its *valid* rows: the newest ``updated_at`` wins (a row
    without one loses to a dated one), ties go to the later row; each other row is refused naming the
    row kept. Rows refused for their own faults are never here, so they never take a valid one down.

    ``frame``: valid rows with the person-facing ``row`` number column. Returns the rows kept (in
    their order) and the refused duplicates.
    """
    if len(frame) < 2:  # one record (an API write): nothing to repeat, and no Series to build for it
        return frame, []
    key = ID_COLUMN[kind]
    ids = frame[key]
    repeated = ids.notna() & ids.duplicated(keep=False)
    if not repeated.any():
        return frame, []
    stamps = frame["updated_at"] if "updated_at" in frame.columns else pd.Series(None, index=frame.index)
    order = pd.DataFrame(
        {
            "id": ids[repeated],
            "stamp": pd.to_datetime(stamps[repeated], errors="coerce"),
            "row": frame.loc[repeated, "row"],
        }
    )
    # Missing stamps sort first (oldest), then ties by position: the last of each id is kept.
    order = order.sort_values(["id", "stamp", "row"], na_position="first", kind="mergesort")
    winner = order.groupby("id", sort=False)["row"].transform("last")
    losing = order.index[order["row"] != winner]
    rejects = [
        Reject(
            int(frame.at[i, "row"]),
            key,
            str(frame.at[i, key]),
            f"the same id is also in row {int(winner[i])}, which is newer (updated_at) or, equally new, later "
            f"in the file; row {int(winner[i])} is kept",
            f"同一编号也在第{int(winner[i])}行，该行更新时间更新（或相同而位置靠后），保留第{int(winner[i])}行",
        )
        for i in losing
    ]
    return frame.drop(index=losing), rejects


def _age_at(birth: object, today: dt.date) -> int | None:
    if not isinstance(birth, dt.date):
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _health_and_disability(c: Columns, errors: _Errors) -> None:
    """Health, disability grade and type from the three columns that may each carry part of them.

    ``health`` holds ``(health, (grade, type) | None)``, ``disability`` and ``disability_type`` hold
    ``(grade, type)`` (see :mod:`features.contract.parse`). Two columns stating different grades or
    types, or "no disability" beside a type, are refused; a type (or 残疾) with no grade is
    ``moderate`` (:data:`features.contract.vocab.GRADE_OF_TYPE_ONLY`).
    """
    n = len(c["health"])
    health = np.empty(n, dtype=object)
    grade = np.empty(n, dtype=object)
    kind = np.empty(n, dtype=object)
    grade_conflict = np.zeros(n, dtype=bool)
    type_conflict = np.zeros(n, dtype=bool)
    none_but_type = np.zeros(n, dtype=bool)
    for i, (h, d, t) in enumerate(zip(c["health"], c["disability"], c["disability_type"], strict=True)):
        said: list[tuple[str | None, str | None]] = [p for p in (d, t) if p is not None]
        disabled = h is not None and h[1] is not None
        if disabled:
            said.append(h[1])
        health[i] = h[0] if h is not None else None
        grades = {g for g, _ in said if g is not None}
        kinds = {k for _, k in said if k is not None}
        grade_conflict[i] = len(grades) > 1
        type_conflict[i] = len(kinds) > 1
        g = next(iter(grades)) if len(grades) == 1 else None
        k = next(iter(kinds)) if len(kinds) == 1 else None
        if g == "none" and (k is not None or disabled):
            none_but_type[i] = True
        if g is None and (k is not None or disabled):
            g = GRADE_OF_TYPE_ONLY
        grade[i], kind[i] = g, k
    c["health"], c["disability"], c["disability_type"] = health, grade, kind
    where = "disability" if "disability" in errors.source_of else "disability_type"
    if where not in errors.source_of:
        where = "health"
    errors.add_mask(
        where,
        grade_conflict,
        ("two different disability grades are given", "填写了两个不同的残疾等级"),
    )
    errors.add_mask(
        "disability_type" if "disability_type" in errors.source_of else where,
        type_conflict,
        (
            "two different disability types are given in different columns (write 多重残疾 for several)",
            "不同列填写了不同的残疾类别（多种残疾请填“多重残疾”）",
        ),
    )
    errors.add_mask(
        where,
        none_but_type,
        ("says no disability, but a disability type is given", "填写为无残疾，但又填写了残疾类别"),
    )


def _employment(c: Columns, errors: _Errors) -> None:
    """Employment status and work place from ``(status, place the word names)`` and ``work_place``.

    Local work (village, town, county) is ``employed_local``, the rest ``employed_away``; a status word
    and a work place that disagree on which (县内务工 and 省外) are refused.
    """
    n = len(c["employment_status"])
    status = np.empty(n, dtype=object)
    place = np.empty(n, dtype=object)
    conflict = np.zeros(n, dtype=bool)
    for i, (s, wp) in enumerate(zip(c["employment_status"], c["work_place"], strict=True)):
        code, named = s if s is not None else (None, None)
        if wp is not None and named is not None and (wp in LOCAL_WORK_PLACES) != (named in LOCAL_WORK_PLACES):
            conflict[i] = True
        where = wp if wp is not None else named
        if code == EMPLOYED_SOMEWHERE_CODE or (code is None and where is not None):
            code = "employed_local" if where is None or where in LOCAL_WORK_PLACES else "employed_away"
        status[i], place[i] = code, where
    c["employment_status"], c["work_place"] = status, place
    errors.add_mask(
        "work_place",
        conflict,
        (
            "does not match the place in employment_status (inside or outside the county)",
            "与就业状态中的务工地点不一致（县内或县外）",
        ),
    )


def _as_bools(values: np.ndarray) -> np.ndarray:
    """A flag column: its booleans, ``False`` where empty (the contract's default)."""
    return _objects([bool(v) if v is not None else False for v in values])


def _laborer_rules(c: Columns, errors: _Errors, today: dt.date, cols: dict[str, Column]) -> None:
    _health_and_disability(c, errors)
    _employment(c, errors)
    _, idn_birth, idn_gender, _ = id_number_parts(c["id_number"])
    # A ledger states age as of when the row was filled in (updated_at), so the
    # ID number is checked against that date, not against today.
    as_of = [u.date() if isinstance(u, dt.datetime) else today for u in c["updated_at"]]
    id_age = [_age_at(b, d) for b, d in zip(idn_birth, as_of, strict=True)]
    given_age = c["age"]
    # Gender and age must agree with the ID number when both are given.
    gender = c["gender"]
    g_conflict = (
        ~pd.isna(gender)
        & ~pd.isna(idn_gender)
        & np.array([a != b for a, b in zip(gender, idn_gender, strict=True)], dtype=bool)
    )
    errors.add_mask(
        "gender", g_conflict, ("does not match the gender encoded in id_number", "与身份证号中的性别不一致")
    )
    a_conflict = np.array(
        [pd.notna(a) and pd.notna(b) and abs(int(a) - int(b)) > 1 for a, b in zip(given_age, id_age, strict=True)],
        dtype=bool,
    )
    errors.add_mask(
        "age", a_conflict, ("does not match the birth date encoded in id_number", "与身份证号中的出生日期不一致")
    )
    birth = _fill_missing(c["birth_date"], idn_birth)
    c["birth_date"] = birth
    c["gender"] = _fill_missing(gender, idn_gender)
    # With a birth date known, the stored age is today's age: a ledger filled
    # in two years ago must not keep a 64-year-old at 62 for the age limits.
    derived = _fill_missing(_objects([_age_at(b, today) for b in birth]), given_age)
    age = _objects([int(a) if pd.notna(a) else None for a in derived])
    c["age"] = age
    lo, hi = int(cols["age"].lo or 16), int(cols["age"].hi or 80)
    age_then = [_age_at(b, d) for b, d in zip(birth, as_of, strict=True)]
    out_of_range = np.array([a is not None and not lo <= a <= hi for a in age_then], dtype=bool)
    out_of_range &= pd.isna(given_age)
    errors.add_mask(
        "age", out_of_range, (f"age from birth date is outside {lo}–{hi}", f"按出生日期计算的年龄不在{lo}–{hi}岁")
    )
    age_bad = np.zeros(len(age), dtype=bool)
    age_bad[[p for p, col, _ in errors.items if col == "age"]] = True
    missing_age = pd.isna(age) & pd.isna(birth) & ~age_bad
    errors.add_mask(
        "age", missing_age, ("missing: give age, birth_date or id_number", "年龄缺失：请填写年龄、出生日期或身份证号")
    )
    missing_place = pd.isna(c["county"]) & pd.isna(c["city"]) & pd.isna(c["admin_code"])
    errors.add_mask(
        "county",
        missing_place,
        (
            "required: county name (or city for a city without counties, or admin_code)",
            "必填：所在县（不设县的市填市名，或填行政区划代码）",
        ),
    )
    _pair(c, errors)
    # Defaults for empty cells, stated in the contract (docs/data-contract.md).
    for name in ("wants_training", "wants_business", "care_duties", "registered_poor"):
        c[name] = _as_bools(c[name])
    # Without labour capacity (丧失劳动力, 无劳动力) a person with no stated status is unable to work,
    # and nobody assumes they want a job.
    no_capacity = np.array([v in NO_LABOUR_CAPACITY for v in c["labour_capacity"]], dtype=bool)
    status = c["employment_status"].copy()
    status[pd.isna(status) & no_capacity] = "unable"
    c["employment_status"] = status
    working_age = np.array([a is not None and a <= 65 for a in age], dtype=bool)
    unemployed = np.array([s == "unemployed" for s in status], dtype=bool)
    default_wants = (pd.isna(status) | unemployed) & working_age & ~no_capacity
    c["wants_job"] = _fill_missing(c["wants_job"], default_wants).astype(bool).astype(object)
    c["mobility"] = _fill_missing(c["mobility"], "county")


def _pair(c: Columns, errors: _Errors) -> None:
    one_only = pd.isna(c["lat"]) != pd.isna(c["lon"])
    errors.add_mask("lat", one_only, ("give both lat and lon, or neither", "经纬度需同时填写或同时留空"))


def _vacancy_rules(c: Columns, errors: _Errors, today: dt.date, cols: dict[str, Column]) -> None:
    for name, (lo_col, hi_col, unit_col) in {
        "wage": ("wage_min", "wage_max", "wage_unit"),
        "age_range": ("age_min", "age_max", None),
    }.items():
        parts = c[name]
        if not pd.isna(parts).all():
            lo = [p[0] if p else None for p in parts]
            hi = [p[1] if p else None for p in parts]
            if lo_col == "age_min":
                lo = [None if x is None else int(x) for x in lo]
                hi = [None if x is None else int(x) for x in hi]
                limits = (cols["age_min"].lo or 16, cols["age_max"].hi or 80)
                bad = np.array(
                    [
                        any(x is not None and not limits[0] <= x <= limits[1] for x in (a, b))
                        for a, b in zip(lo, hi, strict=True)
                    ],
                    dtype=bool,
                )
                errors.add_mask("age_range", bad, ("age outside 16–80", "年龄超出16–80岁"))
            c[lo_col] = _fill_missing(c[lo_col], _objects(lo))
            c[hi_col] = _fill_missing(c[hi_col], _objects(hi))
            if unit_col:
                c[unit_col] = _fill_missing(c[unit_col], _objects([p[2] if p else None for p in parts]))
    for lo_col, hi_col, en, zh in (
        ("wage_min", "wage_max", "wage_min is above wage_max", "最低工资高于最高工资"),
        ("age_min", "age_max", "age_min is above age_max", "最低年龄高于最高年龄"),
        ("start_date", "end_date", "start_date is after end_date", "开始日期晚于截止日期"),
    ):
        a, b = c[lo_col], c[hi_col]
        both = ~pd.isna(a) & ~pd.isna(b)
        worse = np.zeros(len(a), dtype=bool)
        worse[both] = [x > y for x, y in zip(a[both], b[both], strict=True)]
        errors.add_mask(hi_col, worse, (en, zh))
    no_place = (
        pd.isna(c["county"])
        & pd.isna(c["city"])
        & pd.isna(c["admin_code"])
        & np.array([k != "online" for k in c["kind"]], dtype=bool)
    )
    errors.add_mask(
        "county",
        no_place,
        (
            "required for every post that is not online: county name "
            "(or city for a city without counties, such as 东莞市), or admin_code",
            "非线上岗位必须填写所在县（不设县的市如东莞市填市名）或行政区划代码",
        ),
    )
    _pair(c, errors)
    c["status"] = _fill_missing(c["status"], "open")
    for name in ("training_provided", "transport_provided", "lodging_provided"):
        c[name] = _as_bools(c[name])


def _placement_rules(c: Columns, errors: _Errors, today: dt.date, cols: dict[str, Column]) -> None:
    latest = today + dt.timedelta(days=1)
    future = np.array([isinstance(d, dt.date) and d > latest for d in c["date"]], dtype=bool)
    errors.add_mask("date", future, ("is in the future", "日期晚于今天"))
    missing = np.flatnonzero(pd.isna(c["placement_id"]))
    if len(missing):
        ids = c["placement_id"].copy()
        for i in missing:
            key = f"{c['laborer_id'][i]}|{c['vacancy_id'][i]}|{c['outcome'][i]}|{c['date'][i]}|{c['fair_id'][i]}"
            ids[i] = "P" + hashlib.sha1(key.encode()).hexdigest()[:20]
        c["placement_id"] = ids


_CROSS = {"laborers": _laborer_rules, "vacancies": _vacancy_rules, "placements": _placement_rules}
