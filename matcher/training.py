"""The ranker's training table: every outcome of the placement history, weighted, plus sampled negatives.

What a pair teaches
-------------------
Each (person, post) pair of the history is one *funnel*; it reached a furthest
stage, and it may have ended against the person. Every funnel counts, not only
the hires: real counties record many more pushes, applications and interviews
than hires, and a county with applications but no hire yet still knows which
posts its people turn to.

* A funnel is a **positive** example weighted by the furthest stage it
  reached (:data:`POSITIVE_WEIGHTS`): recommended < applied < interviewed <
  hired < retained six months.
* A funnel that ended in ``rejected``, ``declined`` or ``quit`` is also a
  **negative** example of :data:`NEGATIVE_WEIGHTS` (the same features with
  label 0): an application the employer turned down counts half for, half
  against; a hire that ended in a quit mostly for.
* Every weight halves each :data:`HALF_LIFE_DAYS` days before the history's
  latest date: last year's answers count half of this year's.
* Each person of the history also gets ``negatives`` random eligible posts of
  their own county they never touched (label 0, weight 1), so the ranker
  also tells a fitting post from any post within reach.

The history features (:mod:`matcher.evidence`) of a pair only see the
person's history dated before the pair began (random negatives take the date
of one of the person's funnels), and the employer and post statistics of a
row come from the other person folds (:data:`EMPLOYER_FOLDS`), so no row
learns from its own label.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from matcher.evidence import Evidence
from matcher.pairs import FEATURES, EmployerStats, PairSkills, pair_features
from matcher.prepare import People, Posts, date_ordinals
from matcher.reach import eligible, pair_geo, ring_of

__all__ = [
    "TrainingTable",
    "interactions",
    "training_table",
    "learned_from",
    "HIRED",
    "TURNED",
    "POSITIVE_WEIGHTS",
    "NEGATIVE_WEIGHTS",
    "HALF_LIFE_DAYS",
]

HIRED = ("hired", "retained_6m", "quit")
#: Outcomes by which the person turned to the post (applied or further).
TURNED = ("applied", "interviewed", "rejected", "hired", "retained_6m", "quit")
#: Weight of a funnel as a positive example, by the furthest stage it reached.
POSITIVE_WEIGHTS: dict[str, float] = {
    "recommended": 0.25,
    "contacted": 0.25,
    "applied": 1.0,
    "interviewed": 2.0,
    "hired": 4.0,
    "retained_6m": 6.0,
}
#: Weight of a funnel as a negative example, by how it ended.
NEGATIVE_WEIGHTS: dict[str, float] = {"rejected": 1.0, "declined": 1.0, "quit": 2.0}
#: Stage order of the positive outcomes (a later stage is further down the funnel).
_STAGES = ("recommended", "contacted", "applied", "interviewed", "hired", "retained_6m")
HALF_LIFE_DAYS = 365.0
#: Person folds for the out-of-fold employer and post statistics.
EMPLOYER_FOLDS = 5


class TrainingTable(NamedTuple):
    X: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    hired: np.ndarray
    pi: np.ndarray
    pj: np.ndarray
    #: Each funnel's first row and every random negative: the table without its repeated funnels.
    first: np.ndarray


def interactions(placements: pd.DataFrame, people: People, posts: Posts) -> pd.DataFrame:
    """One row per (person, post) funnel of the history.

    Columns: ``pi``, ``pj`` (positions), ``stage`` (furthest positive outcome, "" when none), ``ended``
    (the negative outcome it ended with, "" when none), ``hired``, ``turned``, ``start`` and ``date``
    (first and last day as proleptic ordinals, -1 unknown), ``w_pos`` and ``w_neg`` (decayed weights).
    """
    columns = ["pi", "pj", "stage", "ended", "hired", "turned", "start", "date", "w_pos", "w_neg"]
    if placements.empty:
        return pd.DataFrame({c: [] for c in columns})
    frame = placements[["laborer_id", "vacancy_id", "outcome", "date"]].copy()
    frame["pi"] = frame["laborer_id"].map(people.position)
    frame["pj"] = frame["vacancy_id"].map(posts.position)
    frame = frame.dropna(subset=["pi", "pj"])
    if frame.empty:
        return pd.DataFrame({c: [] for c in columns})
    frame["day"] = date_ordinals(frame["date"])
    rank = {s: k for k, s in enumerate(_STAGES)}
    frame["rank"] = frame["outcome"].map(rank).fillna(-1).astype(np.int64)
    frame["hired"] = frame["outcome"].isin(HIRED)
    frame["turned"] = frame["outcome"].isin(TURNED)
    # The funnel's last outcome decides how it ended (same-day ties: the later stage).
    order = frame["outcome"].map({**rank, "rejected": 10, "declined": 10, "quit": 11}).fillna(-1)
    frame = frame.assign(_order=order).sort_values(["pi", "pj", "day", "_order"], kind="stable")
    grouped = frame.groupby(["pi", "pj"], sort=True)
    out = grouped.agg(
        rank=("rank", "max"),
        hired=("hired", "any"),
        turned=("turned", "any"),
        start=("day", "min"),
        date=("day", "max"),
        last=("outcome", "last"),
    ).reset_index()
    # A hire that later ended in a quit still reached "hired"; a rejection after an application reached "applied".
    rank_of_hire = rank["hired"]
    out.loc[out["hired"] & (out["rank"] < rank_of_hire), "rank"] = rank_of_hire
    out.loc[out["turned"] & (out["rank"] < rank["applied"]), "rank"] = rank["applied"]
    out["stage"] = [(_STAGES[r] if r >= 0 else "") for r in out["rank"].tolist()]
    out["ended"] = out["last"].where(out["last"].isin(NEGATIVE_WEIGHTS), "")
    latest = int(out["date"].max())
    age = np.where(out["date"].to_numpy() >= 0, latest - out["date"].to_numpy(), 0)
    decay = np.power(0.5, age / HALF_LIFE_DAYS)
    out["w_pos"] = out["stage"].map(POSITIVE_WEIGHTS).fillna(0.0).to_numpy() * decay
    out["w_neg"] = out["ended"].map(NEGATIVE_WEIGHTS).fillna(0.0).to_numpy() * decay
    out["pi"] = out["pi"].astype(np.int64)
    out["pj"] = out["pj"].astype(np.int64)
    return out[columns]


def learned_from(history: pd.DataFrame) -> dict[str, int]:
    """Funnels of the history by furthest stage, and how many ended against the person."""
    counts = {s: int((history["stage"] == s).sum()) for s in _STAGES}
    counts.update({f"ended_{e}": int((history["ended"] == e).sum()) for e in NEGATIVE_WEIGHTS})
    return {k: v for k, v in counts.items() if v}


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


def _moments(history: pd.DataFrame, pi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each person in ``pi``, the start day of one of their funnels drawn at random."""
    hpi = history["pi"].to_numpy(dtype=np.int64)
    order = np.argsort(hpi, kind="stable")
    sorted_pi = hpi[order]
    lo = np.searchsorted(sorted_pi, pi, side="left")
    hi = np.searchsorted(sorted_pi, pi, side="right")
    pick = lo + (rng.random(len(pi)) * (hi - lo)).astype(np.int64)
    return history["start"].to_numpy(dtype=np.int64)[order[np.minimum(pick, len(order) - 1)]]


