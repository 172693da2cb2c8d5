"""Posts that have not started yet: suggested (saying when they start) only within the policy's window.

``[posts] starts_within_days`` (``matcher/data/policy.toml``, 30 days) is a hard constraint of
:func:`matcher.reach.open_mask`, which the lookup, the batch, the service's snapshots and the
post's candidate list all use; ``matcher.serving.assemble`` sets the window on the day's posts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.artifact import MatchModel
from matcher.errors import PolicyError
from matcher.policy import Policy
from matcher.prepare import prepare_posts
from matcher.reach import open_mask
from matcher.recommend import Recommender
from tests.matcher.conftest import TODAY, encoded, people_frame, posts_frame


@settings(max_examples=60, deadline=None)
@given(
    offsets=st.lists(st.integers(-400, 400), min_size=1, max_size=12),
    window=st.integers(0, 120),
    openings=st.lists(st.integers(0, 3), min_size=12, max_size=12),
)
def test_a_post_is_open_exactly_when_it_starts_within_the_window(
    offsets: list[int], window: int, openings: list[int]
) -> None:
    rows = [
        {"start_date": (TODAY + dt.timedelta(days=d)).isoformat(), "openings": openings[n]}
        for n, d in enumerate(offsets)
    ]
    posts = prepare_posts(posts_frame(*rows))
    posts.starts_within = window
    expect = np.array([d <= window and openings[n] > 0 for n, d in enumerate(offsets)])
    assert (open_mask(posts, TODAY) == expect).all()
    later = dataclasses.replace(posts, starts_within=0)  # the window is part of the cached mask's key
    assert (open_mask(later, TODAY) == np.array([d <= 0 and openings[n] > 0 for n, d in enumerate(offsets)])).all()


def test_a_post_starting_soon_is_suggested_saying_when_and_a_later_one_is_not(model: MatchModel) -> None:
    soon, late = TODAY + dt.timedelta(days=10), TODAY + dt.timedelta(days=45)
    posts = posts_frame(
        {"vacancy_id": "started", "start_date": (TODAY - dt.timedelta(days=3)).isoformat()},
        {"vacancy_id": "soon", "start_date": soon.isoformat()},
        {"vacancy_id": "late", "start_date": late.isoformat()},
        {"vacancy_id": "undated"},
    )
    p, q, index = encoded(model, people_frame({"mobility": "county"}), posts)
    policy = Policy.default()
    assert policy.posts.starts_within_days == 30
    q.starts_within = policy.posts.starts_within_days
    (result,) = Recommender(q, model.ranker, model.employers, index, policy, TODAY).recommend(p, k=10)
    shown = {r.vacancy_id: r for r in result.recommendations}
    assert set(shown) == {"started", "soon", "undated"}
    assert shown["soon"].details is not None and shown["soon"].details.starts_on == soon.isoformat()
    assert f"{soon.month}月{soon.day}日开工" in "；".join(shown["soon"].reasons)
    assert shown["started"].details is not None and shown["started"].details.starts_on is None
    # on the day it comes within the window, the later post is suggested too
    day = late - dt.timedelta(days=30)
    (result,) = Recommender(q, model.ranker, model.employers, index, policy, day).recommend(p, k=10)
    assert "late" in {r.vacancy_id for r in result.recommendations}


def test_the_window_comes_from_the_policy_and_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "county.toml"
    path.write_text("[posts]\nstarts_within_days = 7\n", encoding="utf-8")
    assert Policy.load(path).posts.starts_within_days == 7
    path.write_text("[posts]\nstarts_within_days = -1\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="starts_within_days"):
        Policy.load(path)
