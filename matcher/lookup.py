"""One caseworker's lookup: a loaded model, today's posts, and people by id or by profile.

``Lookup`` is built once and answers many queries: ``recommend(["L0001"], k=5)``.
A person not in the ledger, and everything a server needs, is
:class:`matcher.app.Application`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from matcher.artifact import MatchModel, load_model
from matcher.errors import UnknownIdError
from matcher.policy import Policy
from matcher.prepare import People, prepare_people
from matcher.recommend import PersonResult
from matcher.serving import assemble

__all__ = ["Lookup", "load_people", "prepare_frame"]


class Lookup:
    """A ready recommender over the store's current posts, for one-off use (a command, a fair, a test).

    The service and the CLI use :class:`matcher.app.Application`, which also follows the store's
    changes; both assemble the recommender through :func:`matcher.serving.assemble`.

    Parameters
    ----------
    engine : sqlalchemy Engine
    model : MatchModel, optional
        The loaded model; without it, the version ``LATEST`` names under ``home``.
    today : datetime.date, optional
    policy : Policy, optional
        Defaults to the shipped policy.
    home : pathlib.Path, optional
        The data directory (needed when ``model`` is not given).
    """

    def __init__(
        self,
        engine: Engine,
        model: MatchModel | None = None,
        today: dt.date | None = None,
        policy: Policy | None = None,
        *,
        home: Path | None = None,
    ) -> None:
        from store import load_vacancies

        self.engine = engine
        self.today = today or dt.date.today()
        self.policy = policy or Policy.default()
        self.model, self.posts, self.recommender, self.refresh = assemble(
            model or load_model(home=home), load_vacancies(engine), self.policy, self.today
        )

    def people(self, laborer_ids: Sequence[str]) -> People:
        return load_people(self.engine, laborer_ids, self.model.encoder)

    def recommend(self, laborer_ids: Sequence[str], k: int = 10) -> list[PersonResult]:
        """Suggestions for people of the ledger, in the order asked."""
        people = self.people(laborer_ids)
        results = {r.laborer_id: r for r in self.recommender.recommend(people, k=k)}
        return [results[i] for i in laborer_ids]


def prepare_frame(engine: Engine, frame: pd.DataFrame, encoder: Any = None) -> People:
    """Laborer rows of the store prepared with their households and their answers to posts (and encoded
    when ``encoder`` is given)."""
    from matcher.answered import attach_answers, load_answers
    from store.readers import load_household_flags

    # what matching reads of a household: whether anyone in it is employed
    households = load_household_flags(engine, ids=frame["household_id"].dropna().unique().tolist())
    people = prepare_people(frame, households)
    # the posts each person already answered travel with them: never suggested again (matcher.answered)
    attach_answers(people, load_answers(engine, frame["laborer_id"].astype(str).tolist()))
    if encoder is not None:
        people.vectors = encoder.transform_laborers(people.frame)
    return people


def load_people(engine: Engine, laborer_ids: Sequence[str], encoder: Any = None) -> People:
    """People of the ledger by id, prepared (and encoded); an unknown id is a "not found" error."""
    from store import load_laborers

    frame = load_laborers(engine, ids=list(laborer_ids))
    missing = sorted(set(laborer_ids) - set(frame["laborer_id"]))
    if missing:
        raise unknown_laborers(missing)
    return prepare_frame(engine, frame, encoder)


def unknown_laborers(missing: Sequence[str]) -> UnknownIdError:
    """The "not found" error for laborer ids the store does not hold."""
    shown = ", ".join(missing[:5])
    return UnknownIdError(
        f"no laborer with id {shown} in the store; check the id or ingest the ledger",
        f"库中没有编号为 {shown} 的劳动力，请核对编号或先导入台账",
        field="laborer_id",
        value=shown,
        code="laborer_not_found",
    )
