"""Frame → inputs of :class:`models.encoder.PersonPostEncoder`: text documents, structured blocks.

Pure functions, no learned state. The text side turns the list columns of a
laborer and the text columns of a vacancy into one document each, with the
occupation normaliser's canonical skill names and occupation names added so
that two clerks' words for one trade (电焊 / 焊工 / 二保焊) share n-grams.
The structured side builds, without Python loops over rows:

* occupation hierarchy multi-hots at levels 1–3, each level hashed (CRC-32,
  stable across processes) into a fixed width;
* a physical-capacity profile of the person against a one-hot of the post's
  physical demand;
* an hours profile of the person against a one-hot of the post's hours.

The person-side profiles are soft priors for the retrieval vector only;
hard eligibility (age, health limits, reach) is enforced by ``matcher/``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp

from features.rows import FEW_ROWS
from models.errors import InputError

__all__ = [
    "OccupationNormalizerLike",
    "LABORER_COLUMNS",
    "VACANCY_COLUMNS",
    "check_columns",
    "list_column",
    "laborer_texts",
    "vacancy_texts",
    "occupation_blocks",
    "physical_blocks",
    "hours_blocks",
    "DEMAND_LEVELS",
    "HOURS_LEVELS",
    "unit_rows",
    "ids_fingerprint",
]

LABORER_COLUMNS = (
    "skills", "certificates", "job_intention", "training_interest",
    "health", "disability", "care_duties", "mobility", "age",
)  # fmt: skip
VACANCY_COLUMNS = (
    "title", "description", "required_skills", "required_certificates",
    "occupation_code", "physical_demand", "hours",
)  # fmt: skip
DEMAND_LEVELS = ("low", "medium", "high")
HOURS_LEVELS = ("full_time", "part_time", "flexible")
_CODE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")

# How well a person fits each physical demand level (low, medium, high), per
# health and disability grade; the person's profile is the element-wise
# minimum of the two rows. Unknown values are treated as the neutral row.
_HEALTH_FIT = {
    "healthy": (1.0, 1.0, 1.0),
    "weak": (1.0, 0.6, 0.15),
    "chronic": (1.0, 0.5, 0.1),
    "serious": (1.0, 0.15, 0.0),
}
_DISABILITY_FIT = {
    "none": (1.0, 1.0, 1.0),
    "mild": (1.0, 0.7, 0.3),
    "moderate": (1.0, 0.4, 0.05),
    "severe": (1.0, 0.1, 0.0),
}
_ALLOWED = {
    "health": tuple(_HEALTH_FIT),
    "disability": tuple(_DISABILITY_FIT),
    "mobility": ("home", "village", "town", "county", "province", "nationwide"),
    "physical_demand": DEMAND_LEVELS,
    "hours": HOURS_LEVELS,
}


class OccupationNormalizerLike(Protocol):
    """What the encoder needs from ``features.occupations.OccupationNormalizer``."""

    def normalize(self, texts: Sequence[str], k: int = ...) -> list[list[Any]]: ...

    def canonical_skills(self, texts: Sequence[str]) -> list[list[str]]: ...


def check_columns(df: pd.DataFrame, columns: Iterable[str], frame: str) -> None:
    """Raise :class:`InputError` naming the first column of ``columns`` missing from ``df``."""
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"{frame}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"{frame}: missing column(s) {', '.join(missing)}; see the data contract"
            f" / {frame} 缺少列：{'、'.join(missing)}"
        )


def list_column(df: pd.DataFrame, name: str) -> list[list[str]]:
    """A list column as lists of non-empty str; ``None``/NaN cells become ``[]``."""
    if name not in df.columns:
        return [[] for _ in range(len(df))]
    out: list[list[str]] = []
    for cell in df[name].tolist():
        if isinstance(cell, (list, tuple, np.ndarray)):
            out.append([str(v) for v in cell if isinstance(v, str) and v])
        elif isinstance(cell, str) and cell:
            out.append([cell])
        else:
            out.append([])
    return out


def text_column(df: pd.DataFrame, name: str) -> list[str]:
    """A text column as str; missing cells become ``""``."""
    if name not in df.columns:
        return [""] * len(df)
    return [v if isinstance(v, str) else "" for v in df[name].tolist()]


def _canonical_map(normalizer: OccupationNormalizerLike | None, items: Iterable[str]) -> dict:
    """``{item: "canonical names joined by blanks"}`` for the distinct items."""
    unique = list(dict.fromkeys(items))
    if normalizer is None or not unique:
        return {}
    canon = normalizer.canonical_skills(unique)
    return {item: " ".join(c for c in names if c != item) for item, names in zip(unique, canon, strict=True)}


def _best_codes(
    normalizer: OccupationNormalizerLike | None, texts: Iterable[str], k: int, min_score: float
) -> dict[str, list[tuple[str, str]]]:
    """``{text: [(code, name), ...]}``: top-``k`` codes scoring at least ``min_score``."""
    unique = [t for t in dict.fromkeys(texts) if t]
    if normalizer is None or not unique:
        return {}
    return {
        text: [(str(m.code), str(m.name)) for m in matches[:k] if m.score >= min_score]
        for text, matches in zip(unique, normalizer.normalize(unique, k=k), strict=True)
    }


def laborer_texts(
    df: pd.DataFrame,
    normalizer: OccupationNormalizerLike | None,
    names: dict[str, str],
    k: int,
    min_score: float,
) -> tuple[list[str], list[list[str]]]:
    """Person documents and occupation codes.

    Codes come from the optional ``occupation_codes`` column; a person
    without any gets the normaliser's top-``k`` codes (scoring at least
    ``min_score``) of their job intentions, or failing those, of their
    skills. ``names`` (code → name) is filled in place with the names the
    normaliser reports.

    Returns
    -------
    docs : list of str, length n
    codes : list of list of str, length n
    """
    skills, certs = list_column(df, "skills"), list_column(df, "certificates")
    wants, train = list_column(df, "job_intention"), list_column(df, "training_interest")
    given = list_column(df, "occupation_codes")
    canon = _canonical_map(normalizer, (s for col in (skills, wants, train) for r in col for s in r))
    need = [i for i, c in enumerate(given) if not c]
    items = (s for i in need for s in (*wants[i], *skills[i]))
    found = _best_codes(normalizer, items, k, min_score)
    for pairs in found.values():
        names.update(pairs)
    codes: list[list[str]] = []
    for c, w, s in zip(given, wants, skills, strict=True):
        if not c:
            picked = [code for t in (w or s) for code, _ in found.get(t, ())]
            c = list(dict.fromkeys(picked))[: max(k, 1) * 2]
        codes.append(c)
    docs = [
        " ".join(
            [*s, *(canon.get(x, "") for x in s), *c, *w, *(canon.get(x, "") for x in w), *t]
            + [canon.get(x, "") for x in t]
            + [names.get(code, "") for code in oc]
        )
        for s, c, w, t, oc in zip(skills, certs, wants, train, codes, strict=True)
    ]
    return docs, codes


def vacancy_texts(
    df: pd.DataFrame,
    normalizer: OccupationNormalizerLike | None,
    names: dict[str, str],
    min_score: float,
) -> tuple[list[str], list[str], list[list[str]]]:
    """Post core documents, descriptions and occupation codes (one or none per post).

    A post without ``occupation_code`` gets the normaliser's best code for its
    title when it scores at least ``min_score``.

    Returns
    -------
    core : list of str, length m
        Title, required skills and certificates, canonical names, occupation name.
    descriptions : list of str, length m
    codes : list of list of str, length m
    """
    titles = text_column(df, "title")
    skills, certs = list_column(df, "required_skills"), list_column(df, "required_certificates")
    given = [v if isinstance(v, str) and v else None for v in df["occupation_code"].tolist()]
    canon = _canonical_map(normalizer, [*titles, *(s for r in skills for s in r)])
    found = _best_codes(normalizer, (t for t, g in zip(titles, given, strict=True) if g is None), 1, min_score)
    for pairs in found.values():
        names.update(pairs)
    codes = [[g] if g else [c for c, _ in found.get(t, ())[:1]] for g, t in zip(given, titles, strict=True)]
    core = [
        " ".join([t, canon.get(t, ""), *s, *(canon.get(x, "") for x in s), *c] + [names.get(code, "") for code in oc])
        for t, s, c, oc in zip(titles, skills, certs, codes, strict=True)
    ]
    return core, text_column(df, "description"), codes


def _prefixes(code: str, field: str) -> tuple[str | None, str | None, str | None]:
    if not _CODE.match(code):
        raise InputError(
            f"{field}: got {code!r}; allowed: a 2022 classification code such as 6-18-02-04 / 职业代码格式错误"
        )
    a, b, c, _ = code.split("-")
    return (
        f"1:{a}",
        f"2:{a}-{b}" if b != "00" else None,
        f"3:{a}-{b}-{c}" if b != "00" and c != "00" else None,
    )


def occupation_blocks(
    codes: Sequence[Sequence[str]], widths: Sequence[int], weights: Sequence[float], field: str
) -> np.ndarray:
    """Hashed level-1..3 occupation multi-hots, each level L2-normalised then weighted.

    Returns
    -------
    ndarray of float32, shape (n, sum(widths))
    """
    n, total = len(codes), int(sum(widths))
    lengths = np.fromiter((len(c) for c in codes), dtype=np.int64, count=n)
    flat = [code for c in codes for code in c]
    out = np.zeros((n, total), dtype=np.float32)
    if not flat:
        return out
    idx, uniques = pd.factorize(pd.Series(flat, dtype=object))
    rows = np.repeat(np.arange(n), lengths)
    incidence = sp.csr_matrix((np.ones(len(flat), dtype=np.float32), (rows, idx)), shape=(n, len(uniques)))
    offset = 0
    for level, (width, weight) in enumerate(zip(widths, weights, strict=True)):
        hashed = np.zeros((len(uniques), width), dtype=np.float32)
        for u, code in enumerate(uniques):
            key = _prefixes(code, field)[level]
            if key is not None:
                hashed[u, zlib.crc32(key.encode()) % width] = 1.0
        block = np.asarray(incidence @ hashed, dtype=np.float32)
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        np.divide(block, norms, out=block, where=norms > 0)
        out[:, offset : offset + width] = block * np.float32(weight)
        offset += width
    return out


def _codes(df: pd.DataFrame, name: str, frame: str, few: int = FEW_ROWS) -> np.ndarray:
    """Category codes of an enum column (-1 for missing); a value outside the vocabulary raises."""
    allowed = _ALLOWED[name]
    values = df[name]
    if len(values) <= few:
        table = {v: i for i, v in enumerate(allowed)}
        cells = values.to_numpy(dtype=object)
        missing = pd.isna(cells)
        codes = np.fromiter(
            (-1 if gone else _lookup(table, v) for v, gone in zip(cells, missing, strict=True)),
            dtype=np.int64,
            count=len(cells),
        )
        bad = (codes < 0) & ~missing
    else:
        codes = pd.Index(allowed).get_indexer(values.astype(object))
        bad = (codes < 0) & values.notna().to_numpy()
    if bad.any():
        first = values[bad].iloc[0]
        raise InputError(
            f"{frame}.{name}: got {first!r}; allowed: {', '.join(allowed)} / {name} 的值 {first!r} 不在允许范围内"
        )
    return np.asarray(codes, dtype=np.int64)


def _lookup(table: dict[str, int], value: object) -> int:
    try:
        return table.get(value, -1)  # type: ignore[call-overload]
    except TypeError:  # an unhashable cell (a list where a word belongs): outside the vocabulary
        return -1


def _profile(codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Rows of ``table`` by category code; code -1 takes the neutral last row."""
    return table[np.where(codes >= 0, codes, len(table) - 1)]


