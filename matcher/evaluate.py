"""Offline evaluation: do the suggestions find the posts people were actually hired into?

Protocol (held-out placements, replayed under the hard constraints)
-------------------------------------------------------------------
1. Every person whose history holds a hire is an evaluation case; the
   target is their last hired (person, post) pair by hire date.
2. People with any history are split into ``folds`` groups (seeded). For
   fold ``f`` the encoder-side models are kept, but the ranker and the
   employer statistics (:func:`matcher.artifact.fit_ranker`) are fitted on
   the history of the *other* folds only: the held-out pair, everything
   dated after it and, since each fold's people leave whole, their earlier
   rows too. Leaving only the last hire out for everyone at once would
   leave no hires to learn from when, as in the sample county, a person has
   one hire at most. The encoder learns from ledger and post text only (no
   outcomes), so it is fitted once.
3. Candidates: every post the hard constraints of :mod:`matcher.reach`
   allow (``ring_of`` + ``eligible`` with ``today=None``: replay, posts
   closed today count), restricted to posts live on the day the held-out
   funnel began (a post that did not exist yet was no candidate). Every
   method orders this same set, so methods differ only in ordering. A
   held-out post outside it is a miss for every method; the report counts
   those misses by reason.
   The full pipeline sees what serving sees: the pairs that
   :func:`matcher.candidates.candidate_pairs` (``today=None``, with the
   vector index for far-travelling people and its stage-0 pruning) returns,
   scored by :meth:`matcher.recommend.Recommender.score` (linear shortlist,
   then calibrated trees); eligible pairs it never retrieved or scored rank
   after all others, so retrieval losses count against the pipeline only.
4. Methods: full pipeline (calibrated ranker), retrieval cosine alone,
   documented prior, random, popularity, same-town popularity, BM25 and
   TF-IDF cosine (:mod:`matcher.baselines`). Metrics: recall@3,
   recall@10 and nDCG@10 with one relevant post per person.

Also reported: the ranker's calibration per decile on held-out
training-style pairs (the held-out fold's funnels plus random eligible
negatives, built like the training table), the analytic expectation of
the random baseline, and a check, written independently of
:mod:`matcher.reach`, that the full pipeline's top 10 break no hard
constraint.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine
from threadpoolctl import threadpool_limits

from matcher import baselines
from matcher.artifact import fit_ranker
from matcher.baselines import METRICS, TOP, calibration_table, random_expected, ranking_metrics, target_ranks, top_k
from matcher.candidates import Candidates, candidate_pairs
from matcher.errors import InputError, MatcherError
from matcher.evidence import Evidence, evidence_of, set_evidence
from matcher.index import VacancyIndex
from matcher.pairs import FEATURES, PairSkills, PostSkills, pair_features
from matcher.policy import ANSWERING_OUTCOMES
from matcher.prepare import KIND_INDEX, People, Posts, date_ordinals, prepare_people, prepare_posts
from matcher.reach import HALF_HOUR, PairGeo, eligible, pair_geo, ring_of
from matcher.recommend import Recommender
from matcher.training import HIRED, TURNED, interactions, training_table
from models.encoder import PersonPostEncoder
from models.ranker import PriorRanker

__all__ = [
    "EvaluationReport",
    "evaluate_store",
    "evaluate_history",
    "METHODS",
    "BASELINES",
    "PEERS",
    "TARGETS",
    "METRICS",
]

#: The two strongest peers seen on real job histories; the pipeline must beat both by :data:`PEER_MARGIN`.
PEERS: tuple[str, ...] = ("same place, then most applied", "TF-IDF of profile and history + place")
PEER_MARGIN = 1.10
#: What is held out per person: the last post they turned to (applied or further), or their last hire.
TARGETS: tuple[str, ...] = ("turned", "hired")
METHODS: tuple[str, ...] = (
    "full pipeline",
    *PEERS,
    "ranker on every eligible post",
    "retrieval cosine",
    "prior",
    "random",
    "popularity",
    "same-town popularity",
    "BM25",
    "TF-IDF cosine",
)
#: The baselines the full pipeline must beat on recall@10 (cosine and prior are ablations).
BASELINES: tuple[str, ...] = (*PEERS, "random", "popularity", "same-town popularity", "BM25", "TF-IDF cosine")
DEFAULT_FOLDS = 5


@dataclass
class EvaluationReport:
    """Result of one evaluation run.

    Attributes
    ----------
    table : DataFrame, index METHODS, columns METRICS + ``people``
    people : int
        Evaluated people (one held-out funnel each).
    misses : int
        Of those, how many held-out posts were not among the eligible candidates.
    miss_reasons : dict
        The misses by reason: beyond the person's mobility, age or physical
        limits, or the post not live that day.
    pipeline_dropped : int
        Held-out posts that were eligible but that the pipeline's candidate
        generation never returned (far fetch, stage-0 pruning): a miss for the
        full pipeline only.
    candidates_mean : float
        Mean eligible candidates per evaluated person.
    served_mean : float
        Mean pairs per person the pipeline's candidate generation returned.
    random_expected : dict
        Expected value of each metric for random ordering.
    calibration : DataFrame
        Per decile of predicted hire probability: ``pairs``, ``mean_predicted``, ``observed_rate``.
    violations : int
        Hard-constraint violations among the full pipeline's top 10 (should be 0).
    folds : int
    rankers : list of str
        What each fold's ranker was (``gbdt`` or ``prior``).
    seed : int
    seconds : float
    """

    table: pd.DataFrame
    people: int
    misses: int
    miss_reasons: dict[str, int]
    pipeline_dropped: int
    candidates_mean: float
    served_mean: float
    random_expected: dict[str, float]
    calibration: pd.DataFrame
    violations: int
    folds: int
    rankers: list[str]
    seed: int
    seconds: float
    target: str = "turned"

    @property
    def beats_peers(self) -> bool:
        """Whether the full pipeline's recall@10 is at least :data:`PEER_MARGIN` times each peer's."""
        r = self.table["recall@10"]
        return bool(all(r["full pipeline"] >= PEER_MARGIN * r[p] for p in PEERS))

    @property
    def beats_baselines(self) -> bool:
        """Whether the full pipeline's recall@10 is above every baseline's."""
        r = self.table["recall@10"]
        return bool(all(r["full pipeline"] > r[b] for b in BASELINES))

    @property
    def calibration_error(self) -> float:
        """Expected calibration error: pair-weighted mean |predicted − observed| over the deciles."""
        c = self.calibration
        if c.empty:
            return float("nan")
        gap = (c["mean_predicted"] - c["observed_rate"]).abs()
        return float((gap * c["pairs"]).sum() / c["pairs"].sum())

    def to_json(self) -> dict[str, Any]:
        return {
            "table": {
                m: {k: (int(v) if k == "people" else round(float(v), 4)) for k, v in row.items()}
                for m, row in self.table.to_dict(orient="index").items()
            },
            "people": self.people,
            "misses": self.misses,
            "miss_reasons": self.miss_reasons,
            "pipeline_dropped": self.pipeline_dropped,
            "served_mean": round(self.served_mean, 1),
            "candidates_mean": round(self.candidates_mean, 1),
            "random_expected": {k: round(v, 4) for k, v in self.random_expected.items()},
            "calibration": self.calibration.round(4).to_dict(orient="records"),
            "calibration_error": round(self.calibration_error, 4),
            "violations": self.violations,
            "folds": self.folds,
            "rankers": self.rankers,
            "beats_baselines": self.beats_baselines,
            "beats_peers": self.beats_peers,
            "target": self.target,
            "seed": self.seed,
            "seconds": round(self.seconds, 1),
        }

    def format(self) -> str:
        """The table and the extra figures as plain text (methods side by side)."""
        shown = self.table.copy()
        shown["people"] = shown["people"].astype(int)
        share = self.misses / self.people if self.people else 0.0
        expected = ", ".join(f"{k} {v:.3f}" for k, v in self.random_expected.items())
        calib = self.calibration.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        verdict = "yes / 是" if self.beats_baselines else "NO / 否"
        peers = "yes / 是" if self.beats_peers else "NO / 否"
        held_zh, held_en = (
            ("最后一次录用", "last hire")
            if self.target == "hired"
            else ("最后一次投递（含面试、录用）", "last post turned to")
        )
        return "\n".join(
            [
                f"离线评估：留出每人{held_zh}，按硬约束回放全部候选岗位",
                f"offline evaluation: {held_en} per person held out, all eligible posts replayed",
                "",
                shown.to_string(float_format=lambda v: f"{v:.3f}"),
                "",
                f"people evaluated / 评估人数: {self.people}   folds: {self.folds} "
                f"(rankers: {', '.join(sorted(set(self.rankers)))})   seed: {self.seed}",
                f"held-out post not among eligible candidates (miss for every method) / 留出岗位不在候选内: "
                f"{self.misses} ({share:.1%}: " + ", ".join(f"{k} {v}" for k, v in self.miss_reasons.items()) + ")",
                f"eligible candidates per person (mean) / 人均候选岗位: {self.candidates_mean:.1f}; "
                f"returned by the pipeline's candidate generation: {self.served_mean:.1f}",
                f"held-out post eligible but not retrieved by the pipeline (a miss for it alone) / "
                f"流程未召回: {self.pipeline_dropped}",
                f"random, expected / 随机期望: {expected}",
                f"hard-constraint violations in the full pipeline's top {TOP} / 前{TOP}名违反硬约束: {self.violations}",
                f"full pipeline beats every baseline on recall@10 / 全流程 recall@10 优于全部基线: {verdict}",
                f"peers ({'; '.join(PEERS)}): full pipeline's recall@10 ≥ {PEER_MARGIN:.2f} × each / "
                f"全流程 recall@10 至少高出两个同行方法10%: {peers}",
                "",
                f"ranker calibration on held-out training-style pairs (ECE {self.calibration_error:.4f}) / "
                "排序模型校准（留出样本）:",
                calib,
                f"time / 用时: {self.seconds:.1f} s",
            ]
        )


def _history_pairs(placements: pd.DataFrame, people: People, posts: Posts) -> pd.DataFrame:
    """One row per (person, post) of the history: ``pi``, ``pj``, ``start``, ``hired``, ``hire_date``,
    ``turned``, ``turn_date`` (the first day the person turned to the post: applied or further)."""
    frame = placements[["laborer_id", "vacancy_id", "outcome", "date"]].copy()
    frame["pi"] = frame["laborer_id"].map(people.position)
    frame["pj"] = frame["vacancy_id"].map(posts.position)
    frame = frame.dropna(subset=["pi", "pj"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["hire_date"] = frame["date"].where(frame["outcome"].isin(HIRED))
    frame["turn_date"] = frame["date"].where(frame["outcome"].isin(TURNED))
    out = (
        frame.groupby(["pi", "pj"], sort=True)
        .agg(start=("date", "min"), hire_date=("hire_date", "min"), turn_date=("turn_date", "min"))
        .reset_index()
    )
    out["pi"] = out["pi"].astype(np.int64)
    out["pj"] = out["pj"].astype(np.int64)
    out["hired"] = out["hire_date"].notna()
    out["turned"] = out["turn_date"].notna()
    return out


def _check_inputs(
    laborers: pd.DataFrame, vacancies: pd.DataFrame, placements: pd.DataFrame, target: str = "turned"
) -> None:
    if laborers.empty:
        raise MatcherError(
            "the store has no laborers; ingest a ledger first (`matcher ingest laborers FILE`)",
            "库中没有劳动力，请先导入劳动力台账（matcher ingest laborers 文件）",
        )
    if vacancies.empty:
        raise MatcherError(
            "the store has no posts; ingest a vacancy list first (`matcher ingest vacancies FILE`)",
            "库中没有岗位，请先导入岗位清单（matcher ingest vacancies 文件）",
        )
    if placements.empty:
        raise MatcherError(
            "the store has no placement history; the evaluation holds out past answers, so ingest "
            "placements first (`matcher ingest placements FILE`)",
            "库中没有对接记录；评估需要留出历史对接结果，请先导入对接记录（matcher ingest placements 文件）",
        )
    if target == "hired" and not placements["outcome"].isin(HIRED).any():
        raise MatcherError(
            f"the placement history ({len(placements)} rows) holds no hire (outcome one of "
            f"{', '.join(HIRED)}); there is nothing to hold out",
            f"对接记录（{len(placements)}行）中没有录用结果（录用、稳定就业6个月或离职），无法评估",
        )
    if target == "turned" and not placements["outcome"].isin(TURNED).any():
        raise MatcherError(
            f"the placement history ({len(placements)} rows) holds no application (outcome one of "
            f"{', '.join(TURNED)}); there is nothing to hold out",
            f"对接记录（{len(placements)}行）中没有投递及以后的结果（投递、面试、录用等），无法评估",
        )


def evaluate_store(
    engine: Engine,
    *,
    seed: int = 0,
    max_people: int | None = None,
    folds: int = DEFAULT_FOLDS,
    target: str = "turned",
) -> EvaluationReport:
    """Evaluate the matching pipeline and the baselines on the store's placement history.

    Parameters
    ----------
    engine : sqlalchemy Engine
    seed : int
        Seeds the folds, the sample of people, the models and the random baseline.
    max_people : int, optional
        Evaluate at most this many people (a seeded sample of those with a hire).
    folds : int
        Person folds; each fold's ranker is fitted without that fold's history.
    target : {"turned", "hired"}
        Hold out each person's last post turned to (applied or further; default) or their last hire.
    """
    from store import load_households, load_laborers, load_placements, load_vacancies

    laborers, vacancies, placements = load_laborers(engine), load_vacancies(engine), load_placements(engine)
    _check_inputs(laborers, vacancies, placements, target)
    people = prepare_people(laborers, load_households(engine))
    return evaluate_history(
        people, prepare_posts(vacancies), placements, seed=seed, max_people=max_people, folds=folds, target=target
    )


def evaluate_history(
    people: People,
    posts: Posts,
    placements: pd.DataFrame,
    *,
    seed: int = 0,
    max_people: int | None = None,
    folds: int = DEFAULT_FOLDS,
    target: str = "turned",
) -> EvaluationReport:
    """:func:`evaluate_store` on prepared people, posts and a placements frame (store columns)."""
    started = time.perf_counter()
    if max_people is not None and max_people < 1:
        raise InputError(f"max_people={max_people}: must be at least 1", f"max_people={max_people}：至少为1")
    if folds < 2:
        raise InputError(f"folds={folds}: must be at least 2", f"folds={folds}：至少为2")
    if target not in TARGETS:
        raise InputError(
            f"target={target!r}: must be one of {', '.join(TARGETS)}", f"target={target!r}：只能是 {'、'.join(TARGETS)}"
        )
    rng = np.random.default_rng(seed)
    pairs = _history_pairs(placements, people, posts)
    flag, when = ("hired", "hire_date") if target == "hired" else ("turned", "turn_date")
    if not pairs[flag].any():
        what_en, what_zh = (
            ("a hire", "录用") if target == "hired" else ("an application or later outcome", "投递及以后的")
        )
        raise MatcherError(
            f"none of the {len(placements)} placement rows is {what_en} of a laborer and a post that are "
            "both in the store; ingest the matching ledger and vacancy list",
            f"{len(placements)}条对接记录中没有库内劳动力与岗位之间的{what_zh}记录，请导入对应的台账和岗位清单",
        )
    # Targets: each person's last post turned to (or last hire), by that date.
    chosen = pairs[pairs[flag]].sort_values(["pi", when, "pj"])
    targets = chosen.groupby("pi", sort=True).tail(1)
    if max_people is not None and len(targets) > max_people:
        targets = targets.iloc[np.sort(rng.choice(len(targets), max_people, replace=False))]
    rows = targets["pi"].to_numpy(dtype=np.int64)
    target_pj = np.full(len(people), -1, dtype=np.int64)
    target_pj[rows] = targets["pj"].to_numpy(dtype=np.int64)
    day = np.zeros(len(people), dtype=np.int64)
    day[rows] = [d.toordinal() for d in targets["start"].dt.date]
    fold_of = np.full(len(people), -1, dtype=np.int64)
    with_history = np.unique(pairs["pi"].to_numpy())
    fold_of[with_history] = rng.permutation(len(with_history)) % folds
    # What each evaluated person had answered before their held-out funnel began: their history
    # (evidence of what they want) and the posts serving would not suggest again.
    before = _before_target(placements, people, day)
    set_evidence(people, posts, Evidence.from_placements(before, people, posts))
    answered = _answered_keys(before, people, posts)

    # Encoder (text and structure only, no outcomes) and the index for far-travelling people.
    encoder = PersonPostEncoder(random_state=seed).fit(people.frame, posts.frame)
    people.vectors = encoder.transform_laborers(people.frame)
    posts.vectors = encoder.transform_vacancies(posts.frame)
    index = VacancyIndex(encoder.dim_, seed=seed).build(
        posts.ids.astype(str).tolist(),
        posts.vectors,
        calibration_queries=people.vectors[rng.permutation(len(people))[:2000]],
    )
    n_posts = len(posts)
    cand = _eligible_pairs(people, posts, rows, day)
    cand = _subset(cand, ~np.isin(cand.pi * n_posts + cand.pj, answered))
    key = cand.pi * n_posts + cand.pj
    group = np.searchsorted(rows, cand.pi)
    is_target = target_pj[cand.pi] == cand.pj
    found = candidate_pairs(people, posts, rows, today=None, index=index)
    live = (posts.start[found.pj] <= day[found.pi]) & (posts.end[found.pj] >= day[found.pi])
    served = _subset(found, live & np.isin(found.pi * n_posts + found.pj, key))
    at = np.searchsorted(key, served.pi * n_posts + served.pj)  # served ⊆ eligible, both sorted by key

    scores = {m: np.zeros(len(key)) for m in METHODS}
    scores["full pipeline"][:] = -2.0  # never retrieved: after everything the pipeline scored
    scores["random"] = rng.random(len(key))
    scores["BM25"] = baselines.bm25_scores(people, posts, cand.pi, cand.pj)
    scores["TF-IDF cosine"] = baselines.tfidf_cosine(people, posts, cand.pi, cand.pj)
    scores[PEERS[1]] = baselines.tfidf_history_location(people, posts, evidence_of(people, posts), cand)
    skills = PairSkills.for_people(PostSkills.build(posts), people)
    prior = PriorRanker(FEATURES).fit()
    rankers: list[str] = []
    calib: list[tuple[np.ndarray, np.ndarray]] = []
    for f in range(folds):
        fold_rows = rows[fold_of[rows] == f]
        if len(fold_rows) == 0:
            continue
        held_people = people.ids[fold_of == f]
        train = placements[~placements["laborer_id"].isin(held_people)]
        # One OpenMP thread: on a busy machine the boosted trees' thread pool spin-waits
        # (measured 20–30 s per fit with two threads against 4 s with one).
        with threadpool_limits(1, user_api="openmp"):
            ranker, employers, info = fit_ranker(people, posts, train, seed=seed)
        rankers.append(str(info["ranker"]))
        mine = fold_of[served.pi] == f
        if mine.any():
            # The serving path itself: linear shortlist, then the calibrated trees (-1: not shortlisted).
            sub = _subset(served, mine)
            recommender = Recommender(posts, ranker, employers, None, None, dt.date.today())
            bounds = np.searchsorted(sub.pi, np.append(fold_rows, np.iinfo(np.int64).max))
            scores["full pipeline"][at[mine]] = recommender.score(people, sub, skills, bounds)[0]
        sel = fold_of[cand.pi] == f
        X = pair_features(
            people, posts, cand.pi[sel], cand.pj[sel], PairGeo(*(a[sel] for a in cand.geo)), skills, employers
        )
        if len(X):
            scores["ranker on every eligible post"][sel] = ranker.predict_proba(X)[:, 1]
            scores["prior"][sel] = prior.predict_proba(X)[:, 1]
            scores["retrieval cosine"][sel] = X[:, FEATURES.index("cosine")]
        rest = pairs[pairs["turned"] & (fold_of[pairs["pi"].to_numpy()] != f)]
        tpi, tpj = rest["pi"].to_numpy(dtype=np.int64), rest["pj"].to_numpy(dtype=np.int64)
        scores["popularity"][sel] = baselines.popularity(n_posts, tpj)[cand.pj[sel]]
        scores["same-town popularity"][sel] = baselines.town_popularity(
            people, n_posts, tpi, tpj, cand.pi[sel], cand.pj[sel]
        )
        scores[PEERS[0]][sel] = baselines.place_then_popular(
            baselines.popularity(n_posts, tpj), cand.pj[sel], PairGeo(*(a[sel] for a in cand.geo))
        )
        held = interactions(placements[placements["laborer_id"].isin(held_people)], people, posts)
        if len(held):
            # Pairs drawn like the training table's (each funnel once, plus random eligible negatives).
            t = training_table(people, posts, held, skills, employers, seed=seed + 1 + f)
            label = t.hired if getattr(ranker, "probability_of_", "hire") == "hire" else t.y
            calib.append((ranker.predict_proba(t.X[t.first])[:, 1], label[t.first]))

    n = len(rows)
    tiebreak = rng.random(len(key))
    table = pd.DataFrame(
        [ranking_metrics(target_ranks(scores[m], group, is_target, tiebreak, n)) for m in METHODS], index=METHODS
    )
    table["people"] = n
    counts = np.bincount(group, minlength=n)
    present = np.bincount(group[is_target], minlength=n) > 0
    retrieved = np.zeros(len(key), dtype=bool)
    retrieved[at] = True
    top = top_k(scores["full pipeline"], group, tiebreak, TOP)
    top = top[scores["full pipeline"][top] >= 0]  # what the pipeline would actually suggest
    return EvaluationReport(
        table=table,
        people=n,
        misses=int((~present).sum()),
        miss_reasons=_miss_reasons(people, posts, rows[~present], target_pj[rows[~present]], day),
        pipeline_dropped=int((is_target & ~retrieved).sum()),
        candidates_mean=float(counts.mean()) if n else 0.0,
        served_mean=float(len(served.pi) / n) if n else 0.0,
        random_expected=random_expected(counts, present),
        calibration=calibration_table(
            np.concatenate([c[0] for c in calib]) if calib else np.zeros(0),
            np.concatenate([c[1] for c in calib]) if calib else np.zeros(0, dtype=bool),
        ),
        violations=int(violations(people, posts, cand.pi[top], cand.pj[top]).sum()),
        folds=folds,
        rankers=rankers,
        seed=seed,
        seconds=time.perf_counter() - started,
        target=target,
    )


def _before_target(placements: pd.DataFrame, people: People, day: np.ndarray) -> pd.DataFrame:
    """The placement rows of the evaluated people dated before the day their held-out funnel began."""
    pi = placements["laborer_id"].map(people.position)
    ok = pi.notna().to_numpy()
    frame = placements[ok]
    cutoff = day[pi[ok].to_numpy(dtype=np.int64)]
    return frame[(cutoff > 0) & (date_ordinals(frame["date"]) < cutoff)]


def _answered_keys(before: pd.DataFrame, people: People, posts: Posts) -> np.ndarray:
    """``pi * len(posts) + pj`` of the posts each person answered before their held-out funnel (serving
    does not suggest them again, :mod:`matcher.answered`), sorted."""
    frame = before[before["outcome"].isin(ANSWERING_OUTCOMES)]
    pi = frame["laborer_id"].map(people.position)
    pj = frame["vacancy_id"].map(posts.position)
    ok = (pi.notna() & pj.notna()).to_numpy()
    return np.unique(pi[ok].to_numpy(dtype=np.int64) * len(posts) + pj[ok].to_numpy(dtype=np.int64))


def _eligible_pairs(
    people: People, posts: Posts, rows: np.ndarray, day: np.ndarray, block: int = 2_000_000
) -> Candidates:
    """Every (person, post) pair the hard constraints allow, posts live on the person's day; sorted by person."""
    parts: list[Candidates] = []
    step = max(1, block // max(len(posts), 1))
    none = np.zeros(0, dtype=np.int64)
    for start in range(0, max(len(rows), 1), step):
        r = rows[start : start + step]
        pi = np.repeat(r, len(posts))
        pj = np.tile(np.arange(len(posts), dtype=np.int64), len(r))
        live = (posts.start[pj] <= day[pi]) & (posts.end[pj] >= day[pi])
        pi, pj = pi[live], pj[live]
        geo = pair_geo(people, posts, pi, pj)
        ring = ring_of(people, posts, pi, pj, geo)
        ok = eligible(people, posts, pi, pj, ring, None)
        parts.append(Candidates(pi[ok], pj[ok], ring[ok], PairGeo(*(a[ok] for a in geo)), none, none))
    return Candidates(
        *(
            np.concatenate([p.pi for p in parts]),
            np.concatenate([p.pj for p in parts]),
            np.concatenate([p.ring for p in parts]),
            PairGeo(*(np.concatenate([p.geo[k] for p in parts]) for k in range(len(PairGeo._fields)))),
            none,
            none,
        )
    )


def _subset(cand: Candidates, keep: np.ndarray) -> Candidates:
    """The pairs of ``cand`` where ``keep`` holds (per-person counters are not carried)."""
    none = np.zeros(0, dtype=np.int64)
    cosine = None if cand.cosine is None else cand.cosine[keep]
    return Candidates(
        cand.pi[keep], cand.pj[keep], cand.ring[keep], PairGeo(*(a[keep] for a in cand.geo)), none, none, cosine
    )


def _miss_reasons(people: People, posts: Posts, pi: np.ndarray, pj: np.ndarray, day: np.ndarray) -> dict[str, int]:
    """Why held-out posts were not among the candidates, counted by the first reason that applies."""
    geo = pair_geo(people, posts, pi, pj)
    ring = ring_of(people, posts, pi, pj, geo)
    ok = eligible(people, posts, pi, pj, ring, None)
    live = (posts.start[pj] <= day[pi]) & (posts.end[pj] >= day[pi])
    return {
        "beyond mobility": int((ring < 0).sum()),
        "age or physical limits": int(((ring >= 0) & ~ok).sum()),
        "not live that day": int((ok & ~live).sum()),
    }


def violations(people: People, posts: Posts, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """Pairs that break a hard constraint, restated from the rules (not from :mod:`matcher.reach`).

    Age outside the post's limits; a ``high`` demand post for chronic or
    serious illness or a moderate or severe disability, a ``medium`` one for
    serious illness or severe disability; a post beyond the person's
    mobility (home/village: own village, online work, home-style workshops
    of the county; town: + same town or the half-hour circle; county: + own
    county; province: + own province); a public-welfare post outside the
    person's own village (or own town for those who go that far).
    """
    g = pair_geo(people, posts, pi, pj)
    age = people.age[pi]
    bad = (age < posts.age_min[pj]) | (age > posts.age_max[pj])
    health, dis, demand = people.health[pi], people.disability[pi], posts.physical[pj]
    bad |= (demand == 2) & ((health >= 2) | (dis >= 2))
    bad |= (demand == 1) & ((health >= 3) | (dis >= 3))
    mob, kind = people.mobility[pi], posts.kind[pj]
    market = g.same_village | ((mob >= 2) & (g.same_town | (g.minutes <= HALF_HOUR)))
    market |= ((mob >= 3) & g.same_county) | ((mob >= 4) & g.same_province) | (mob >= 5)
    comes_home = (kind == KIND_INDEX["online"]) | ((kind == KIND_INDEX["workshop_home"]) & g.same_county)
    welfare_ok = g.same_village | (g.same_town & (mob >= 2))
    reach = np.where(kind == KIND_INDEX["public_welfare"], welfare_ok, market | comes_home)
    return bad | ~reach