def training_table(
    people: People,
    posts: Posts,
    history: pd.DataFrame,
    skills: PairSkills,
    employers: EmployerStats,
    *,
    negatives: int = 3,
    seed: int = 0,
    evidence: Evidence | None = None,
) -> TrainingTable:
    """Features, labels and weights for the ranker (history funnels + sampled eligible negatives).

    ``evidence``: the people's history posts (:class:`matcher.evidence.Evidence`); default: built from
    ``history``'s funnels that the person turned to.
    """
    rng = np.random.default_rng(seed)
    pi = history["pi"].to_numpy(dtype=np.int64)
    pj = history["pj"].to_numpy(dtype=np.int64)
    start = history["start"].to_numpy(dtype=np.int64)
    if evidence is None:
        turned = history["turned"].to_numpy(dtype=bool)
        evidence = Evidence._from_triples(len(people), pi[turned], pj[turned], start[turned])
    npi, npj = _random_negatives(people, posts, np.unique(pi), negatives, rng)
    if len(npi):
        touched = set(zip(pi.tolist(), pj.tolist(), strict=True))
        fresh = np.fromiter(
            ((a, b) not in touched for a, b in zip(npi.tolist(), npj.tolist(), strict=True)), dtype=bool, count=len(npi)
        )
        geo = pair_geo(people, posts, npi, npj)
        ok = eligible(people, posts, npi, npj, ring_of(people, posts, npi, npj, geo), None) & fresh
        npi, npj = npi[ok], npj[ok]
    nstart = _moments(history, npi, rng) if len(npi) else np.zeros(0, dtype=np.int64)
    # Rows: each funnel once as a positive (when it reached a positive stage) and once as a negative
    # (when it ended against the person), then the random negatives.
    w_pos = history["w_pos"].to_numpy(dtype=np.float64)
    w_neg = history["w_neg"].to_numpy(dtype=np.float64)
    hired = history["hired"].to_numpy(dtype=bool)
    pos, neg = np.flatnonzero(w_pos > 0), np.flatnonzero(w_neg > 0)
    rows_pi = np.concatenate([pi[pos], pi[neg], npi])
    rows_pj = np.concatenate([pj[pos], pj[neg], npj])
    asof = np.concatenate([start[pos], start[neg], nstart])
    y = np.concatenate([np.ones(len(pos), bool), np.zeros(len(neg), bool), np.zeros(len(npi), bool)])
    w = np.concatenate([w_pos[pos], w_neg[neg], np.ones(len(npi))])
    hire = np.concatenate([hired[pos], hired[neg], np.zeros(len(npi), bool)])
    geo = pair_geo(people, posts, rows_pi, rows_pj)
    X = pair_features(people, posts, rows_pi, rows_pj, geo, skills, employers, evidence=evidence, asof=asof)
    _out_of_fold_employer_rates(people, posts, history, X, rows_pi, rows_pj, rng)
    first = np.ones(len(y), dtype=bool)
    first[len(pos) : len(pos) + len(neg)] = ~np.isin(neg, pos)
    return TrainingTable(X, y, w, hire, rows_pi, rows_pj, first)


