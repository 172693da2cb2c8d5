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

Job-ad titles (``features/data/occupation_titles.csv``, source ``title_alias``) add
the words employers write that neither table holds (会计, 采购, 程序员, 英语翻译,
bartender …) and *heads*: role words that only name a group (工程师 → 2-02,
老师 → 2-08, 操作工 → 6). Chinese titles are head-final, so inside a segment the
word that ends last is the **head** and the words before it are modifiers: in
电商会计 the accountant is the occupation and 电商 only says where; in 土木工程师
the head 工程师 keeps the answer among engineers and the skill word 木工 hidden in
土木 yields. The first segment holding a known word is the **main** one (later
segments are context: 采购员 五金配件). A title word decides a title over a skill
word spelt the same (车工 is a lathe operator).

:meth:`OccupationNormalizer.resolve` adds a calibrated confidence (the probability
that the first code is right, a logistic model over the top score, the margin to
the second, whether a known word produced it and how much of the title known
words cover; fitted on the tune half of ``occupation_eval_ads.csv`` and kept in
``features/data/occupation_calibration.json``) and answers **unknown** below
its threshold, with the best guesses still listed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
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
from features.taxonomy import Taxonomy, code_prefix, get_taxonomy
from features.text import normalize_text, split_list

__all__ = [
    "OccupationMatch",
    "OccupationNormalizer",
    "OccupationResult",
    "SkillInfo",
    "ArtifactError",
    "get_normalizer",
    "confidence_features",
    "load_title_words",
    "SOURCES",
    "TITLE_WORDS_PATH",
    "CALIBRATION_PATH",
]

SOURCES = ("title_alias", "skill_alias", "classification_alias", "tfidf")
_DATA = Path(__file__).parent / "data"
TITLE_WORDS_PATH = _DATA / "occupation_titles.csv"
CALIBRATION_PATH = _DATA / "occupation_calibration.json"
#: Used when the calibration file is missing (the shipped file overrides it).
DEFAULT_CALIBRATION: dict[str, Any] = {
    "features": ["top_score", "margin", "lookup", "coverage"],
    "coef": [4.0, 3.0, 1.0, 1.0],
    "intercept": -3.0,
    "threshold": 0.5,
}
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z0-9+#.]+")
_LATIN_CHAR = re.compile(r"[a-z]")
_CONTAINED_MAX = 0.97  # a known word inside a longer title never ties a whole-title hit
_NOT_FITTED = "%(name)s 尚未训练，请先调用 fit() 或 load() / %(name)s is not fitted yet; call fit() or load()"
_NAME_SUFFIXES = ("工人", "工", "员", "师")


class OccupationMatch(NamedTuple):
    """One candidate occupation for a text."""

    code: str
    name: str
    score: float
    source: str


class OccupationResult(NamedTuple):
    """A title's answer: the code, or ``unknown`` with the best guesses.

    ``code``/``name`` are ``None`` when ``unknown``; ``matches`` always holds the
    ranked guesses (empty for a title with nothing occupational in it).
    ``confidence`` is the calibrated probability that ``matches[0]`` is right.
    """

    code: str | None
    name: str | None
    confidence: float
    unknown: bool
    matches: list[OccupationMatch]


class SkillInfo(NamedTuple):
    """What a canonical skill leads to."""

    codes: tuple[str, ...]
    course: str | None
    physical_demand: str


def load_title_words(path: Path = TITLE_WORDS_PATH) -> list[tuple[str, tuple[str, ...]]]:
    """Read ``word, code, note`` rows (``#`` lines are comments; ``code`` may list several, ``|``)."""
    rows: list[tuple[str, tuple[str, ...]]] = []
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            word, codes = (row.get("word") or "").strip(), (row.get("code") or "").strip()
            if word and codes:
                rows.append((word, tuple(c.strip() for c in codes.split("|") if c.strip())))
    return rows


