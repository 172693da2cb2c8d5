"""Columnar views of people and posts that the matcher reasons over.

The store hands over pandas frames; matching millions of pairs needs plain
numpy arrays (integer administrative codes, ordinals for dates, small
integer codes for enums) and sparse skill matrices. ``People`` and ``Posts``
hold exactly that, built once per batch or per artifact.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from features.contract.vocab import KIND, MOBILITY_ORDER
from features.rows import FEW_ROWS, is_missing
from matcher.flags import REQUIRED_COLUMNS, FlagColumns

__all__ = ["People", "Posts", "KINDS", "prepare_people", "prepare_posts", "take_people", "occ_int", "SkillVocab"]

#: Post kinds in the contract's order; arrays hold their index.
KINDS: tuple[str, ...] = tuple(KIND)
KIND_INDEX = {k: i for i, k in enumerate(KINDS)}
EDUCATION = ("none", "primary", "junior", "senior", "vocational", "college", "bachelor")
HOURS = ("full_time", "part_time", "flexible")
PHYSICAL = ("low", "medium", "high")
#: Working days in a month, to compare day wages with monthly expectations.
DAYS_PER_MONTH = 22
MAX_PERSON_CODES = 6
#: Up to this many ids, :meth:`Posts.rows_of` looks them up one by one (no pandas index built).
SHORT_LOOKUP = 64


def occ_int(code: object) -> int:
    """``'6-18-02-04'`` → ``6180204``; ``-1`` for no code."""
    if not isinstance(code, str) or len(code) != 10:
        return -1
    return int(code.replace("-", ""))


def _per_distinct(values: pd.Series, fn: Any, dtype: Any, few: int = FEW_ROWS) -> np.ndarray:
    """``fn`` of every cell, asked once per distinct value (a ledger repeats a few thousand codes and
    enum words over millions of rows); a missing cell gets ``fn(None)``. Up to ``few`` cells, ``fn`` is
    asked of each (the same answers without factorizing)."""
    if len(values) <= few:
        cells = values.to_numpy(dtype=object)
        return np.fromiter((fn(None if is_missing(v) else v) for v in cells), dtype=dtype, count=len(cells))
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.fromiter((fn(u) for u in uniques), dtype=dtype, count=len(uniques))
    return np.append(table, np.asarray(fn(None), dtype=dtype))[codes]


def _code_int(values: pd.Series, width: int) -> np.ndarray:
    """The first ``width`` digits of each cell's code as an integer (0: missing or not digits); a cell
    that is not text is read as its text, as ``values.fillna("").astype(str)`` would give it."""

    def one(v: object) -> int:
        text = v if isinstance(v, str) else "" if v is None else str(v)
        return int(text[:width]) if text[:width].isdecimal() else 0  # not isdigit: "²" is a digit int() refuses

    return _per_distinct(values, one, np.int64)


def _enum(values: pd.Series, choices: tuple[str, ...], missing: int = -1) -> np.ndarray:
    table = {c: i for i, c in enumerate(choices)}
    return _per_distinct(values, lambda v: table.get(v, missing) if isinstance(v, str) else missing, np.int8)


def _float(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)


def _ordinal(values: pd.Series, missing: int) -> np.ndarray:
    """Proleptic Gregorian ordinals (``date.toordinal()``) of a date column; ``missing`` where empty."""
    if pd.api.types.is_datetime64_dtype(values.dtype):
        days = values.to_numpy(dtype="datetime64[D]")
        known = ~np.isnat(days)
        # Day 0 of numpy's calendar (1970-01-01) is ordinal 719163.
        return np.where(known, days.astype(np.int64) + dt.date(1970, 1, 1).toordinal(), missing)
    return np.fromiter(
        (v.toordinal() if isinstance(v, dt.date) and not pd.isna(v) else missing for v in values),
        dtype=np.int64,
        count=len(values),
    )


def date_ordinals(values: pd.Series, missing: int = -1) -> np.ndarray:
    """Proleptic ordinals of a column of dates as stored or written (ISO text, dates); ``missing`` where
    empty or not a date."""
    return _ordinal(pd.to_datetime(values, errors="coerce"), missing)


def _bool(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values.dtype):  # the store's nullable booleans: missing is False
        return values.fillna(False).to_numpy(dtype=bool)
    return np.fromiter(
        (bool(v) if isinstance(v, (bool, np.bool_)) else False for v in values),
        dtype=bool,
        count=len(values),
    )


class SkillVocab:
    """Canonical skills and certificates as column indices of sparse matrices."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def keys(self, rows: Sequence[list[str]], width: int, row_ids: Sequence[int] | None = None) -> np.ndarray:
        """The cells of ``rows`` over this vocabulary (nothing added to it; columns at or past ``width``
        left out) as sorted integers ``row * width + column``, where ``row`` is ``row_ids[n]`` for the
        ``n``-th of ``rows`` (default ``n``): what :meth:`matrix` holds, without building a matrix."""
        index = self.index
        out: list[int] = []
        for n, items in enumerate(rows):
            base = (n if row_ids is None else int(row_ids[n])) * width
            for s in dict.fromkeys(items):
                j = index.get(s)
                if j is not None and j < width:
                    out.append(base + j)
        return np.sort(np.asarray(out, dtype=np.int64))

    def matrix(self, rows: list[list[str]]) -> sp.csr_matrix:
        """Rows as a 0/1 CSR matrix over the vocabulary, new words added to it (the posts' side: the
        people's is read as :meth:`keys` of the columns the posts made)."""
        indptr = [0]
        cols: list[int] = []
        for items in rows:
            for s in dict.fromkeys(items):
                j = self.index.get(s)
                if j is None:
                    j = self.index[s] = len(self.index)
                cols.append(j)
            indptr.append(len(cols))
        data = np.ones(len(cols), dtype=np.float32)
        return sp.csr_matrix(
            (data, np.array(cols, dtype=np.int64), np.array(indptr, dtype=np.int64)),
            shape=(len(rows), max(len(self.index), 1)),
        )


