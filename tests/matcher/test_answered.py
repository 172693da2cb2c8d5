"""Never suggest twice what the person already answered (matcher/answered.py, the policy's ``[answered]``).

A post the person applied to, was interviewed or rejected for, declined, was hired at or left is not
suggested again by a lookup (nor offered to them from the post's side, nor judged fit by a repair),
unless the policy gives its outcome a number of days, counted from the person's latest answer to the
post. The batch's side is in ``tests/matcher/batch/test_batch_lists.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.answered import ANSWERS, answers_by_person, blocked_ids, digest, load_answers, with_answers
from matcher.artifact import MatchModel, load_model
from matcher.errors import PolicyError
from matcher.lookup import Lookup
from matcher.policy import ANSWERING_OUTCOMES, Policy
from matcher.recommend import Recommender
from store import load_laborers, load_placements
from tests.matcher.conftest import DIANTOU, MAFANG_A, MAFANG_B, TODAY, County, encoded, people_frame, posts_frame

#: Four posts of the person's own village: without answers, a list of four holds them all.
POSTS = [{"vacancy_id": f"v{n}", "admin_code": MAFANG_A} for n in range(4)] + [
    {"vacancy_id": "town0", "admin_code": MAFANG_B},
    {"vacancy_id": "county0", "admin_code": DIANTOU},
]


def _placements(*rows: tuple[str, str, str, dt.date | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["laborer_id", "vacancy_id", "outcome", "date"])


def _recommender(model: MatchModel, people: pd.DataFrame, posts: pd.DataFrame, policy: Policy | None = None):  # type: ignore[no-untyped-def]
    p, q, index = encoded(model, people, posts)
    return Recommender(q, model.ranker, model.employers, index, policy or Policy.default(), TODAY), p


def _suggested(model: MatchModel, placements: pd.DataFrame, policy: Policy | None = None, k: int = 10) -> list[str]:
    people = with_answers(people_frame({"mobility": "county"}), answers_by_person(placements))
    rec, p = _recommender(model, people, posts_frame(*POSTS), policy)
    (result,) = rec.recommend(p, k=k)
    return [r.vacancy_id for r in result.recommendations]


@pytest.mark.parametrize("outcome", ANSWERING_OUTCOMES)
def test_a_post_answered_with_any_outcome_is_not_suggested_again(model: MatchModel, outcome: str) -> None:
    before = _suggested(model, _placements())
    assert "v1" in before and len(before) == len(POSTS)
    after = _suggested(model, _placements(("P001", "v1", outcome, TODAY - dt.timedelta(days=400))))
    assert "v1" not in after
    assert after == [v for v in before if v != "v1"], "the other posts keep their order"


def test_a_recommendation_alone_is_not_an_answer(model: MatchModel) -> None:
    assert "v1" in _suggested(model, _placements(("P001", "v1", "recommended", TODAY)))


def test_other_peoples_answers_do_not_count(model: MatchModel) -> None:
    assert "v1" in _suggested(model, _placements(("P999", "v1", "applied", TODAY)))


@pytest.mark.parametrize("outcome", ANSWERING_OUTCOMES)
def test_the_policy_lets_a_post_come_back_after_its_days(model: MatchModel, outcome: str) -> None:
    policy = Policy.from_overrides({"answered": {outcome: 30}})
    recent = _placements(("P001", "v1", outcome, TODAY - dt.timedelta(days=29)))
    old = _placements(("P001", "v1", outcome, TODAY - dt.timedelta(days=30)))
    assert "v1" not in _suggested(model, recent, policy)
    assert "v1" in _suggested(model, old, policy)
    # An answer without a date counts as the latest one: it stays away (0 days would let it back).
    assert "v1" not in _suggested(model, _placements(("P001", "v1", outcome, None)), policy)
    zero = Policy.from_overrides({"answered": {outcome: 0}})
    assert "v1" in _suggested(model, _placements(("P001", "v1", outcome, None)), zero)


def test_the_latest_answer_to_a_post_decides() -> None:
    policy = Policy.from_overrides({"answered": {"rejected": 30}}).answered
    long_ago, lately = TODAY - dt.timedelta(days=100), TODAY - dt.timedelta(days=40)
    # Applied (never back on its own), then rejected 40 days ago: the rejection's 30 days have passed.
    cells = answers_by_person(_placements(("P1", "v1", "applied", long_ago), ("P1", "v1", "rejected", lately)))
    assert blocked_ids(cells.values(), policy, TODAY) == [[]]
    # Rejected, then applied again: the new application keeps it away.
    cells = answers_by_person(_placements(("P1", "v1", "rejected", long_ago), ("P1", "v1", "applied", lately)))
    assert blocked_ids(cells.values(), policy, TODAY) == [["v1"]]
    # The same day: the later stage (rejected after interviewed) is the answer.
    same = _placements(("P1", "v1", "rejected", lately), ("P1", "v1", "interviewed", lately))
    assert blocked_ids(answers_by_person(same).values(), policy, TODAY) == [[]]


def test_the_post_side_and_a_pairs_verdict_leave_the_answer_out(model: MatchModel) -> None:
    frame = people_frame({"mobility": "county"}, {"mobility": "county"})
    frame = with_answers(frame, answers_by_person(_placements(("P001", "v1", "interviewed", TODAY))))
    rec, people = _recommender(model, frame, posts_frame(*POSTS))
    j = rec.posts.position["v1"]
    assert [c.laborer_id for c in rec.candidates_for_post(people, j)] == ["P002"]
    report = rec.describe_pairs(people, np.array([0, 1]), np.array([j, j]))
    assert report.answered is not None and report.answered.tolist() == [True, False]
    assert report.ok.tolist() == [False, True]
    pi, pj, _ = rec.score_posts(people, np.array([j]), top_per_person=None)
    assert pi.tolist() == [1] and pj.tolist() == [j]


def test_answered_posts_are_not_counted_as_in_reach(model: MatchModel) -> None:
    """A shortfall says how many posts are in reach "(all listed)": the answered ones are not offered."""
    people = people_frame({"mobility": "home"})
    posts = posts_frame({"vacancy_id": "v0", "admin_code": MAFANG_A}, {"vacancy_id": "v1", "admin_code": MAFANG_A})
    answered = with_answers(people, answers_by_person(_placements(("P001", "v1", "rejected", TODAY))))
    rec, p = _recommender(model, answered, posts)
    (result,) = rec.recommend(p, k=10)
    assert [r.vacancy_id for r in result.recommendations] == ["v0"]
    assert result.shortfall is not None and "1个" in result.shortfall.reason, result.shortfall.reason


def test_the_change_marker_moves_with_the_answers_and_the_days() -> None:
    frame = pd.DataFrame({"laborer_id": ["P1", "P2"]})
    policy = Policy.from_overrides({"answered": {"rejected": 30}}).answered
    cells = answers_by_person(_placements(("P1", "v1", "rejected", TODAY - dt.timedelta(days=29))))
    frame = with_answers(frame, cells)
    assert frame[ANSWERS].iloc[1] is None
    today, later = digest(frame, policy, TODAY), digest(frame, policy, TODAY + dt.timedelta(days=2))
    assert today[0].startswith("|a") and today[1] == ""
    assert later[0] == "" and later[1] == ""


def test_a_store_lookup_never_suggests_an_answered_post(county: County) -> None:
    """Through the people loader the service and the CLI use: the sample's history of answers holds."""
    lookup = Lookup(county.engine, model=load_model(county.model_path), today=TODAY)
    seekers = load_laborers(county.engine, wants_job=True)["laborer_id"].tolist()
    history = load_placements(county.engine, seekers)
    answered = history[history["outcome"].isin(ANSWERING_OUTCOMES)]
    assert len(answered) > 100, "the sample county has a history of answers"
    pairs = set(zip(answered["laborer_id"], answered["vacancy_id"], strict=True))
    results = lookup.recommend(seekers, k=10)
    offered = {(r.laborer_id, rec.vacancy_id) for r in results for rec in r.recommendations}
    assert not offered & pairs
    people = {pid for pid, _ in pairs}
    assert sum(r.laborer_id in people and len(r.recommendations) >= 3 for r in results) > 50