def confidence_features(matches: Sequence[OccupationMatch], coverage: float) -> list[float]:
    """The calibration model's inputs: top score, margin to the second, known word, coverage."""
    if not matches:
        return [0.0, 0.0, 0.0, 0.0]
    second = matches[1].score if len(matches) > 1 else 0.0
    return [matches[0].score, matches[0].score - second, float(matches[0].source != "tfidf"), coverage]


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
    head_bonus, main_bonus : float
        Added to a known word that is the head of its segment / lies in the main segment.
    group_bonus : float
        Added to the TF-IDF score of every occupation inside the group a head word names.
    off_group_factor : float
        Multiplies a known word's score when the main head names a group it lies outside.
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
        head_bonus: float = 0.12,
        main_bonus: float = 0.06,
        group_bonus: float = 0.2,
        off_group_factor: float = 0.4,
        batch_size: int = 1024,
    ) -> None:
        self.ngram_range = ngram_range
        self.name_weight = name_weight
        self.definition_weight = definition_weight
        self.parent_weight = parent_weight
        self.tfidf_scale = tfidf_scale
        self.min_skill_alias_len = min_skill_alias_len
        self.min_classification_alias_len = min_classification_alias_len
        self.head_bonus = head_bonus
        self.main_bonus = main_bonus
        self.group_bonus = group_bonus
        self.off_group_factor = off_group_factor
        self.batch_size = batch_size

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        taxonomy: Taxonomy,
        skills: SkillTable | None = None,
        title_words: Sequence[tuple[str, Sequence[str]]] | str = "shipped",
        calibration: dict[str, Any] | str = "shipped",
    ) -> OccupationNormalizer:
        """Build the lookup tables and TF-IDF matrices.

        Parameters
        ----------
        taxonomy : Taxonomy
            The classification; its level-4 nodes are the targets.
        skills : SkillTable, optional
            The rural skill table; without it only the classification is used.
        title_words : sequence of (word, codes), default the shipped title words
            Job-ad words (see :func:`load_title_words`); ``()`` for none. A code of
            level 4 is a lookup; a group code makes the word a head for that group.
        calibration : dict, default the shipped calibration
            ``coef``, ``intercept`` and ``threshold`` of the confidence model.

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
        # Job-ad title words: level-4 codes are lookups (and TF-IDF rows), group codes are heads.
        words = load_title_words() if isinstance(title_words, str) else list(title_words)
        title_alias: dict[str, list[int]] = {}
        title_groups: dict[str, list[str]] = {}
        for word, word_codes in words:
            key = alias_key(word)
            for code in word_codes:
                level = taxonomy.get(code).level
                if level == 4 and code in index:
                    title_alias.setdefault(key, []).append(index[code])
                    alias_rows.append((word, index[code]))
                else:
                    title_groups.setdefault(key, []).append(code_prefix(code, level))
        self.title_alias_ = title_alias
        self.title_groups_ = title_groups
        self.max_alias_len_ = max(len(k) for k in [*self.skill_alias_, *class_alias, *title_alias, *title_groups])
        chosen: dict[str, Any] = DEFAULT_CALIBRATION
        if not isinstance(calibration, str):
            chosen = calibration
        else:
            try:
                chosen = json.loads(CALIBRATION_PATH.read_text("utf-8"))
            except (OSError, ValueError):
                pass
        self.calibration_ = {k: chosen[k] for k in ("coef", "intercept", "threshold")}

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
            "n_title_words": len(words),
        }
        return self

    # -------------------------------------------------------------- lookup
    def _lookup(self, cleaned: str, raw_key: str) -> tuple[dict[int, tuple[float, str]], list[str], float]:
        """Known words of a title: ``({code index: (score, source)}, head groups, coverage)``."""
        out: dict[int, tuple[float, str]] = {}

        def put(idx: int, score: float, source: str) -> None:
            if idx not in out or score > out[idx][0]:
                out[idx] = (min(score, 1.0), source)

        def put_skill(skill: str, score: float, cap: float = 1.0) -> None:
            for rank, idx in enumerate(self.skills_[skill]["code_index"]):
                put(idx, min(score, cap) * (1.0 - 0.03 * rank), "skill_alias")

        key = cleaned.replace(" ", "")
        groups: list[str] = []
        for candidate in dict.fromkeys((raw_key, key)):
            if candidate in self.title_alias_:  # a title word decides a title over a skill word
                for idx in self.title_alias_[candidate]:
                    put(idx, 1.0, "title_alias")
            elif candidate in self.skill_alias_:
                put_skill(self.skill_alias_[candidate], 1.0)
            for idx, score in self.classification_alias_.get(candidate, ()):
                put(idx, score, "classification_alias")
            groups.extend(self.title_groups_.get(candidate, ()))
        if out or not key:
            return out, groups, 1.0 if out or groups else 0.0
        total = len(key)
        index = self.__dict__.get("_known_keys")
        if index is None:  # every word any index knows, for one non-nested search across all of them
            index = self.__dict__["_known_keys"] = frozenset(
                [*self.skill_alias_, *self.classification_names_, *self.title_alias_, *self.title_groups_]
            )
        hits = [
            (start, end, alias)
            for start, end, alias in contained_aliases(cleaned, index, self.min_skill_alias_len, self.max_alias_len_)
            if end - start >= self.min_classification_alias_len
            or alias in self.skill_alias_
            or alias in self.title_alias_
            or alias in self.title_groups_
        ]
        # Segments in blank-free positions; a Latin word matches whole words only (ui ≠ guitar).
        bounds = np.cumsum([len(seg) for seg in cleaned.split(" ")])
        starts = np.concatenate([[0], bounds[:-1]])

        def whole_word(start: int, end: int, alias: str) -> bool:
            if not _LATIN.fullmatch(alias):
                return True
            seg = int(np.searchsorted(bounds, start, side="right"))
            before = start == starts[seg] or not _LATIN_CHAR.match(key[start - 1])
            after = end == bounds[seg] or not _LATIN_CHAR.match(key[end])
            return before and after

        hits = [hit for hit in hits if whole_word(*hit)]
        if not hits:
            return out, groups, 0.0
        # Segments in blank-free positions. The main segment is the first holding a known word;
        # its head is the specific word that ends last (a group word such as 司机 or 工程师 names
        # the kind of work and leaves the specific word before it to say which: 代驾司机).
        segment = [int(np.searchsorted(bounds, start, side="right")) for start, _, _ in hits]
        main = min(segment)
        specific = [
            alias not in self.title_groups_
            and not (alias in self.skill_alias_ and alias in self.generic_aliases_ and alias not in self.title_alias_)
            for _, _, alias in hits
        ]
        main_ends = [end for (_, end, _), seg in zip(hits, segment, strict=True) if seg == main]
        main_specific_ends = [
            end for (_, end, _), seg, spec in zip(hits, segment, specific, strict=True) if seg == main and spec
        ]
        head_end = max(main_specific_ends, default=max(main_ends))
        covered = np.zeros(total, dtype=bool)
        skill_cover: dict[str, list[float]] = {}  # skill: [specific chars, generic chars, best bonus]
        scored: list[tuple[list[int], float, str]] = []
        for (start, end, alias), seg in zip(hits, segment, strict=True):
            covered[start:end] = True
            in_main = seg == main
            bonus = (self.head_bonus * (end == head_end) + self.main_bonus) if in_main else 0.0
            share = (end - start) / total
            if alias in self.title_groups_ and in_main and end == max(main_ends):
                groups.extend(self.title_groups_[alias])
            if alias in self.title_alias_:
                scored.append((self.title_alias_[alias], 0.5 + 0.45 * share + bonus, "title_alias"))
            elif alias in self.skill_alias_:
                # A title naming one skill twice (电焊工（二保焊）) covers more of it; a generic
                # word (工人, 包装) scores low enough to yield to the rest.
                # A generic word alone in the main segment (打包工 仓库) is that segment's trade.
                is_generic = alias in self.generic_aliases_ and not (in_main and not main_specific_ends)
                slot = skill_cover.setdefault(self.skill_alias_[alias], [0.0, 0.0, 0.0])
                slot[int(is_generic)] += end - start
                slot[2] = max(slot[2], bonus)
            if alias in self.classification_names_ and end - start >= self.min_classification_alias_len:
                idxs = [idx for idx, _ in self.classification_alias_[alias]]
                scored.append((idxs, 0.5 + 0.43 * share + bonus, "classification_alias"))

        # Contained hits stay below whole-title ones (_CONTAINED_MAX).
        for skill, (specific_len, generic_len, best) in skill_cover.items():
            if specific_len:
                put_skill(skill, 0.5 + 0.45 * min(specific_len + generic_len, total) / total + best, _CONTAINED_MAX)
            else:
                put_skill(skill, 0.1 + 0.3 * min(generic_len, total) / total + best / 2, _CONTAINED_MAX)
        for idxs, score, source in scored:
            for idx in idxs:
                put(idx, min(score, _CONTAINED_MAX), source)
        if groups:  # the main head names a group: known words outside it were modifiers
            for idx, (score, source) in list(out.items()):
                if not any(self.codes_[idx].startswith(g) for g in groups):
                    out[idx] = (score * self.off_group_factor, source)
        return out, groups, float(covered.mean())

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
        return [matches for matches, _ in self._rank(texts, k)]

    def _rank(self, texts: Sequence[str | None], k: int) -> list[tuple[list[OccupationMatch], float]]:
        """Ranked matches and known-word coverage of each text (the body of :meth:`normalize`)."""
        check_is_fitted(self, "vectorizer_", msg=_NOT_FITTED)
        if isinstance(texts, str):
            raise TypeError(
                "texts 应为字符串序列，单条请用 normalize_one() / texts must be a sequence of "
                "strings; use normalize_one() for a single text"
            )
        if not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"k={k!r} 无效，须为 ≥1 的整数 / k={k!r} is invalid; need an int ≥ 1")
        cleaned = [clean_title(t) if isinstance(t, str) else "" for t in texts]
        results: list[tuple[list[OccupationMatch], float]] = []
        for start in range(0, len(cleaned), self.batch_size):
            chunk = cleaned[start : start + self.batch_size]
            raw_chunk = texts[start : start + self.batch_size]
            looked = [
                self._lookup(clean, alias_key(normalize_text(raw) or "")) if clean else ({}, [], 0.0)
                for clean, raw in zip(chunk, raw_chunk, strict=True)
            ]
            scores = self._tfidf_scores(chunk)
            for row, (clean, (_, groups, _)) in enumerate(zip(chunk, looked, strict=True)):
                if not _CJK.search(clean):
                    scores[row] = 0.0  # character n-grams of Latin words match nothing meaningful
                elif groups:
                    scores[row, self._group_mask(tuple(groups))] += self.group_bonus
            top = _top_k(scores, min(k, scores.shape[1]))
            for row, (clean, (found, _, coverage)) in enumerate(zip(chunk, looked, strict=True)):
                if not clean:
                    results.append(([], 0.0))
                    continue
                found = dict(found)
                for idx in top[row]:
                    score = min(float(scores[row, idx]), 0.99)
                    if score > 0 and (idx not in found or score > found[idx][0]):
                        found[int(idx)] = (score, "tfidf")
                best = sorted(found.items(), key=lambda it: (-it[1][0], self.codes_[it[0]]))[:k]
                matches = [
                    OccupationMatch(str(self.codes_[i]), str(self.names_[i]), round(s, 4), src) for i, (s, src) in best
                ]
                results.append((matches, coverage))
        return results

    def _group_mask(self, groups: tuple[str, ...]) -> np.ndarray:
        cache = self.__dict__.setdefault("_group_masks", {})
        mask = cache.get(groups)
        if mask is None:
            mask = cache[groups] = np.array([any(c.startswith(g) for g in groups) for c in self.codes_])
        return mask

    def resolve(self, texts: Sequence[str | None], k: int = 5) -> list[OccupationResult]:
        """Like :meth:`normalize`, with a calibrated confidence and ``unknown`` below its threshold.

        Returns
        -------
        list of OccupationResult
            One per text: ``code``/``name`` of the first match, or ``unknown`` (code
            ``None``) when the confidence is below ``calibration_['threshold']`` or
            nothing matched; ``matches`` are the ranked guesses either way.
        """
        coef = np.asarray(self.calibration_["coef"], dtype=float)
        intercept = float(self.calibration_["intercept"])
        threshold = float(self.calibration_["threshold"])
        out: list[OccupationResult] = []
        for matches, coverage in self._rank(texts, k):
            if not matches:
                out.append(OccupationResult(None, None, 0.0, True, []))
                continue
            z = intercept + float(coef @ np.asarray(confidence_features(matches, coverage)))
            confidence = round(1.0 / (1.0 + math.exp(-z)), 4)
            unknown = confidence < threshold
            first = matches[0]
            out.append(
                OccupationResult(
                    None if unknown else first.code, None if unknown else first.name, confidence, unknown, matches
                )
            )
        return out

    def resolve_one(self, text: str | None, k: int = 5) -> OccupationResult:
        """Single-text form of :meth:`resolve`."""
        return self.resolve([text], k=k)[0]

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
        sources = [DEFAULT_TAXONOMY_PATH, DEFAULT_SKILLS_PATH, TITLE_WORDS_PATH, CALIBRATION_PATH, Path(__file__)]
        sources += [Path(str(m.__file__)) for m in (occupation_io, occupation_text, skills, taxonomy, text)]
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