def fit_employers(history: pd.DataFrame, people: People, posts: Posts) -> EmployerStats:
    """Employer rates and employer and post pulls from the funnels of ``history``."""
    if len(history) == 0:
        return EmployerStats()
    pi = history["pi"].to_numpy(dtype=np.int64)
    pj = history["pj"].to_numpy(dtype=np.int64)
    return EmployerStats.fit(
        posts.employer[pj],
        people.education[pi],
        history["hired"].to_numpy(dtype=bool),
        history["turned"].to_numpy(dtype=bool),
        posts.ids[pj],
    )


def _out_of_fold_employer_rates(
    people: People,
    posts: Posts,
    history: pd.DataFrame,
    X: np.ndarray,
    rows_pi: np.ndarray,
    rows_pj: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Overwrite the employer and post statistics of every row with those of the other person folds.

    Statistics fitted on the same rows echo each row's own label (an employer with a handful of
    funnels, a post's pull counting the person's own application); the trees learn the echo and it is
    gone at serving time. Here each row's figures come from the history of the other folds.
    """
    hpi = history["pi"].to_numpy(dtype=np.int64)
    persons = np.unique(np.concatenate([hpi, rows_pi]))
    fold_of = rng.permutation(len(persons)) % EMPLOYER_FOLDS
    hist_fold = fold_of[np.searchsorted(persons, hpi)]
    row_fold = fold_of[np.searchsorted(persons, rows_pi)]
    cols = [FEATURES.index(c) for c in ("employer_hire_rate", "employer_pull", "post_pull")]
    similar = FEATURES.index("employer_similar_rate")
    for k in range(EMPLOYER_FOLDS):
        rows = np.flatnonzero(row_fold == k)
        if len(rows) == 0:
            continue
        rates = fit_employers(history[hist_fold != k], people, posts).post_rates(posts)
        at = rows_pj[rows]
        X[rows, cols[0]] = rates[at, 0]
        X[rows, similar] = rates[at, 1 + EmployerStats.band(people.education[rows_pi[rows]])]
        X[rows, cols[1]] = rates[at, 4]
        X[rows, cols[2]] = rates[at, 5]