@lru_cache(maxsize=1)
def _normalizer():  # type: ignore[no-untyped-def]
    from features.occupations import get_normalizer

    return get_normalizer()


#: Per process, what the normaliser said of each distinct item (a ledger repeats the same few thousand
#: skill words and wished jobs; every block of people would otherwise ask again). Bounded (cleared when
#: full), kept for one normaliser only, and shared by threads: read and written under ``_MEMO_LOCK``, the
#: normaliser itself asked outside it.
_MEMO_LIMIT = 200_000
_MEMO: dict[str, Any] = {"owner": None, "skills": {}, "codes": {}}
_MEMO_LOCK = threading.Lock()


def _memoised(kind: str, distinct: set[Any], ask: Callable[[Any, list[Any]], list[Any]]) -> dict[Any, Any]:
    """The normaliser's answer for every item of ``distinct``: the memo's, else ``ask(norm, items)`` for
    the items it lacks (sorted), which are then published to the memo."""
    norm = _normalizer()
    with _MEMO_LOCK:
        if _MEMO["owner"] is not norm:
            _MEMO.update(owner=norm, skills={}, codes={})
        memo = _MEMO[kind]
        known = {item: memo[item] for item in distinct if item in memo}
    fresh = sorted(item for item in distinct if item not in known)
    if fresh:
        answers = dict(zip(fresh, ask(norm, fresh), strict=True))
        known.update(answers)
        with _MEMO_LOCK:
            if _MEMO["owner"] is norm and len(answers) <= _MEMO_LIMIT:
                memo = _MEMO[kind]
                if len(memo) + len(answers) > _MEMO_LIMIT:
                    memo.clear()
                memo.update(answers)
    return known


def canonical_skill_lists(cells: list[list[str]]) -> list[list[str]]:
    """Canonical skill names for lists of colloquial items, memoised per distinct item."""
    memo = _memoised(
        "skills", {item for items in cells for item in items}, lambda norm, fresh: norm.canonical_skills(fresh)
    )
    return [list(dict.fromkeys(s for item in items for s in memo[item])) for items in cells]