def test_the_store_reader_and_the_frame_reader_agree(county: County) -> None:
    """The lookup reads answers straight from the placements table, the batch from the placements frame."""
    seekers = load_laborers(county.engine, wants_job=True)["laborer_id"].tolist()
    direct = load_answers(county.engine, seekers)
    framed = answers_by_person(load_placements(county.engine, seekers))
    assert len(direct) > 50
    assert {k: sorted(v) for k, v in direct.items()} == {k: sorted(v) for k, v in framed.items()}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[answered]\napplied = "30"\n', "answered.applied"),
        ("[answered]\nrejected = -1\n", "answered.rejected"),
        ("[answered]\nquit = true\n", "answered.quit"),
        ('[answered]\ndeclined = "nie"\n', "answered.declined"),
        ("[answered]\napplyed = 3\n", "answered.applyed"),
    ],
)
def test_the_answered_section_is_validated(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        Policy.load(path)
    assert info.value.key == key
    assert key in info.value.message_en and key in info.value.message_zh


def test_the_answered_section_defaults_and_overrides(tmp_path: Path) -> None:
    default = Policy.default().answered
    assert all(default.days(o) is None for o in ANSWERING_OUTCOMES)
    path = tmp_path / "county.toml"
    path.write_text("[answered]\nrejected = 180\ndeclined = 90\n", encoding="utf-8")
    policy = Policy.load(path)
    assert (policy.answered.days("rejected"), policy.answered.days("declined")) == (180, 90)
    assert policy.answered.days("applied") is None
    assert Policy.from_dict(policy.to_dict()) == policy
