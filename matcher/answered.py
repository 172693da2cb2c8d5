"""What each person already answered: the posts that are not suggested to them again.

The placements table holds outcomes (``store.schema.placements``: ``laborer_id``, ``vacancy_id``,
``outcome``, ``date``). A post the person applied to, was interviewed or rejected for, declined,
was hired at or left (:data:`matcher.policy.ANSWERING_OUTCOMES`) is the person's answer to it; it
is not suggested again — by a lookup, the nightly batch, the post's candidate list or
:meth:`matcher.recommend.Recommender.score_posts` — unless the policy's ``[answered]`` section
gives its outcome a number of days, counted from the date of the person's latest answer to that
post (see ``docs/policy.md``).

Answers travel with the person: the people loaders (:func:`matcher.lookup.prepare_frame` through
:func:`attach_answers`, the batch's seekers through :func:`with_answers`) put them in the laborers
frame's :data:`ANSWERS` column, one tuple per person of
``(vacancy_id, outcome, day)`` (``day``: the date's proleptic ordinal, -1 when unknown; None: no
answer). The recommender reads the column through :func:`blocked_pairs` and applies the policy with
its own date, so a person without the column (a profile typed in by hand) simply has no answers.

Which answer counts: the latest one to the post (by date; on the same date the later stage of
applied < interviewed < declined/rejected < hired < retained_6m < quit). An answer without a date
counts as the latest and keeps the post away unless its outcome's entry is 0 days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from matcher.policy import ANSWERING_OUTCOMES, Answered
from matcher.prepare import People, Posts, date_ordinals

__all__ = [
    "ANSWERS",
    "answers_by_person",
    "with_answers",
    "attach_answers",
    "answer_cells",
    "load_answers",
    "blocked_ids",
    "blocked_pairs",
    "digest",
]

#: The laborers frame's column holding each person's answers.
ANSWERS = "answers"
#: Stage of an outcome, for answers given on the same day (the later stage is the latest answer).
_STAGE = {"applied": 0, "interviewed": 1, "declined": 2, "rejected": 2, "hired": 3, "retained_6m": 4, "quit": 5}
_UNKNOWN_DAY = -1
#: Ids per query when reading many people's answers (SQLite allows 32,766 bound parameters).
_ID_CHUNK = 10_000
Answer = tuple[str, str, int]
Answers = tuple[Answer, ...]


def answers_by_person(placements: pd.DataFrame) -> dict[str, Answers]:
    """Each person's answers as a tuple of ``(vacancy_id, outcome, day)``, by laborer id.

    Parameters
    ----------
    placements : pandas.DataFrame
        Store-shaped placements (``laborer_id``, ``vacancy_id``, ``outcome``, ``date``).

    Returns
    -------
    dict of str to tuple, one entry per person with at least one answering outcome
    """
    if placements.empty:
        return {}
    frame = placements[placements["outcome"].isin(ANSWERING_OUTCOMES)]
    frame = frame[frame["laborer_id"].notna() & frame["vacancy_id"].notna()]
    if frame.empty:
        return {}
    ordinal = date_ordinals(frame["date"], _UNKNOWN_DAY)
    rows = zip(
        frame["laborer_id"].astype(str).tolist(),
        frame["vacancy_id"].astype(str).tolist(),
        frame["outcome"].astype(str).tolist(),
        ordinal.tolist(),
        strict=True,
    )
    out: dict[str, list[Answer]] = {}
    for pid, vacancy, outcome, day in rows:
        out.setdefault(pid, []).append((vacancy, outcome, day))
    return {pid: tuple(answers) for pid, answers in out.items()}


def with_answers(laborers: pd.DataFrame, answers: Mapping[str, Answers]) -> pd.DataFrame:
    """``laborers`` with the :data:`ANSWERS` column (None for people without an answer); a copy."""
    out = laborers.copy()
    out[ANSWERS] = _cells(out["laborer_id"], answers, out.index)
    return out


def attach_answers(people: People, answers: Mapping[str, Answers]) -> People:
    """Put ``answers`` in the :data:`ANSWERS` column of ``people.frame`` (the people's own frame, built by
    :func:`matcher.prepare.prepare_people`; no copy). Returns ``people``."""
    people.frame[ANSWERS] = _cells(people.frame["laborer_id"], answers, people.frame.index)
    people.answers = people.frame[ANSWERS].to_numpy(dtype=object)
    return people


def answer_cells(people: People) -> np.ndarray | None:
    """The people's :data:`ANSWERS` cells as an object array (None when the frame has no such column), read
    from the frame once and kept on ``people``."""
    if people.answers is not None:
        return people.answers
    if ANSWERS not in people.frame.columns:
        return None
    people.answers = people.frame[ANSWERS].to_numpy(dtype=object)
    return people.answers


def _cells(ids: pd.Series, answers: Mapping[str, Answers], index: pd.Index) -> pd.Series:
    get = answers.get
    cells = [get(str(pid)) for pid in ids.tolist()] if len(answers) else [None] * len(ids)
    return pd.Series(cells, index=index, dtype=object)


def load_answers(engine: Any, laborer_ids: Sequence[str]) -> dict[str, Answers]:
    """The answers of ``laborer_ids`` in the store, read straight from the placements table (one indexed
    query per 10,000 people; a lookup of one person costs well under a millisecond)."""
    import sqlalchemy as sa

    from store.schema import placements

    ids = list(dict.fromkeys(str(i) for i in laborer_ids))
    columns = (placements.c.laborer_id, placements.c.vacancy_id, placements.c.outcome, placements.c.date)
    rows: list[Any] = []
    with engine.connect() as conn:
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            query = sa.select(*columns).where(
                placements.c.laborer_id.in_(chunk), placements.c.outcome.in_(ANSWERING_OUTCOMES)
            )
            rows.extend(conn.execute(query))
    out: dict[str, list[Answer]] = {}
    for pid, vacancy, outcome, day in rows:
        if vacancy is None:
            continue
        ordinal = day.toordinal() if isinstance(day, dt.date) else _UNKNOWN_DAY
        out.setdefault(str(pid), []).append((str(vacancy), str(outcome), ordinal))
    return {pid: tuple(answers) for pid, answers in out.items()}


def _blocked(answers: Iterable[Answer], policy: Answered, today: int) -> list[str]:
    """The vacancy ids among one person's answers that are not suggested on day ``today``."""
    latest: dict[str, tuple[int, int, str]] = {}
    for vacancy, outcome, day in answers:
        stage = _STAGE.get(outcome)
        if stage is None:
            continue
        # An unknown date sorts after every known one: it is taken as the latest answer.
        key = (day if day != _UNKNOWN_DAY else 1 << 40, stage, outcome)
        if vacancy not in latest or key > latest[vacancy]:
            latest[vacancy] = key
    out = []
    for vacancy, (day, _, outcome) in latest.items():
        days = policy.days(outcome)
        if days is None or (days > 0 and (day >= 1 << 40 or today < day + days)):
            out.append(vacancy)
    return sorted(out)


