"""Free text (post title, skill, job intention) → level-4 occupations of 2022.

:class:`OccupationNormalizer` combines two kinds of evidence:

1. **Lookup** (highest confidence). The cleaned title, or a piece of it, is a
   known word: an alias of the rural skill table (``电焊`` → 焊工,
   source ``skill_alias``) or a name, alias or name stem of the
   classification (``中式烹调师``, ``挖掘机司机``, source
   ``classification_alias``). A whole-title hit scores 1.0 / 0.97 / 0.95; a
   hit inside a longer title scores by how much of the title it covers.
2. **TF-IDF** on character 1–3-grams (source ``tfidf``) for everything else:
   the cosine to the nearest name or alias of each occupation (weighted
   highest), to its definition and tasks, and to the names of its groups,
   scaled below the lookup scores.

Each occupation keeps its best score; the ``k`` best are returned, ties broken
by code. Fitting takes well under a second; :func:`get_normalizer` holds the
shared instance built from the shipped data.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from features.occupation_io import ArtifactError, file_sha256, load_normalizer, save_normalizer
from features.occupation_text import clean_title, contained_aliases
from features.skills import SkillTable, UnknownSkillError, alias_key, get_skill_table
from features.taxonomy import Taxonomy, get_taxonomy
from features.text import normalize_text, split_list

__all__ = [
    "OccupationMatch",
    "OccupationNormalizer",
    "SkillInfo",
    "ArtifactError",
    "get_normalizer",
    "SOURCES",
]

SOURCES = ("skill_alias", "classification_alias", "tfidf")
_NOT_FITTED = "%(name)s 尚未训练，请先调用 fit() 或 load() / %(name)s is not fitted yet; call fit() or load()"
_NAME_SUFFIXES = ("工人", "工", "员", "师")


class OccupationMatch(NamedTuple):
    """One candidate occupation for a text."""

    code: str
    name: str
    score: float
    source: str


class SkillInfo(NamedTuple):
    """What a canonical skill leads to."""

    codes: tuple[str, ...]
    course: str | None
    physical_demand: str


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` largest scores per row, shape (n_rows, k).

    ``k`` passes of a vectorised ``argmax`` beat ``argpartition`` several
    times over for the small ``k`` used here; ``scores`` is left unchanged.
    """
    if k > 16:
        return np.argpartition(scores, -k, axis=1)[:, -k:]
    work = scores.copy()
    rows = np.arange(work.shape[0])
    out = np.empty((work.shape[0], k), dtype=np.int64)
    for j in range(k):
        best = work.argmax(axis=1)
        out[:, j] = best
        work[rows, best] = -np.inf
    return out


