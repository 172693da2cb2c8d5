"""Pair features: what the ranker knows about one person and one post together.

Every feature is computed for arrays of pairs ``(people[pi], posts[pj])`` at
once, so the same code scores one caseworker's lookup and a province's
nightly batch. The names below are also the columns of the training table
and the manifest's record of what the ranker saw.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from matcher.evidence import HISTORY_FEATURES, Evidence, evidence_of, history_features
from matcher.prepare import KINDS, People, Posts, SkillVocab
from matcher.reach import PairGeo
from matcher.similarity import pair_cosine

__all__ = [
    "FEATURES",
    "EmployerStats",
    "PairSkills",
    "PostSkills",
    "pair_features",
    "occupation_level",
    "skill_match",
]

FEATURES: tuple[str, ...] = (
    "cosine",
    "occupation_level",
    "skill_cover",
    "has_required_skills",
    "cert_missing",
    "log_minutes",
    "same_village",
    "same_town",
    "same_county",
    "out_of_province",
    "wage_ratio",
    "log_wage",
    "care_full_time",
    "care_flexible",
    "age",
    "age_margin",
    *[f"kind_{k}" for k in KINDS],
    "home_kind_for_homebound",
    "training_needed_offered",
    "training_wanted",
    "employer_hire_rate",
    "employer_similar_rate",
    "employer_pull",
    "post_pull",
    "physical_gap",
    "transport_far",
    "mobility",
    *HISTORY_FEATURES,
)


def occupation_level(people: People, posts: Posts, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """Deepest shared level (0–4) of the 2022 classification between the person's codes and the post's."""
    pc = people.codes[pi]  # (n, c)
    code = posts.code[pj][:, None]
    valid = (pc >= 0) & (code >= 0)
    level = np.zeros(len(pi), dtype=np.int8)
    for lvl, div in ((1, 1_000_000), (2, 10_000), (3, 100), (4, 1)):
        hit = ((pc // div) == (code // div)) & valid
        level = np.where(hit.any(axis=1), lvl, level)
    return level


@dataclass
class PostSkills:
    """The post side of the skill and certificate matrices, built once per set of posts."""

    skills: SkillVocab
    certs: SkillVocab
    post_skills: sp.csr_matrix
    post_certs: sp.csr_matrix
    post_skill_count: np.ndarray
    post_cert_count: np.ndarray

    @classmethod
    def build(cls, posts: Posts) -> PostSkills:
        skills, certs = SkillVocab(), SkillVocab()
        post_s = skills.matrix(posts.skills)
        post_c = certs.matrix(posts.certificates)
        return cls(
            skills,
            certs,
            post_s,
            post_c,
            np.asarray(post_s.sum(axis=1)).ravel(),
            np.asarray(post_c.sum(axis=1)).ravel(),
        )


@dataclass
class PairSkills:
    """Skill and certificate cells of people and posts over one vocabulary.

    The people's side is their cells as sorted keys ``row * width + column`` (``width``: the posts'
    matrix's), all that a pair's overlap reads of them; it belongs to one call. The posts' side is
    the shared matrices.
    """

    person_skill_keys: np.ndarray
    post_skills: sp.csr_matrix
    person_cert_keys: np.ndarray
    post_certs: sp.csr_matrix
    post_skill_count: np.ndarray
    post_cert_count: np.ndarray

    @classmethod
    def for_people(cls, side: PostSkills, people: People) -> PairSkills:
        skills = side.skills.keys(people.skills, side.post_skills.shape[1])
        certs = side.certs.keys(people.certificates, side.post_certs.shape[1])
        return cls._paired(side, skills, certs)

    @classmethod
    def for_rows(cls, side: PostSkills, people: People, rows: np.ndarray) -> PairSkills:
        """Like :meth:`for_people` with only the lists of ``rows`` read, for pairs of those people only
        (one person's stored list re-checked among all the run's seekers reads that person's lists)."""
        at = np.asarray(rows, dtype=np.int64).tolist()
        skills = side.skills.keys([people.skills[i] for i in at], side.post_skills.shape[1], at)
        certs = side.certs.keys([people.certificates[i] for i in at], side.post_certs.shape[1], at)
        return cls._paired(side, skills, certs)

    @classmethod
    def _paired(cls, side: PostSkills, skills: np.ndarray, certs: np.ndarray) -> PairSkills:
        return cls(skills, side.post_skills, certs, side.post_certs, side.post_skill_count, side.post_cert_count)

    @classmethod
    def build(cls, people: People, posts: Posts) -> PairSkills:
        return cls.for_people(PostSkills.build(posts), people)


def _rowwise_overlap(have: np.ndarray, b: sp.csr_matrix, ai: np.ndarray, bj: np.ndarray) -> np.ndarray:
    """Columns shared by person ``ai[k]`` (whose cells are the sorted keys ``have``, ``row * width +
    column`` with ``width`` the columns of ``b``) and row ``bj[k]`` of ``b`` (a 0/1 matrix), per pair.

    Every column of the post's row is looked up among the person's cells (a sorted search), so
    the cost follows the posts' few skills, not a sparse row product per pair.
    """
    n = len(ai)
    if n == 0:
        return np.zeros(0)
    bj = np.asarray(bj, dtype=np.int64)
    start = b.indptr[bj].astype(np.int64)
    count = b.indptr[bj + 1].astype(np.int64) - start
    total = int(count.sum())
    if total == 0:
        return np.zeros(n)
    pair = np.repeat(np.arange(n, dtype=np.int64), count)
    offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    cols = b.indices[start[pair] + offset].astype(np.int64)
    keys = np.asarray(ai, dtype=np.int64)[pair] * b.shape[1] + cols
    if not len(have):
        return np.zeros(n)
    found = have[np.minimum(np.searchsorted(have, keys), len(have) - 1)] == keys
    return np.bincount(pair, weights=found, minlength=n).astype(np.float64)


def skill_match(ps: PairSkills, pi: np.ndarray, pj: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(skills shared, share of the post's skills covered, certificates missing)`` per pair."""
    shared = _rowwise_overlap(ps.person_skill_keys, ps.post_skills, pi, pj)
    need = ps.post_skill_count[pj]
    cover = np.where(need > 0, shared / np.maximum(need, 1), 0.0)
    certs_held = _rowwise_overlap(ps.person_cert_keys, ps.post_certs, pi, pj)
    missing = ps.post_cert_count[pj] - certs_held
    return shared, cover, missing


@dataclass
class EmployerStats:
    """Smoothed hire rates of employers, overall and for people of the same education band, and the
    pull of employers and posts: how many people turned to them (applied or further).

    Learned from the placement history used for training (never from held-out
    rows), so "employer's past hires of similar people" is an honest feature.
    The pull is a feature, not a penalty: the congestion step
    (:mod:`matcher.congestion`) is what spreads people over scarce openings.

    Shared by a server's concurrent requests: the per-post rates of the last set of posts
    asked about are kept (one entry), built and published under a lock.
    """

    prior: float = 0.1
    strength: float = 5.0
    overall: dict[str, float] = field(default_factory=dict)
    by_band: dict[tuple[str, int], float] = field(default_factory=dict)
    #: People who turned to each employer / each post (vacancy id) in the history.
    employer_turns: dict[str, int] = field(default_factory=dict)
    post_turns: dict[str, int] = field(default_factory=dict)
    _cache: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)
    _lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(_cache=None, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _lock=threading.Lock())

    @staticmethod
    def band(education: np.ndarray) -> np.ndarray:
        # 0: none/primary, 1: junior, 2: senior and above (unknown counts as junior).
        return np.where(education <= 1, np.where(education < 0, 1, 0), np.where(education == 2, 1, 2))

    @classmethod
    def fit(
        cls,
        employer: np.ndarray,
        education: np.ndarray,
        hired: np.ndarray,
        turned: np.ndarray | None = None,
        post_id: np.ndarray | None = None,
    ) -> EmployerStats:
        """Rates from history pairs: each pair's employer, the person's education, whether it ended in a
        hire; ``turned`` (whether the person applied or went further) and ``post_id`` give the pulls."""
        stats = cls()
        if turned is not None and len(hired):
            t = np.asarray(turned, dtype=bool)
            emp = pd.Series(employer[t]).dropna().astype(str)
            stats.employer_turns = {str(k): int(v) for k, v in emp.value_counts().items()}
            if post_id is not None:
                stats.post_turns = {str(k): int(v) for k, v in pd.Series(post_id[t]).astype(str).value_counts().items()}
        if len(hired):
            stats.prior = float(np.clip(hired.mean(), 0.01, 0.9))
        frame = pd.DataFrame({"e": employer, "b": cls.band(education), "y": hired.astype(float)})
        for key, grp in (
            (("e",), frame.groupby("e")["y"]),
            (("e", "b"), frame.groupby(["e", "b"])["y"]),
        ):
            agg = grp.agg(["sum", "count"])
            rate = (agg["sum"] + stats.prior * stats.strength) / (agg["count"] + stats.strength)
            if key == ("e",):
                stats.overall = {str(k): float(v) for k, v in rate.items()}
            else:
                stats.by_band = {(str(k[0]), int(k[1])): float(v) for k, v in rate.items()}
        return stats

    def post_rates(self, posts: Posts) -> np.ndarray:
        """Per post: the employer's overall rate, its rate for each education band, the employer's pull
        and the post's (``log1p`` of the people who turned to them), shape (m, 6).

        Read-only (shared between callers).
        """
        # Keyed on the employer column, not the Posts object: a snapshot whose openings were patched
        # (``Serving.patched``) shares the column, and the rates do not depend on openings.
        cached = self._cache  # one reference read: a tuple published whole
        if cached is not None and cached[0] is posts.employer:
            return cached[1]
        with self._lock:
            cached = self._cache
            if cached is not None and cached[0] is posts.employer:
                return cached[1]
            overall = np.fromiter(
                (self.overall.get(str(e), self.prior) for e in posts.employer), dtype=np.float64, count=len(posts)
            )
            rates = np.empty((len(posts), 6), dtype=np.float64)
            rates[:, 0] = overall
            for b in range(3):
                rates[:, b + 1] = [
                    self.by_band.get((str(e), b), o) for e, o in zip(posts.employer, overall, strict=True)
                ]
            rates[:, 4] = np.log1p([self.employer_turns.get(str(e), 0) for e in posts.employer])
            rates[:, 5] = np.log1p([self.post_turns.get(str(v), 0) for v in posts.ids])
            rates.flags.writeable = False
            self._cache = (posts.employer, rates)
        return rates

    def to_json(self) -> dict[str, object]:
        return {
            "prior": self.prior,
            "strength": self.strength,
            "overall": self.overall,
            "by_band": [[e, b, r] for (e, b), r in self.by_band.items()],
            "employer_turns": self.employer_turns,
            "post_turns": self.post_turns,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> EmployerStats:
        stats = cls(prior=float(data["prior"]), strength=float(data["strength"]))  # type: ignore[arg-type]
        stats.overall = {str(k): float(v) for k, v in dict(data["overall"]).items()}  # type: ignore[call-overload]
        stats.by_band = {(str(e), int(b)): float(r) for e, b, r in data["by_band"]}  # type: ignore[attr-defined]
        stats.employer_turns = {str(k): int(v) for k, v in dict(data.get("employer_turns", {})).items()}  # type: ignore[call-overload]
        stats.post_turns = {str(k): int(v) for k, v in dict(data.get("post_turns", {})).items()}  # type: ignore[call-overload]
        return stats


def pair_features(
    people: People,
    posts: Posts,
    pi: np.ndarray,
    pj: np.ndarray,
    geo: PairGeo,
    skills: PairSkills,
    employers: EmployerStats,
    cosine: np.ndarray | None = None,
    evidence: Evidence | None = None,
    asof: np.ndarray | None = None,
) -> np.ndarray:
    """Feature matrix of shape (n_pairs, len(FEATURES)), float32.

    ``evidence``: the people's own history (:mod:`matcher.evidence`); default their answers
    (:func:`matcher.evidence.evidence_of`). ``asof``: per pair, the day before which it counts.
    """
    n = len(pi)
    out = np.zeros((n, len(FEATURES)), dtype=np.float32)
    col = {name: i for i, name in enumerate(FEATURES)}
    if cosine is not None:
        out[:, col["cosine"]] = cosine
    elif people.vectors is not None and posts.vectors is not None and n:
        out[:, col["cosine"]] = pair_cosine(people, posts, pi, pj)
    out[:, col["occupation_level"]] = occupation_level(people, posts, pi, pj) / 4.0
    _, cover, missing = skill_match(skills, pi, pj)
    out[:, col["skill_cover"]] = cover
    out[:, col["has_required_skills"]] = skills.post_skill_count[pj] > 0
    out[:, col["cert_missing"]] = missing > 0
    out[:, col["log_minutes"]] = np.log1p(geo.minutes)
    out[:, col["same_village"]] = geo.same_village
    out[:, col["same_town"]] = geo.same_town
    out[:, col["same_county"]] = geo.same_county
    out[:, col["out_of_province"]] = ~geo.same_province & (posts.kind[pj] != KINDS.index("online"))
    wage = posts.wage[pj]
    expected = people.expected_wage[pi]
    ratio = np.where(
        np.isfinite(wage) & np.isfinite(expected) & (expected > 0),
        wage / np.maximum(expected, 1),
        1.0,
    )
    out[:, col["wage_ratio"]] = np.clip(ratio, 0, 3)
    out[:, col["log_wage"]] = np.log1p(np.nan_to_num(wage, nan=0.0))
    care = people.care[pi]
    out[:, col["care_full_time"]] = care & (posts.hours[pj] == 0)
    out[:, col["care_flexible"]] = care & (posts.hours[pj] >= 1)
    age = people.age[pi]
    out[:, col["age"]] = np.nan_to_num(age, nan=40.0) / 60.0
    out[:, col["age_margin"]] = np.clip((posts.age_max[pj] - np.nan_to_num(age, nan=40.0)) / 10.0, -1, 3)
    for k, name in enumerate(KINDS):
        out[:, col[f"kind_{name}"]] = posts.kind[pj] == k
    homebound = care | (people.mobility[pi] <= 1)
    home_kind = (posts.kind[pj] == KINDS.index("workshop_home")) | (posts.kind[pj] == KINDS.index("online"))
    out[:, col["home_kind_for_homebound"]] = homebound & home_kind
    lacking = (cover < 1.0) & (skills.post_skill_count[pj] > 0)
    out[:, col["training_needed_offered"]] = lacking & posts.training_provided[pj]
    out[:, col["training_wanted"]] = lacking & people.wants_training[pi]
    rates = employers.post_rates(posts)
    overall = rates[pj, 0]
    similar = rates[pj, 1 + EmployerStats.band(people.education[pi])]
    out[:, col["employer_hire_rate"]] = overall
    out[:, col["employer_similar_rate"]] = similar
    out[:, col["employer_pull"]] = rates[pj, 4]
    out[:, col["post_pull"]] = rates[pj, 5]
    capacity = 2 - np.maximum(np.minimum(people.health[pi], 2), np.minimum(people.disability[pi], 2))
    out[:, col["physical_gap"]] = posts.physical[pj] - capacity
    far = geo.minutes > 120
    out[:, col["transport_far"]] = far & (posts.transport[pj] | posts.lodging[pj])
    out[:, col["mobility"]] = people.mobility[pi] / 5.0
    ev = evidence if evidence is not None else evidence_of(people, posts)
    if len(ev.pj):
        first = col[HISTORY_FEATURES[0]]
        out[:, first : first + len(HISTORY_FEATURES)] = history_features(people, posts, ev, pi, pj, asof)
    return out