def physical_blocks(laborers: pd.DataFrame, vacancies: pd.DataFrame | None = None) -> np.ndarray:
    """Person capacity profile (n, 3), or post demand one-hot (m, 3) when ``vacancies`` is given.

    Rows are L2-normalised; a post of unknown demand gets zeros, a person of
    unknown health the neutral profile. People over 55 fit heavy work less.
    """
    if vacancies is not None:
        return _onehot(_codes(vacancies, "physical_demand", "vacancies"), 3)
    ones = (1.0, 1.0, 1.0)
    health = np.array([*_HEALTH_FIT.values(), ones], dtype=np.float32)
    disability = np.array([*_DISABILITY_FIT.values(), ones], dtype=np.float32)
    prof = np.minimum(
        _profile(_codes(laborers, "health", "laborers"), health),
        _profile(_codes(laborers, "disability", "laborers"), disability),
    )
    age = pd.to_numeric(laborers["age"], errors="coerce").to_numpy(dtype=np.float64)
    older = np.nan_to_num(age, nan=0.0) > 55
    prof[older, 2] *= np.float32(0.5)
    return unit_rows(prof)


def hours_blocks(laborers: pd.DataFrame, vacancies: pd.DataFrame | None = None) -> np.ndarray:
    """Person hours profile (n, 3), or post hours one-hot (m, 3) when ``vacancies`` is given.

    A person with care duties, or who will not leave home, fits part-time and
    flexible posts better than full-time ones; everyone else is neutral.
    """
    if vacancies is not None:
        return _onehot(_codes(vacancies, "hours", "vacancies"), 3)
    mobility = _codes(laborers, "mobility", "laborers")
    care = laborers["care_duties"].eq(True).to_numpy()
    tied = care | (mobility == _ALLOWED["mobility"].index("home"))
    prof = np.ones((len(laborers), 3), dtype=np.float32)
    prof[tied, 0] = 0.25
    return unit_rows(prof)


def _onehot(codes: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros((len(codes), width), dtype=np.float32)
    known = codes >= 0
    out[np.flatnonzero(known), codes[known]] = 1.0
    return out


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (all-zero rows stay zero), as a new array."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def ids_fingerprint(df: pd.DataFrame, column: str) -> str | None:
    """Order-independent fingerprint of an id column (the data snapshot), as hex."""
    if column not in df.columns:
        return None
    hashed = pd.util.hash_pandas_object(df[column].astype(str), index=False).to_numpy()
    return f"{int(np.bitwise_xor.reduce(hashed)):016x}"