class OccupationNormalizer(BaseEstimator):
    """Map free text to the best level-4 occupation codes.

    Parameters
    ----------
    ngram_range : tuple of int
        Character n-gram range of the TF-IDF part.
    name_weight, definition_weight, parent_weight : float
        Weights of the cosine to the nearest name/alias, to the definition and
        tasks, and to the group names in the TF-IDF score.
    tfidf_scale : float
        Multiplier putting TF-IDF scores below whole-title lookups.
    min_skill_alias_len, min_classification_alias_len : int
        Shortest alias searched inside a longer title (whole-title lookup
        has no minimum).
    batch_size : int
        Texts scored together in the TF-IDF part (bounds memory).
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 3),
        name_weight: float = 0.6,
        definition_weight: float = 0.25,
        parent_weight: float = 0.15,
        tfidf_scale: float = 0.9,
        min_skill_alias_len: int = 2,
        min_classification_alias_len: int = 3,
        batch_size: int = 1024,
    ) -> None:
        self.ngram_range = ngram_range
        self.name_weight = name_weight
        self.definition_weight = definition_weight
        self.parent_weight = parent_weight
        self.tfidf_scale = tfidf_scale
        self.min_skill_alias_len = min_skill_alias_len
        self.min_classification_alias_len = min_classification_alias_len
        self.batch_size = batch_size

    # ------------------------------------------------------------------ fit
    def fit(self, taxonomy: Taxonomy, skills: SkillTable | None = None) -> OccupationNormalizer:
        """Build the lookup tables and TF-IDF matrices.

        Parameters
        ----------
        taxonomy : Taxonomy
            The classification; its level-4 nodes are the targets.
        skills : SkillTable, optional
            The rural skill table; without it only the classification is used.

        Returns
        -------
        self
        """
        codes = list(taxonomy.level4_codes)
        index = {c: i for i, c in enumerate(codes)}
        self.codes_ = np.array(codes)
        self.names_ = np.array([taxonomy.name(c) for c in codes])

        class_alias: dict[str, dict[int, float]] = {}
        # Names and name stems are searched inside longer titles; the noisy
        # source aliases only ever match a whole title.
        name_keys: set[str] = set()

        def add_class(word: str, idx: int, score: float) -> None:
            key = alias_key(word)
            if len(key) >= 2:
                slot = class_alias.setdefault(key, {})
                slot[idx] = max(slot.get(idx, 0.0), score)
                if score >= 0.96 or word in stems:
                    name_keys.add(key)

        stems: set[str] = set()

        alias_rows: list[tuple[str, int]] = []
        for i, code in enumerate(codes):
            node = taxonomy.get(code)
            add_class(node.name, i, 0.97)
            alias_rows.append((node.name, i))
            for suffix in _NAME_SUFFIXES:
                if node.name.endswith(suffix) and len(node.name) - len(suffix) >= 3:
                    stems.add(node.name[: -len(suffix)])
                    add_class(node.name[: -len(suffix)], i, 0.95)
                    break
            for alias in node.aliases:
                for part in {alias, *alias.split("/")}:
                    add_class(part, i, 0.95)
                alias_rows.append((alias, i))
        self.classification_alias_ = {k: sorted(v.items()) for k, v in class_alias.items()}
        self.classification_names_ = frozenset(name_keys)

        self.skill_alias_: dict[str, str] = {}
        self.generic_aliases_: frozenset[str] = frozenset()
        self.skills_: dict[str, dict[str, Any]] = {}
        if skills is not None:
            self.skill_alias_ = dict(skills.alias_index)
            self.generic_aliases_ = skills.generic_keys
            for entry in skills.entries:
                self.skills_[entry.skill] = {
                    "codes": list(entry.codes),
                    "course": entry.course,
                    "physical_demand": entry.physical_demand,
                    "code_index": [index[c] for c in entry.codes],
                }
                # Generic words (工人, 操作工) say nothing about the trade; as TF-IDF
                # rows they would pull every factory title towards 普工's codes.
                for word in (entry.skill, *entry.aliases):
                    if word not in entry.generic_aliases:
                        alias_rows.extend((word, index[c]) for c in entry.codes)
        self.max_alias_len_ = max(len(k) for k in [*self.skill_alias_, *class_alias])

        # TF-IDF: one vocabulary over every text field, three matrices.
        definitions = [f"{taxonomy.get(c).definition} {taxonomy.get(c).tasks}".strip() for c in codes]
        parents = [" ".join(taxonomy.name(a) for a in taxonomy.ancestors(c)[:2]) for c in codes]
        alias_rows.sort(key=lambda r: r[1])
        row_texts = [alias_key(t) for t, _ in alias_rows]
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char",
            ngram_range=tuple(self.ngram_range),
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.vectorizer_.fit([*row_texts, *definitions, *parents])
        self.alias_matrix_ = self.vectorizer_.transform(row_texts).tocsr()
        row_code = np.array([i for _, i in alias_rows], dtype=np.int64)
        self.alias_row_starts_ = np.searchsorted(row_code, np.arange(len(codes))).astype(np.int64)
        self.definition_matrix_ = self.vectorizer_.transform(definitions).tocsr()
        self.parent_matrix_ = self.vectorizer_.transform(parents).tocsr()
        self._transposed: tuple[sp.csr_matrix, ...] | None = None
        self.data_ = {
            "taxonomy_sha256": file_sha256(taxonomy.source),
            "skills_sha256": file_sha256(skills.source) if skills is not None else None,
            "n_codes": len(codes),
            "n_skills": len(self.skills_),
            "n_alias_rows": len(alias_rows),
        }
        return self

    # -------------------------------------------------------------- lookup
    def _lookup(self, cleaned: str, raw_key: str) -> dict[int, tuple[float, str]]:
        out: dict[int, tuple[float, str]] = {}

        def put(idx: int, score: float, source: str) -> None:
            if idx not in out or score > out[idx][0]:
                out[idx] = (score, source)

        def put_skill(skill: str, score: float) -> None:
            for rank, idx in enumerate(self.skills_[skill]["code_index"]):
                put(idx, score * (1.0 - 0.03 * rank), "skill_alias")

        key = cleaned.replace(" ", "")
        for candidate in dict.fromkeys((raw_key, key)):
            if candidate in self.skill_alias_:
                put_skill(self.skill_alias_[candidate], 1.0)
            for idx, score in self.classification_alias_.get(candidate, ()):
                put(idx, score, "classification_alias")
        if out or not key:
            return out
        # A title naming one skill twice (电焊工（二保焊）) covers more of it;
        # a generic word (工人, 包装) scores low enough to yield to the rest.
        total = len(key)
        covered: dict[str, list[int]] = {}
        for start, end, alias in contained_aliases(
            cleaned, self.skill_alias_, self.min_skill_alias_len, self.max_alias_len_
        ):
            slot = covered.setdefault(self.skill_alias_[alias], [0, 0])
            slot[alias in self.generic_aliases_] += end - start
        for skill, (specific, generic) in covered.items():
            if specific:
                put_skill(skill, 0.5 + 0.45 * min(specific + generic, total) / total)
            else:
                put_skill(skill, 0.1 + 0.3 * min(generic, total) / total)
        for start, end, alias in contained_aliases(
            cleaned,
            self.classification_names_,
            self.min_classification_alias_len,
            self.max_alias_len_,
        ):
            for idx, _ in self.classification_alias_[alias]:
                put(idx, 0.5 + 0.43 * (end - start) / total, "classification_alias")
        return out

    def _tfidf_scores(self, cleaned: list[str]) -> np.ndarray:
        """Return TF-IDF scores, shape (n_texts, n_codes), float32."""
        transposed = getattr(self, "_transposed", None)
        if transposed is None:
            # Column-major copies make the products below plain CSR × CSR.
            matrices = (self.alias_matrix_, self.definition_matrix_, self.parent_matrix_)
            transposed = self._transposed = tuple(m.T.tocsr() for m in matrices)
        alias_t, definition_t, parent_t = transposed
        query = self.vectorizer_.transform([c.replace(" ", "") for c in cleaned])
        by_row = (query @ alias_t).toarray()
        # Nearest alias per occupation: rows are grouped by code.
        name = np.maximum.reduceat(by_row, self.alias_row_starts_, axis=1)
        definition = (query @ definition_t).toarray()
        parent = (query @ parent_t).toarray()
        total = self.name_weight + self.definition_weight + self.parent_weight
        combined = (self.name_weight * name + self.definition_weight * definition + self.parent_weight * parent) / total
        return (self.tfidf_scale * combined).astype(np.float32)

    def normalize(self, texts: Sequence[str | None], k: int = 5) -> list[list[OccupationMatch]]:
        """Return the ``k`` best level-4 occupations of each text.

        Parameters
        ----------
        texts : sequence of str or None
            Post titles, skills or job intentions, raw or dirty. Blank or
            noise-only texts get an empty list.
        k : int
            Matches per text, at least 1.

        Returns
        -------
        list of list of OccupationMatch
            One list per text, best first (score descending, then code).
        """
        check_is_fitted(self, "vectorizer_", msg=_NOT_FITTED)
        if isinstance(texts, str):
            raise TypeError(
                "texts 应为字符串序列，单条请用 normalize_one() / texts must be a sequence of "
                "strings; use normalize_one() for a single text"
            )
        if not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"k={k!r} 无效，须为 ≥1 的整数 / k={k!r} is invalid; need an int ≥ 1")
        cleaned = [clean_title(t) if isinstance(t, str) else "" for t in texts]
        results: list[list[OccupationMatch]] = []
        for start in range(0, len(cleaned), self.batch_size):
            chunk = cleaned[start : start + self.batch_size]
            raw_chunk = texts[start : start + self.batch_size]
            scores = self._tfidf_scores(chunk)
            top = _top_k(scores, min(k, scores.shape[1]))
            for row, (clean, raw) in enumerate(zip(chunk, raw_chunk, strict=True)):
                if not clean:
                    results.append([])
                    continue
                raw_key = alias_key(normalize_text(raw) or "")
                found = self._lookup(clean, raw_key)
                for idx in top[row]:
                    score = float(scores[row, idx])
                    if score > 0 and (idx not in found or score > found[idx][0]):
                        found[int(idx)] = (score, "tfidf")
                best = sorted(found.items(), key=lambda it: (-it[1][0], self.codes_[it[0]]))[:k]
                results.append(
                    [
                        OccupationMatch(str(self.codes_[i]), str(self.names_[i]), round(s, 4), src)
                        for i, (s, src) in best
                    ]
                )
        return results

    def normalize_one(self, text: str | None, k: int = 5) -> list[OccupationMatch]:
        """Single-text form of :meth:`normalize` (same result as a batch of one)."""
        return self.normalize([text], k=k)[0]

    # -------------------------------------------------------------- skills
    def canonical_skills(self, texts: Sequence[str | None]) -> list[list[str]]:
        """Map colloquial skill cells to canonical skill names (``电焊`` → ``焊工``).

        Each text may hold several skills (``电焊、开叉车``); items are split
        with :func:`features.text.split_list`. An item is matched whole first,
        else by the skill aliases it contains. Unknown items are dropped.

        Returns
        -------
        list of list of str
            One list per text, in order of appearance, without duplicates.
        """
        check_is_fitted(self, "vectorizer_", msg=_NOT_FITTED)
        out: list[list[str]] = []
        for text in texts:
            found: list[str] = []
            for item in split_list(text):
                for candidate in (alias_key(item), clean_title(item).replace(" ", "")):
                    if candidate in self.skill_alias_:
                        found.append(self.skill_alias_[candidate])
                        break
                else:
                    hits = contained_aliases(
                        clean_title(item),
                        self.skill_alias_,
                        self.min_skill_alias_len,
                        self.max_alias_len_,
                    )
                    found.extend(self.skill_alias_[a] for _, _, a in sorted(hits))
            out.append(list(dict.fromkeys(found)))
        return out

    def skill_info(self, skill: str) -> SkillInfo:
        """Return ``(codes, course, physical_demand)`` of a skill word or canonical skill.

        Raises
        ------
        UnknownSkillError
            When no canonical skill covers ``skill``.
        """
        names = self.canonical_skills([skill])[0]
        if not names:
            raise UnknownSkillError(skill)
        entry = self.skills_[names[0]]
        return SkillInfo(tuple(entry["codes"]), entry["course"], entry["physical_demand"])

    # ---------------------------------------------------------- save / load
    def save(self, directory: str | Path) -> Path:
        """Write the fitted normaliser to ``directory`` (see :mod:`features.occupation_io`)."""
        check_is_fitted(self, "vectorizer_", msg=_NOT_FITTED)
        return save_normalizer(self, directory)

    @classmethod
    def load(cls, directory: str | Path) -> OccupationNormalizer:
        """Read a normaliser written by :meth:`save`; refuse a foreign or stale one."""
        return load_normalizer(cls, directory)


#: The data directory whose ``cache/`` keeps the fitted normaliser; handed down once by the application
#: (:func:`set_cache_home`), never read from the environment here. A one-slot list: set, not grown.
_CACHE_HOME: list[Path | None] = [None]


def set_cache_home(home: Path | None) -> None:
    """Keep the fitted normaliser under ``home / "cache"`` from now on (None: fit in memory only)."""
    _CACHE_HOME[0] = Path(home) if home is not None else None


@lru_cache(maxsize=1)
def get_normalizer() -> OccupationNormalizer:
    """Return the shared normaliser fitted on the shipped classification and skill table.

    Fitting takes a few seconds, paid by every process (each ``matcher`` command, each
    nightly run, each Dask worker). The fitted normaliser is therefore kept under
    ``<data directory>/cache/`` (when the application named one with :func:`set_cache_home`), in a directory named by a
    digest of the shipped data, the code that fits it and the scikit-learn version, so a
    change to any of them fits afresh. A cache that cannot be read or written is ignored
    (fitted in memory as before).
    """
    cache = _cache_dir()
    if cache is not None and (cache / "manifest.json").exists():
        try:
            return OccupationNormalizer.load(cache)
        except (ArtifactError, OSError, ValueError, KeyError):
            shutil.rmtree(cache, ignore_errors=True)  # unreadable: fitted and written again below
    model = OccupationNormalizer().fit(get_taxonomy(), get_skill_table())
    if cache is not None:
        _write_cache(model, cache)
    return model


def _cache_dir() -> Path | None:
    import sklearn

    from features import occupation_io, occupation_text, skills, taxonomy, text
    from features.skills import DEFAULT_SKILLS_PATH
    from features.taxonomy import DEFAULT_TAXONOMY_PATH

    try:
        sources = [DEFAULT_TAXONOMY_PATH, DEFAULT_SKILLS_PATH, Path(__file__)]
        sources += [Path(m.__file__) for m in (occupation_io, occupation_text, skills, taxonomy, text)]
        digest = hashlib.sha256(sklearn.__version__.encode())
        for path in sources:
            digest.update(str(file_sha256(path)).encode())
    except OSError:
        return None
    home = _CACHE_HOME[0]
    if home is None or not home.is_dir():  # e.g. a Dask worker, which holds no data: nothing written there
        return None
    return home / "cache" / f"occupation-normalizer-{digest.hexdigest()[:16]}"


def _write_cache(model: OccupationNormalizer, cache: Path) -> None:
    """Save beside the target, then rename: a reader never sees half a directory (and two
    processes racing both succeed, one rename losing harmlessly)."""
    partial = cache.with_name(f"{cache.name}.{os.getpid()}.partial")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        model.save(partial)
        partial.rename(cache)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