def occupation_lists(cells: list[list[str]], min_score: float = 0.45) -> list[list[str]]:
    """Level-4 codes for lists of free-text items (skills, wished jobs), top-1 per item."""

    def ask(norm: Any, fresh: list[tuple[str, float]]) -> list[str | None]:
        found = norm.normalize([item for item, _ in fresh], k=1)
        return [m[0].code if m and m[0].score >= min_score else None for m in found]

    memo = _memoised("codes", {(item, min_score) for items in cells for item in items}, ask)
    return [list(dict.fromkeys(c for item in items if (c := memo[(item, min_score)]))) for items in cells]


def _lists(values: pd.Series) -> list[list[str]]:
    """The cells as lists (a list cell as it is, read-only by every caller; missing: empty)."""
    return [
        v if type(v) is list else list(v) if isinstance(v, (tuple, np.ndarray)) else []  # noqa: E721
        for v in values.tolist()
    ]


@dataclass
class People:
    """People as arrays; row ``i`` of every array is ``frame.iloc[i]``."""

    frame: pd.DataFrame
    ids: np.ndarray
    age: np.ndarray
    female: np.ndarray
    mobility: np.ndarray
    education: np.ndarray
    disability: np.ndarray
    health: np.ndarray
    care: np.ndarray
    wants_training: np.ndarray
    expected_wage: np.ndarray
    province: np.ndarray
    city: np.ndarray
    county: np.ndarray
    town: np.ndarray
    village: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    precise: np.ndarray
    codes: np.ndarray
    skills: list[list[str]]
    certificates: list[list[str]]
    training: list[list[str]]
    zero_employment: np.ndarray
    registered_poor: np.ndarray
    vectors: np.ndarray | None = None
    position: dict[str, int] = field(default_factory=dict)
    #: The columns the flag rules read (:class:`matcher.flags.FlagColumns`), prepared with the person.
    flag_columns: Any = None
    #: The :data:`matcher.answered.ANSWERS` column of ``frame`` as an object array, once read
    #: (:func:`matcher.answered.answer_cells`): a column read through pandas costs a tenth of a millisecond,
    #: as much as the rest of re-checking one person's stored list.
    answers: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Posts:
    """Posts as arrays plus the groupings retrieval walks (by county, village, province)."""

    frame: pd.DataFrame
    ids: np.ndarray
    kind: np.ndarray
    open: np.ndarray
    start: np.ndarray
    end: np.ndarray
    openings: np.ndarray
    age_min: np.ndarray
    age_max: np.ndarray
    physical: np.ndarray
    hours: np.ndarray
    wage: np.ndarray
    province: np.ndarray
    city: np.ndarray
    county: np.ndarray
    town: np.ndarray
    village: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    precise: np.ndarray
    code: np.ndarray
    skills: list[list[str]]
    certificates: list[list[str]]
    training_provided: np.ndarray
    transport: np.ndarray
    lodging: np.ndarray
    employer: np.ndarray
    vectors: np.ndarray | None = None
    #: Days ahead a post's start date may lie for it to be suggested today (the policy's
    #: ``[posts] starts_within_days``, set by ``matcher.serving.assemble``; 0: only posts already started).
    starts_within: int = 0
    by_county: dict[int, np.ndarray] = field(default_factory=dict)
    by_city: dict[int, np.ndarray] = field(default_factory=dict)
    by_province: dict[int, np.ndarray] = field(default_factory=dict)
    online: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    position: dict[str, int] = field(default_factory=dict)
    #: Columns of ``frame`` and the id index, built on first use; shared by a server's concurrent
    #: requests, so published under ``_lock`` (bounded by the frame's columns).
    _columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _index: pd.Index | None = field(default=None, repr=False)
    _lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _lock=threading.Lock())

    def col(self, name: str) -> np.ndarray:
        """One column of ``frame`` as an object array, cached (row access through pandas is slow)."""
        out = self._columns.get(name)
        if out is None:
            values = self.frame[name].astype(object)
            out = values.where(values.notna(), None).to_numpy(dtype=object)
            with self._lock:
                out = self._columns.setdefault(name, out)
        return out

    def rows_of(self, vacancy_ids: object) -> np.ndarray:
        """Rows of the posts with ``vacancy_ids`` (any sequence of strings), -1 for ids not here; one
        hash lookup for the whole column (a million ids in a fraction of a second); a short list
        (one person's suggestions) is looked up in :attr:`position` directly."""
        if isinstance(vacancy_ids, list | tuple) and len(vacancy_ids) <= SHORT_LOOKUP and self.position:
            position = self.position
            return np.fromiter((position.get(str(v), -1) for v in vacancy_ids), dtype=np.int64, count=len(vacancy_ids))
        index = self._index
        if index is None or len(index) != len(self.ids):
            index = pd.Index(self.ids.astype(str))
            with self._lock:
                self._index = index
        return np.asarray(index.get_indexer(pd.Index(vacancy_ids)), dtype=np.int64)


