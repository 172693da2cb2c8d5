"""Column parsers: one raw text column in, typed values and per-cell errors out.

Each parser works on a whole column and memoises on distinct values, because
a county ledger repeats the same few hundred words (村 names, 是/否, 初中)
across tens of thousands of rows. A parser returns :class:`Parsed`: two object
arrays aligned with its input, the typed values (``None`` where empty or bad)
and the errors (``None`` or an ``(english, chinese)`` reason), and the dtype
the column takes in the validated frame. Arrays, not Series: a one-record
write parses some forty columns, and a Series costs a fixed ~20 µs each.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from features.contract import vocab
from features.contract.columns import Column
from features.contract.vocab import lookup_table, squash
from features.text import normalize_text, split_list

Reason = tuple[str, str]


class Parsed(NamedTuple):
    """One parsed column (see the module docstring)."""

    values: np.ndarray
    errors: np.ndarray
    #: The column's dtype in the validated frame: object, but text for ID numbers.
    dtype: Any = np.dtype(object)


#: Longest text the store keeps per column (PostgreSQL enforces VARCHAR sizes).
MAX_LEN: dict[str, int] = {"description": 4000, "title": 128, "employer_name": 128, "source": 64}
DEFAULT_MAX_LEN = 64
MAX_LIST_ITEM = 64

_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_UNIT_TAIL = re.compile(r"(元/月|元/天|元/日|元每月|元|岁|周岁|人|名|个|/月|每月|左右|以上|以下)+$")
_RANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-|~|至|到|—|–|－|～)\s*(\d+(?:\.\d+)?)")
_ONE = re.compile(r"(\d+(?:\.\d+)?)")
_DATE_CN = re.compile(r"^(\d{4})\s*[年./-]\s*(\d{1,2})\s*(?:[月./-]\s*(\d{1,2})\s*日?)?\s*(.*)$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME = re.compile(r"^[T ]?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_OCC = re.compile(r"^(\d)-?(\d{2})-?(\d{2})-?(\d{2})$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(0\d{9,11}|\d{7,8})$")
_CHINA_LAT = (3.0, 54.0)
_CHINA_LON = (73.0, 136.0)


def omap(values: Iterable[object], fn: Callable[[object], object]) -> np.ndarray:
    """Element-wise map into an object array (``None`` stays ``None``; a list or tuple is one cell)."""
    cells = values if isinstance(values, list) else list(values)
    return np.fromiter((fn(v) for v in cells), dtype=object, count=len(cells))


def _empty(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


#: Up to this many cells, :func:`_by_unique` looks values up in a dictionary rather than factorising.
_FEW = 16


def _by_unique(values: pd.Series | np.ndarray, fn: Callable[[object], tuple[object, Reason | None]]) -> Parsed:
    """Apply ``fn`` once per distinct cell and broadcast the results back."""
    if len(values) <= _FEW and all(v is None or isinstance(v, str) for v in values):
        # A record or two (an API write): a dictionary instead of factorize's fixed cost.
        seen: dict[str, tuple[object, Reason | None]] = {}
        pairs = [
            (None, None) if v is None or _empty(v) else seen[v] if v in seen else seen.setdefault(v, fn(v))
            for v in values
        ]
        return Parsed(omap(pairs, lambda p: p[0]), omap(pairs, lambda p: p[1]))  # type: ignore[index]
    obj = values.astype(object)
    codes, uniques = pd.factorize(obj, use_na_sentinel=True)
    vals = np.empty(len(uniques) + 1, dtype=object)
    errs = np.empty(len(uniques) + 1, dtype=object)
    vals[-1], errs[-1] = None, None  # code -1: missing
    for i, u in enumerate(uniques):
        if _empty(u):
            vals[i], errs[i] = None, None
        else:
            vals[i], errs[i] = fn(u)
    return Parsed(vals[codes], errs[codes])


def parse_text(col: Column, values: pd.Series) -> Parsed:
    limit = MAX_LEN.get(col.name, DEFAULT_MAX_LEN)

    def one(v: object) -> tuple[object, Reason | None]:
        text = normalize_text(v)
        if text is not None and len(text) > limit:
            return None, (f"longer than {limit} characters", f"超过{limit}个字符")
        return text, None

    return _by_unique(values, one)


def parse_id(col: Column, values: pd.Series) -> Parsed:
    def one(v: object) -> tuple[object, Reason | None]:
        text = normalize_text(v)
        if text is None:
            return None, None
        if text.endswith(".0") and text[:-2].isdigit():  # Excel turned a numeric id into a float
            text = text[:-2]
        if any(ch.isspace() for ch in text):
            return None, ("must not contain blanks", "不能包含空格")
        if len(text) > DEFAULT_MAX_LEN:
            return None, (f"longer than {DEFAULT_MAX_LEN} characters", f"超过{DEFAULT_MAX_LEN}个字符")
        return text, None

    return _by_unique(values, one)


def _number(v: object) -> float | None:
    text = normalize_text(v)
    if text is None:
        return None
    text = text.replace(",", "").replace(" ", "")
    text = _UNIT_TAIL.sub("", text)
    if not _NUMBER.match(text):
        raise ValueError(text)
    return float(text)


def parse_number(col: Column, values: pd.Series) -> Parsed:
    integer = col.kind == "int"
    lo = col.lo if col.lo is not None else -np.inf
    hi = col.hi if col.hi is not None else np.inf
    if col.kind == "lat":
        lo, hi = _CHINA_LAT
    elif col.kind == "lon":
        lo, hi = _CHINA_LON

    def one(v: object) -> tuple[object, Reason | None]:
        try:
            x = _number(v)
        except ValueError:
            kind = "a whole number" if integer else "a number"
            return None, (f"is not {kind} (allowed: {col.allowed()})", f"不是有效数字（允许：{col.allowed()}）")
        if x is None:
            return None, None
        if integer and not float(x).is_integer():
            return None, ("must be a whole number", "应为整数")
        if not lo <= x <= hi:
            return None, (f"out of range (allowed: {col.allowed()})", f"超出范围（允许：{col.allowed()}）")
        return (int(x) if integer else float(x)), None

    return _by_unique(values, one)


def parse_choice(col: Column, values: pd.Series, table: Mapping[str, tuple[str, ...]]) -> Parsed:
    lookup = lookup_table(table)

    def one(v: object) -> tuple[object, Reason | None]:
        text = normalize_text(v)
        if text is None:
            return None, None
        code = lookup.get(squash(text))
        if code is None:
            return None, (
                f"unknown value (allowed: {', '.join(table)})",
                f"无法识别的取值（允许：{'、'.join(w[1] for w in table.values() if len(w) > 1)}）",
            )
        return code, None

    return _by_unique(values, one)


def parse_bool(col: Column, values: pd.Series) -> Parsed:
    from features.contract.vocab import BOOL

    parsed = parse_choice(col, values, BOOL)
    return Parsed(omap(parsed.values, lambda c: None if c is None else c == "true"), parsed.errors)


def parse_list(col: Column, values: pd.Series) -> Parsed:
    def one(v: object) -> tuple[object, Reason | None]:
        items = split_list(v)
        too_long = [i for i in items if len(i) > MAX_LIST_ITEM]
        if too_long:
            return None, (f"an item is longer than {MAX_LIST_ITEM} characters", f"有一项超过{MAX_LIST_ITEM}个字符")
        return items, None

    parsed = _by_unique(omap(values, lambda v: "、".join(map(str, v)) if isinstance(v, list) else v), one)
    # Empty list, not None, for a blank cell: list columns always hold a list.
    return Parsed(omap(parsed.values, lambda v: [] if v is None else list(v)), parsed.errors)


def to_datetime(v: object) -> dt.datetime | None:
    """Parse the date formats county offices produce; raises ValueError when none fits."""
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    text = normalize_text(v)
    if text is None:
        return None
    m = _DATE_COMPACT.match(text)
    if m:
        return dt.datetime(int(m[1]), int(m[2]), int(m[3]))
    m = _DATE_CN.match(text)
    if not m:
        raise ValueError(text)
    year, month, day = int(m[1]), int(m[2]), int(m[3] or 1)
    rest = m[4].strip()
    hour = minute = second = 0
    if rest:
        t = _TIME.match(rest)
        if not t:
            raise ValueError(text)
        hour, minute, second = int(t[1]), int(t[2]), int(t[3] or 0)
    return dt.datetime(year, month, day, hour, minute, second)


def parse_date(col: Column, values: pd.Series) -> Parsed:
    want_date = col.kind == "date"

    def one(v: object) -> tuple[object, Reason | None]:
        try:
            stamp = to_datetime(v)
        except ValueError:
            return None, (f"is not a date (allowed: {col.allowed()})", f"不是有效日期（允许：{col.allowed()}）")
        if stamp is None:
            return None, None
        if not 1900 <= stamp.year <= 2100:
            return None, ("year out of range 1900–2100", "年份超出1900–2100")
        return (stamp.date() if want_date else stamp), None

    return _by_unique(values, one)


def parse_phone(col: Column, values: pd.Series) -> Parsed:
    def one(v: object) -> tuple[object, Reason | None]:
        text = normalize_text(v)
        if text is None:
            return None, None
        digits = re.sub(r"[\s()\-+]", "", text)
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        if _MOBILE.match(digits) or _LANDLINE.match(digits):
            return digits, None
        return None, ("not a phone number (11-digit mobile or landline)", "不是有效电话号码（11位手机号或固定电话）")

    return _by_unique(values, one)


def parse_occupation_code(col: Column, values: pd.Series) -> Parsed:
    def one(v: object) -> tuple[object, Reason | None]:
        text = normalize_text(v)
        if text is None:
            return None, None
        m = _OCC.match(text.replace(" ", ""))
        if not m:
            return None, (f"not a classification code (allowed: {col.allowed()})", "不是职业分类代码（例：6-18-02-04）")
        return f"{m[1]}-{m[2]}-{m[3]}-{m[4]}", None

    return _by_unique(values, one)


def parse_range(col: Column, values: pd.Series) -> Parsed:
    """``3000-4500元/月`` → ``(3000.0, 4500.0, 'month')``; ``45岁以下`` → ``(None, 45.0, None)``."""
    from features.contract.vocab import WAGE_UNIT

    units = [(squash(w), code) for code, words in WAGE_UNIT.items() for w in words if not w.isascii()]
    units.sort(key=lambda p: -len(p[0]))

    def one(v: object) -> tuple[object, Reason | None]:
        text = normalize_text(v)
        if text is None or text in ("面议", "协商", "不限"):
            return None, None
        flat = text.replace(",", "")
        unit = next((code for word, code in units if word in squash(flat)), None)
        m = _RANGE.match(flat)
        if m:
            lo, hi = float(m[1]), float(m[2])
        else:
            one_num = _ONE.search(flat)
            if not one_num:
                return None, (f"not a range (allowed: {col.allowed()})", "不是有效范围（例：3000-4500、18-45岁）")
            x = float(one_num[1])
            lo, hi = (None, x) if "以下" in flat or "以内" in flat else (x, None) if "以上" in flat else (x, x)
        return (lo, hi, unit), None

    return _by_unique(values, one)


#: Internal status of someone in work whose place decides local or away (never stored).
EMPLOYED_SOMEWHERE_CODE = "employed"
_CELL_PUNCT = re.compile(r"[()\[\]（）【】〔〕、,，;；/|·.:：]")
_ITEMS = re.compile(r"[、,，;；/|]+")


def _tokens(vocab: Mapping[str, tuple[str, ...]], words: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """``(squashed word, code)`` pairs, longest first, of ``vocab`` (only ``words`` when given)."""
    table = lookup_table(vocab)
    keys = table if words is None else {squash(w) for w in words}
    return sorted(((k, table[k]) for k in keys if k), key=lambda p: (-len(p[0]), p[0]))


def _disability_tables() -> tuple[dict[str, str], dict[str, str], list[tuple[str, str]], list[tuple[str, str]]]:
    global _DISABILITY_TABLES
    if _DISABILITY_TABLES is None:
        _DISABILITY_TABLES = (
            lookup_table(vocab.DISABILITY),
            lookup_table(vocab.DISABILITY_TYPE),
            _tokens(vocab.DISABILITY_TYPE),
            _tokens(vocab.DISABILITY, vocab.DISABILITY_GRADE_WORDS),
        )
    return _DISABILITY_TABLES


_DISABILITY_TABLES: tuple[dict[str, str], dict[str, str], list[tuple[str, str]], list[tuple[str, str]]] | None = None


def read_disability(text: str) -> tuple[str | None, str | None] | None:
    """One disability cell → ``(grade, type)`` (either may be None); None when it cannot be read.

    ``四级`` → ``("mild", None)``; ``肢体残疾`` → ``(None, "physical")``; ``二级肢体残疾``,
    ``肢体残疾（二级）``, ``肢体2级`` → ``("severe", "physical")``; two types in one cell
    (``视力、肢体残疾``) → ``multiple``; two different grades → None.
    """
    grades, types, type_tokens, grade_tokens = _disability_tables()
    key = squash(text)
    if key in grades:
        return grades[key], None
    if key in types:
        return None, types[key]
    rest = _CELL_PUNCT.sub("\0", key)
    found_types: list[str] = []
    found_grades: list[str] = []
    for tokens, found in ((type_tokens, found_types), (grade_tokens, found_grades)):
        for word, code in tokens:
            while word in rest:
                found.append(code)
                rest = rest.replace(word, "\0", 1)
    for word in sorted((squash(w) for w in vocab.DISABILITY_FILLER), key=len, reverse=True):
        rest = rest.replace(word, "\0")
    if rest.strip("\0") or not (found_types or found_grades) or len(set(found_grades)) > 1:
        return None
    kinds = set(found_types)
    kind = None if not kinds else kinds.pop() if len(kinds) == 1 else "multiple"
    return (found_grades[0] if found_grades else None), kind


def _disability_error() -> Reason:
    grades = "、".join(vocab.DISABILITY_GRADE_WORDS[:4])
    kinds = "、".join(words[1] for words in vocab.DISABILITY_TYPE.values())
    return (
        f"unknown value (allowed: a disability grade {', '.join(vocab.DISABILITY)}, a type "
        f"{', '.join(vocab.DISABILITY_TYPE)}, or both in one cell such as 肢体残疾二级)",
        f"无法识别的残疾情况（允许：等级如{grades}，类别如{kinds}，或写在一起如“肢体残疾二级”）",
    )


def parse_disability(col: Column, values: pd.Series) -> Parsed:
    """A disability grade and/or type (``残疾等级`` / ``残疾类别`` / both in one cell) → ``(grade, type)``."""

    def one(v: object) -> tuple[object, Reason | None]:
        text = normalize_text(v)
        if text is None:
            return None, None
        read = read_disability(text)
        return (read, None) if read is not None else (None, _disability_error())

    return _by_unique(values, one)


def parse_health(col: Column, values: pd.Series) -> Parsed:
    """Health (健康状况) → ``(health, disability)``: the worst health the cell names, and ``(grade, type)`` when
    it names a disability (``残疾`` → ``(None, None)``: disabled, grade and type not said), else None."""
    lookup = lookup_table(vocab.HEALTH)
    order = list(vocab.HEALTH)
    disabled = {squash(w) for w in vocab.HEALTH_DISABLED}

    def one(v: object) -> tuple[object, Reason | None]:
        text = normalize_text(v)
        if text is None:
            return None, None
        whole = squash(text)
        items = [whole] if whole in lookup or whole in disabled else [squash(i) for i in _ITEMS.split(text)]
        health: str | None = None
        disability: tuple[str | None, str | None] | None = None
        for item in filter(None, items):
            if item in lookup:
                code = lookup[item]
                health = code if health is None or order.index(code) > order.index(health) else health
            elif item in disabled:
                disability = disability or (None, None)
            else:
                read = read_disability(item)
                if read is None or read[0] == "none":
                    return None, (
                        f"unknown value (allowed: {', '.join(vocab.HEALTH)}, or 残疾 / a disability)",
                        f"无法识别的取值（允许：{'、'.join(w[1] for w in vocab.HEALTH.values())}、残疾）",
                    )
                disability = read
        return (health, disability), None

    return _by_unique(values, one)


def parse_employment(col: Column, values: pd.Series) -> Parsed:
    """Employment status (就业状态 / 务工状况) → ``(status, work place the word names)``.

    ``乡镇内务工`` → ``("employed_local", "town")``; ``务工`` → ``("employed", None)`` (local or away by
    ``work_place``); a bare place (``省外``) → ``("employed", "out_of_province")``.
    """
    statuses = lookup_table(vocab.EMPLOYMENT_STATUS)
    places = lookup_table(vocab.WORK_PLACE)
    somewhere = {squash(w) for w in vocab.EMPLOYED_SOMEWHERE}

    def one(v: object) -> tuple[object, Reason | None]:
        text = normalize_text(v)
        if text is None:
            return None, None
        key = squash(text)
        place = places.get(key)
        if key in statuses:
            return (statuses[key], place), None
        if key in somewhere or place is not None:
            return (EMPLOYED_SOMEWHERE_CODE, place), None
        table = vocab.EMPLOYMENT_STATUS
        return None, (
            f"unknown value (allowed: {', '.join(table)}, or where the person works such as 县内务工)",
            f"无法识别的取值（允许：{'、'.join(w[1] for w in table.values())}，或务工地点如“县内务工”）",
        )

    return _by_unique(values, one)


def parser_for(col: Column) -> Callable[[pd.Series], Parsed]:
    """The parser that reads one column of this kind."""
    from features.contract.idcard import id_number_parts

    special: dict[str, Callable[[Column, pd.Series], Parsed]] = {
        "disability": parse_disability,
        "health": parse_health,
        "employment": parse_employment,
    }
    if col.kind in special:
        fn_special = special[col.kind]
        return lambda s: fn_special(col, s)
    if col.choices is not None:
        return lambda s: parse_choice(col, s, col.choices)  # type: ignore[arg-type]
    if col.kind == "id_number":

        def idn(s: pd.Series | np.ndarray) -> Parsed:
            numbers, _, _, errors = id_number_parts(omap(s, normalize_text))
            return Parsed(numbers, errors, numbers.dtype)

        return idn
    table: dict[str, Callable[[Column, pd.Series], Parsed]] = {
        "text": parse_text,
        "id": parse_id,
        "int": parse_number,
        "float": parse_number,
        "lat": parse_number,
        "lon": parse_number,
        "bool": parse_bool,
        "list": parse_list,
        "date": parse_date,
        "datetime": parse_date,
        "phone": parse_phone,
        "occupation_code": parse_occupation_code,
        "range": parse_range,
    }
    fn = table[col.kind]
    return lambda s: fn(col, s)
