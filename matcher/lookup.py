"""One caseworker's lookup: a loaded model, today's posts, and people by id or by profile.

``Lookup`` is built once (CLI call, API lifespan) and answers many queries:
``recommend(["L0001"], k=5)`` for people in the ledger and
``recommend_profile({...})`` for a person not yet in it (validated against
the same data contract as an ingested row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from features.contract import validate_frame
from features.places import attach_places
from matcher.artifact import MatchModel, load_model
from matcher.errors import MatcherError
from matcher.live import live_posts
from matcher.policy import Policy
from matcher.prepare import People, prepare_people
from matcher.reach import open_mask
from matcher.recommend import PersonResult, Recommender

__all__ = ["Lookup"]


class Lookup:
    """A ready recommender over the store's current posts.

    Parameters
    ----------
    engine : sqlalchemy Engine
    model : MatchModel, optional
        Defaults to the latest trained version.
    today : datetime.date, optional
    policy : Policy, optional
        Defaults to ``Policy.load()`` (``MATCHER_POLICY`` or the shipped defaults).
    """

    def __init__(
        self,
        engine: Engine,
        model: MatchModel | None = None,
        today: dt.date | None = None,
        policy: Policy | None = None,
    ) -> None:
        from store import load_vacancies

        self.engine = engine
        self.model = model or load_model()
        self.today = today or dt.date.today()
        self.policy = policy or Policy.load()
        vacancies = load_vacancies(engine)
        self.posts, self.refresh = live_posts(self.model, vacancies)
        if not open_mask(self.posts, self.today).any():
            raise MatcherError(
                "the store has no open posts today (all closed, expired or filled); ingest a current vacancy list",
                "库中今天没有在招岗位（均已关闭、过期或招满），请导入最新的岗位清单",
            )
        self.recommender = Recommender(
            self.posts, self.model.ranker, self.model.employers, self.model.index, self.policy, self.today
        )

    def people(self, laborer_ids: Sequence[str]) -> People:
        from store import load_households, load_laborers

        frame = load_laborers(self.engine, ids=list(laborer_ids))
        missing = sorted(set(laborer_ids) - set(frame["laborer_id"]))
        if missing:
            shown = ", ".join(missing[:5])
            raise MatcherError(
                f"no laborer with id {shown} in the store; check the id or ingest the ledger",
                f"库中没有编号为 {shown} 的劳动力，请核对编号或先导入台账",
            )
        households = load_households(self.engine, ids=frame["household_id"].dropna().unique().tolist())
        return self._encode(prepare_people(frame, households))

    def _encode(self, people: People) -> People:
        people.vectors = self.model.encoder.transform_laborers(people.frame)
        return people

    def recommend(self, laborer_ids: Sequence[str], k: int = 10) -> list[PersonResult]:
        """Suggestions for people of the ledger, in the order asked."""
        people = self.people(laborer_ids)
        results = {r.laborer_id: r for r in self.recommender.recommend(people, k=k)}
        return [results[i] for i in laborer_ids]

    def recommend_profile(self, profile: dict[str, Any], k: int = 10) -> PersonResult:
        """Suggestions for a person not in the ledger, given as contract fields (English or Chinese keys)."""
        raw = pd.DataFrame([{key: _cell(v) for key, v in profile.items()}])
        if not any(str(c) in ("laborer_id", "劳动力编号") for c in raw.columns):
            raw["laborer_id"] = "PROFILE"
        if not any(str(c) in ("household_id", "户编号") for c in raw.columns):
            raw["household_id"] = "PROFILE-H"
        checked = validate_frame("laborers", raw, first_row_number=1, today=self.today)
        if checked.rejects:
            problems = "; ".join(f"{r.column} {r.value!r}: {r.reason_en}" for r in checked.rejects)
            problems_zh = "；".join(f"{r.column}「{r.value}」{r.reason_zh}" for r in checked.rejects)
            raise MatcherError(f"the profile is not usable: {problems}", f"求职者信息有误：{problems_zh}")
        frame, _ = attach_places(checked.frame.drop(columns=["row"]))
        people = self._encode(prepare_people(frame, None))
        return self.recommender.recommend(people, k=k)[0]


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if value is None or isinstance(value, str) else str(value)