def _precise(coord_source: pd.Series) -> np.ndarray:
    """Coordinates fine enough to measure a half-hour trip (the place itself or its town)."""
    return _per_distinct(coord_source, lambda v: v in ("input", "village", "town"), bool)


def _place_arrays(frame: pd.DataFrame) -> dict[str, Any]:
    """Administrative codes as integers and coordinates, the same for people and posts."""
    admin = frame["admin_code"]
    return {
        "province": _code_int(admin, 2),
        "city": _code_int(admin, 4),
        "county": _code_int(frame["county_code"], 6),
        "town": _code_int(frame["town_code"], 12),
        "village": _code_int(frame["village_code"], 12),
        "lat": _float(frame["lat"]),
        "lon": _float(frame["lon"]),
        "precise": _precise(frame["coord_source"]),
    }


def take_people(people: People, rows: np.ndarray) -> People:
    """The people at ``rows`` as a new :class:`People` (arrays, lists and frame sliced alike)."""
    rows = np.asarray(rows, dtype=np.int64)
    kw = {}
    for f in fields(people):
        value = getattr(people, f.name)
        if f.name == "frame":
            kw[f.name] = value.take(rows)  # positional, like iloc, without iloc's indexer checks
            kw[f.name].index = pd.RangeIndex(len(rows))  # reset_index(drop=True) costs as much again
        elif f.name == "position":
            continue
        elif f.name == "flag_columns":
            kw[f.name] = value.take(rows) if value is not None else None
        elif isinstance(value, np.ndarray):
            kw[f.name] = value[rows]
        elif isinstance(value, list):
            kw[f.name] = [value[i] for i in rows]
        else:
            kw[f.name] = value
    out = People(**kw)
    out.position = {str(k): i for i, k in enumerate(out.ids)}
    return out


def prepare_people(laborers: pd.DataFrame, households: pd.DataFrame | None = None, flags: bool = True) -> People:
    """Build :class:`People` from store frames (``load_laborers``/``load_households``); ``flags=False``
    leaves out the columns the flag rules read (for judging pairs only)."""
    index = laborers.index
    plain = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
    frame = laborers if plain else laborers.reset_index(drop=True)  # the store's frames are numbered 0…n-1
    n = len(frame)
    skills_raw = _lists(frame["skills"])
    intention = _lists(frame["job_intention"])
    skills = canonical_skill_lists(skills_raw)
    codes_lists = occupation_lists([s + j for s, j in zip(skills_raw, intention, strict=True)])
    codes = np.full((n, MAX_PERSON_CODES), -1, dtype=np.int64)
    for i, cl in enumerate(codes_lists):
        for j, c in enumerate(cl[:MAX_PERSON_CODES]):
            codes[i, j] = occ_int(c)
    # The columns added below go to this frame only (copy-on-write); a deep copy also gathers the columns
    # into a few blocks, which pays for itself when many rows are taken later (a batch, the run's people).
    frame = frame.copy(deep=n > FEW_ROWS)
    frame["occupation_codes"] = codes_lists
    zero = np.zeros(n, dtype=bool)
    if households is not None and len(households):
        # a dict, not Series.map: the same answer without pandas' fixed cost (a fresh list is one person)
        ids, flag = (households[c].to_numpy(dtype=object) for c in ("household_id", "zero_employment"))
        zero_ids = {h for h, z in zip(ids, flag, strict=True) if z is True or (isinstance(z, np.bool_) and z)}
        zero = np.fromiter((h in zero_ids for h in frame["household_id"].to_numpy(dtype=object)), dtype=bool, count=n)
    frame["zero_employment"] = zero
    mobility = _enum(frame["mobility"], MOBILITY_ORDER, missing=3)
    return People(
        frame=frame,
        ids=frame["laborer_id"].to_numpy(dtype=object),
        age=_float(frame["age"]),
        female=(frame["gender"] == "female").to_numpy(dtype=bool),
        mobility=mobility,
        education=_enum(frame["education"], EDUCATION),
        disability=_enum(frame["disability"], ("none", "mild", "moderate", "severe"), missing=0),
        health=_enum(frame["health"], ("healthy", "weak", "chronic", "serious"), missing=0),
        care=_bool(frame["care_duties"]),
        wants_training=_bool(frame["wants_training"]),
        expected_wage=_float(frame["expected_wage"]),
        **_place_arrays(frame),
        codes=codes,
        skills=skills,
        certificates=_lists(frame["certificates"]),
        training=canonical_skill_lists(_lists(frame["training_interest"])),
        zero_employment=zero,
        registered_poor=_bool(frame["registered_poor"]),
        position={k: i for i, k in enumerate(frame["laborer_id"])},
        flag_columns=FlagColumns(frame) if flags and set(REQUIRED_COLUMNS) <= set(frame.columns) else None,
    )


