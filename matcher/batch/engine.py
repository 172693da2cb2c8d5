"""Compute one partition (a county's job seekers) of a batch run.

A :class:`BatchContext` is built once per process or Dask worker — model,
today's posts with vectors, the recommender, the policy — and then serves
every partition it is handed. A partition's outputs are plain DataFrames
(candidate lists, flags, shortfalls, the people and their content hashes)
that the runner writes to the run directory; nothing here touches it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matcher.artifact import MatchModel, load_model
from matcher.policy import Policy
from matcher.prepare import prepare_people
from matcher.reach import RINGS
from matcher.recommend import PersonResult

__all__ = ["BatchContext", "PartitionOutput", "results_frames", "FLOOR_COLUMNS", "FIRST_FLOORS"]

CANDIDATE_COLUMNS = ["laborer_id", "rank", "vacancy_id", "title", "kind", "score", "step", "reasons", "tier"]
#: A person's first-stage floors as the run keeps them (see :attr:`matcher.candidates.Candidates.floors`).
FIRST_FLOORS = ("first_floor", *(f"first_floor_{ring}" for ring in RINGS), "first_floor_far", "first_floor_province")
#: The per-person numbers the next incremental run reads back: the trees' floor, the first stage's floors.
FLOOR_COLUMNS = ("coarse_floor", *FIRST_FLOORS)


@dataclass
class PartitionOutput:
    county: str
    candidates: pd.DataFrame
    flags: pd.DataFrame
    shortfalls: pd.DataFrame
    people: pd.DataFrame
    seconds: float
    #: The people's embedding vectors, row i for ``people`` row i (kept for the next incremental run).
    vectors: np.ndarray | None = None


class BatchContext:
    """Everything a partition needs, loaded once.

    Parameters
    ----------
    model_path : str
        Artifact version directory.
    vacancies : pandas.DataFrame
        The store's vacancies at the start of the run (every partition sees the same posts).
    today : datetime.date
    policy : dict or None
        A policy as ``Policy.to_dict()`` (plain data travels to Dask workers); None: the shipped defaults.
    """

    def __init__(
        self, model_path: str, vacancies: pd.DataFrame, today: dt.date, policy: dict[str, Any] | None = None
    ) -> None:
        from pathlib import Path

        from matcher.serving import assemble

        self.today = today
        self.policy = Policy.from_dict(policy) if policy is not None else Policy.default()
        self.model: MatchModel
        self.model, self.posts, self.recommender, self.refresh = assemble(
            load_model(Path(model_path)), vacancies, self.policy, today
        )

    def run_partition(
        self, county: str, laborers: pd.DataFrame, households: pd.DataFrame, k: int, block: int = 500
    ) -> PartitionOutput:
        """Suggestions for one county's job seekers, in blocks of ``block`` people."""
        import time

        start = time.perf_counter()
        results: list[PersonResult] = []
        vectors: list[np.ndarray] = []
        if laborers.empty:
            cand, flags, short = results_frames([])
            empty = laborers[["laborer_id", "content_hash"]].assign(**{c: np.zeros(0) for c in FLOOR_COLUMNS})
            return PartitionOutput(county, cand, flags, short, empty, 0.0)
        for a in range(0, len(laborers), block):
            chunk = laborers.iloc[a : a + block]
            people = prepare_people(chunk, households[households["household_id"].isin(chunk["household_id"])])
            people.vectors = self.model.encoder.transform_laborers(people.frame)
            vectors.append(people.vectors)
            results.extend(self.recommender.recommend(people, k=k))
        cand, flags, short = results_frames(results)
        people_frame = laborers[["laborer_id", "content_hash"]].reset_index(drop=True)
        # One result per laborer, in the laborers' order (the recommender keeps its rows' order).
        floors = np.array([(r.coarse_floor, *(r.first_floors or (-np.inf,) * len(FIRST_FLOORS))) for r in results])
        people_frame[list(FLOOR_COLUMNS)] = floors
        return PartitionOutput(
            county, cand, flags, short, people_frame, time.perf_counter() - start, np.concatenate(vectors)
        )


def results_frames(results: list[PersonResult]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Flatten results into candidate, flag and shortfall tables (reasons as JSON text)."""
    cand_rows: list[tuple[Any, ...]] = []
    flag_rows: list[tuple[Any, ...]] = []
    short_rows: list[tuple[Any, ...]] = []
    for r in results:
        for rank, rec in enumerate(r.recommendations, 1):
            cand_rows.append(
                (
                    r.laborer_id,
                    rank,
                    rec.vacancy_id,
                    rec.title,
                    rec.kind,
                    rec.score,
                    rec.step,
                    json.dumps(list(rec.reasons), ensure_ascii=False),
                    rec.tier,
                )
            )
        for f in r.flags:
            flag_rows.append(
                (
                    r.laborer_id,
                    f.kind,
                    json.dumps(list(f.reasons), ensure_ascii=False),
                    json.dumps(list(f.suggest), ensure_ascii=False),
                )
            )
        if r.shortfall is not None:
            short_rows.append((r.laborer_id, r.shortfall.reason, r.shortfall.reason_en, r.shortfall.available))
    cand = pd.DataFrame(cand_rows, columns=CANDIDATE_COLUMNS)
    cand["score"] = cand["score"].astype(np.float64)
    cand["rank"] = cand["rank"].astype(np.int32)
    cand["tier"] = cand["tier"].astype(np.int32)
    flags = pd.DataFrame(flag_rows, columns=["laborer_id", "kind", "reasons", "suggest"])
    short = pd.DataFrame(short_rows, columns=["laborer_id", "reason", "reason_en", "available"])
    prior = bool(results and results[0].prior)
    cand["prior"] = prior
    return cand, flags, short
