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

from matcher.pairs import EmployerStats, PairSkills, pair_features
from matcher.prepare import People, Posts
from matcher.reach import eligible, pair_geo, ring_of

__all__ = ["TrainingTable", "interactions", "training_table", "HIRED"]

HIRED = ("hired", "retained_6m", "quit")


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


def _random_negatives(people: People, posts: Posts, person_rows: np.ndarray, per_person: int,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
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


def training_table(people: People, posts: Posts, history: pd.DataFrame, skills: PairSkills,
                   employers: EmployerStats, *, negatives: int = 3, seed: int = 0) -> TrainingTable:
    """Features and labels for the ranker (history pairs + sampled eligible negatives)."""
    rng = np.random.default_rng(seed)
    pi = history["pi"].to_numpy(dtype=np.int64)
    pj = history["pj"].to_numpy(dtype=np.int64)
    y = history["hired"].to_numpy(dtype=bool)
    npi, npj = _random_negatives(people, posts, np.unique(pi), negatives, rng)
    if len(npi):
        touched = set(zip(pi.tolist(), pj.tolist(), strict=True))
        fresh = np.fromiter(((a, b) not in touched for a, b in zip(npi.tolist(), npj.tolist(), strict=True)),
                            dtype=bool, count=len(npi))
        geo = pair_geo(people, posts, npi, npj)
        ok = eligible(people, posts, npi, npj, ring_of(people, posts, npi, npj, geo), None) & fresh
        pi = np.concatenate([pi, npi[ok]])
        pj = np.concatenate([pj, npj[ok]])
        y = np.concatenate([y, np.zeros(int(ok.sum()), dtype=bool)])
    geo = pair_geo(people, posts, pi, pj)
    X = pair_features(people, posts, pi, pj, geo, skills, employers)
    return TrainingTable(X, y, pi, pj)