def monthly_wage(frame: pd.DataFrame) -> np.ndarray:
    """Monthly-equivalent wage (mid-range): day wages × 22; piece rates are quoted monthly."""
    lo = _float(frame["wage_min"])
    hi = _float(frame["wage_max"])
    mid = np.where(np.isnan(hi), lo, np.where(np.isnan(lo), hi, (lo + hi) / 2))
    per_day = (frame["wage_unit"] == "day").to_numpy(dtype=bool)
    return np.where(per_day, mid * DAYS_PER_MONTH, mid)


def prepare_posts(vacancies: pd.DataFrame) -> Posts:
    """Build :class:`Posts` from a store frame (``load_vacancies``)."""
    frame = vacancies.reset_index(drop=True)
    kind = _enum(frame["kind"], KINDS, missing=0)
    posts = Posts(
        frame=frame,
        ids=frame["vacancy_id"].to_numpy(dtype=object),
        kind=kind,
        open=(frame["status"] == "open").to_numpy(dtype=bool),
        start=_ordinal(frame["start_date"], missing=0),
        end=_ordinal(frame["end_date"], missing=dt.date.max.toordinal()),
        openings=pd.to_numeric(frame["openings"], errors="coerce").fillna(0).to_numpy(dtype=np.int64),
        age_min=pd.to_numeric(frame["age_min"], errors="coerce").fillna(0).to_numpy(dtype=np.int64),
        age_max=pd.to_numeric(frame["age_max"], errors="coerce").fillna(200).to_numpy(dtype=np.int64),
        physical=_enum(frame["physical_demand"], PHYSICAL, missing=0),
        hours=_enum(frame["hours"], HOURS, missing=0),
        wage=monthly_wage(frame),
        **_place_arrays(frame),
        code=_per_distinct(frame["occupation_code"], occ_int, np.int64),
        skills=canonical_skill_lists(
            [s + [t] for s, t in zip(_lists(frame["required_skills"]), frame["title"].fillna(""), strict=True)]
        ),
        certificates=_lists(frame["required_certificates"]),
        training_provided=_bool(frame["training_provided"]),
        transport=_bool(frame["transport_provided"]),
        lodging=_bool(frame["lodging_provided"]),
        employer=frame["employer_id"].to_numpy(dtype=object),
        position={k: i for i, k in enumerate(frame["vacancy_id"])},
    )
    online = kind == KIND_INDEX["online"]
    posts.online = np.flatnonzero(online)
    for attr, target in (
        ("county", posts.by_county),
        ("city", posts.by_city),
        ("province", posts.by_province),
    ):
        codes = getattr(posts, attr)
        order = np.argsort(codes, kind="stable")
        uniq, starts = np.unique(codes[order], return_index=True)
        bounds = np.append(starts, len(order))
        for u, a, b in zip(uniq, bounds[:-1], bounds[1:], strict=True):
            if u:
                target[int(u)] = order[a:b]
    return posts