def blocked_ids(cells: Iterable[Any], policy: Answered, today: dt.date) -> list[list[str]]:
    """Per person (one :data:`ANSWERS` cell each), the vacancy ids not to suggest on ``today``, sorted."""
    t = today.toordinal()
    return [_blocked(cell, policy, t) if cell else [] for cell in cells]


def blocked_pairs(
    people: People, posts: Posts, policy: Answered, today: dt.date, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs ``(people[pi], posts[pj])`` not to suggest on ``today``, for the people at ``rows`` (all
    when None); sorted by person. Posts no longer in ``posts`` are left out."""
    empty = np.zeros(0, dtype=np.int64)
    cells = answer_cells(people)
    if cells is None:
        return empty, empty
    rows = np.arange(len(people), dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    rows = rows[np.fromiter((bool(cells[r]) for r in rows.tolist()), dtype=bool, count=len(rows))]
    if not len(rows):
        return empty, empty
    pi: list[int] = []
    pj: list[int] = []
    position = posts.position
    for r, ids in zip(rows.tolist(), blocked_ids(cells[rows], policy, today), strict=True):
        for v in ids:
            j = position.get(v)
            if j is not None:
                pi.append(r)
                pj.append(j)
    return np.asarray(pi, dtype=np.int64), np.asarray(pj, dtype=np.int64)


def digest(laborers: pd.DataFrame, policy: Answered, today: dt.date) -> np.ndarray:
    """Per laborer row, a short text naming the posts blocked on ``today`` ("" when none): a change of it
    (a new answer, or a block that ran out) tells the incremental batch to recompute the person."""
    if ANSWERS not in laborers.columns:
        return np.full(len(laborers), "", dtype=object)
    cells = laborers[ANSWERS].to_numpy(dtype=object)
    out = np.full(len(laborers), "", dtype=object)
    have = np.flatnonzero(np.fromiter((bool(c) for c in cells), dtype=bool, count=len(cells)))
    if len(have):
        joined = pd.Series(["\x1f".join(ids) for ids in blocked_ids(cells[have], policy, today)])
        hashed = pd.util.hash_pandas_object(joined, index=False).to_numpy()
        out[have] = np.where(joined.to_numpy() == "", "", np.char.add("|a", hashed.astype(str)))
    return out
