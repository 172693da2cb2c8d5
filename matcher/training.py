"""The ranker's training table: placement history plus sampled negatives, as pair features.

A (person, post) pair is positive when the person was hired there
(``hired``, ``retained_6m`` or a later ``quit``), negative when it stopped
earlier (``recommended``, ``applied``, ``interviewed``, ``rejected``). Because
the ranker must also tell a fitting post from any post within reach, each
person in the history also gets ``negatives`` random eligible posts of their
own county that they never touched.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from matcher.pairs import FEATURES, EmployerStats, PairSkills, pair_features
from matcher.prepare import People, Posts
from matcher.reach import eligible, pair_geo, ring_of

__all__ = ["TrainingTable", "interactions", "training_table", "HIRED"]

HIRED = ("hired", "retained_6m", "quit")
#: Person folds for the out-of-fold employer rates of the history rows.
EMPLOYER_FOLDS = 5


class TrainingTable(NamedTuple):
    X: np.ndarray
    y: np.ndarray
    pi: np.ndarray
    pj: np.ndarray


def interactions(placements: pd.DataFrame, people: People, posts: Posts) -> pd.DataFrame:
    """One row per (person, post) of the history: positions, label, last date."""
    if placements.empty:
        return pd.DataFrame({"pi": [], "pj": [], "hired": [], "date": []})
    frame = placements[["laborer_id", "vacancy_id", "outcome", "date"]].copy()
    frame["pi"] = frame["laborer_id"].map(people.position)
    frame["pj"] = frame["vacancy_id"].map(posts.position)
    frame = frame.dropna(subset=["pi", "pj"])
    frame["hired"] = frame["outcome"].isin(HIRED)
    grouped = frame.groupby(["pi", "pj"], sort=False).agg(hired=("hired", "any"), date=("date", "max")).reset_index()
    grouped["pi"] = grouped["pi"].astype(np.int64)
    grouped["pj"] = grouped["pj"].astype(np.int64)
    return grouped


def _random_negatives(
    people: People, posts: Posts, person_rows: np.ndarray, per_person: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    pis, pjs = [], []
    by_county: dict[int, list[int]] = {}
    for i in person_rows:
        by_county.setdefault(int(people.county[i]), []).append(int(i))
    for county, members in by_county.items():
        pool = posts.by_county.get(county)
        if pool is None or len(pool) == 0:
            continue
        m = np.asarray(members, dtype=np.int64)
        pis.append(np.repeat(m, per_person))
        pjs.append(rng.choice(pool, size=len(m) * per_person, replace=True))
    if not pis:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(pis), np.concatenate(pjs)


def training_table(
    people: People,
    posts: Posts,
    history: pd.DataFrame,
    skills: PairSkills,
    employers: EmployerStats,
    *,
    negatives: int = 3,
    seed: int = 0,
) -> TrainingTable:
    """Features and labels for the ranker (history pairs + sampled eligible negatives)."""
    rng = np.random.default_rng(seed)
    pi = history["pi"].to_numpy(dtype=np.int64)
    pj = history["pj"].to_numpy(dtype=np.int64)
    y = history["hired"].to_numpy(dtype=bool)
    npi, npj = _random_negatives(people, posts, np.unique(pi), negatives, rng)
    if len(npi):
        touched = set(zip(pi.tolist(), pj.tolist(), strict=True))
        fresh = np.fromiter(
            ((a, b) not in touched for a, b in zip(npi.tolist(), npj.tolist(), strict=True)), dtype=bool, count=len(npi)
        )
        geo = pair_geo(people, posts, npi, npj)
        ok = eligible(people, posts, npi, npj, ring_of(people, posts, npi, npj, geo), None) & fresh
        pi = np.concatenate([pi, npi[ok]])
        pj = np.concatenate([pj, npj[ok]])
        y = np.concatenate([y, np.zeros(int(ok.sum()), dtype=bool)])
    geo = pair_geo(people, posts, pi, pj)
    X = pair_features(people, posts, pi, pj, geo, skills, employers)
    _out_of_fold_employer_rates(people, posts, history, X, rng)
    return TrainingTable(X, y, pi, pj)


def _out_of_fold_employer_rates(
    people: People, posts: Posts, history: pd.DataFrame, X: np.ndarray, rng: np.random.Generator
) -> None:
    """Overwrite the employer-rate columns of the history rows (the first ``len(history)`` rows of ``X``).

    Rates fitted on the same rows echo each row's own label for employers with a
    handful of funnels; the trees learn the echo and it is gone at serving time.
    Here each row's rates come from the history of the other person folds.
    """
    pi = history["pi"].to_numpy(dtype=np.int64)
    pj = history["pj"].to_numpy(dtype=np.int64)
    hired = history["hired"].to_numpy(dtype=bool)
    persons, inverse = np.unique(pi, return_inverse=True)
    fold = (rng.permutation(len(persons)) % EMPLOYER_FOLDS)[inverse]
    overall, similar = FEATURES.index("employer_hire_rate"), FEATURES.index("employer_similar_rate")
    for k in range(EMPLOYER_FOLDS):
        rows = np.flatnonzero(fold == k)
        if len(rows) == 0:
            continue
        rest = fold != k
        rates = EmployerStats.fit(posts.employer[pj[rest]], people.education[pi[rest]], hired[rest]).post_rates(posts)
        X[rows, overall] = rates[pj[rows], 0]
        X[rows, similar] = rates[pj[rows], 1 + EmployerStats.band(people.education[pi[rows]])]
