"""Who must be recomputed since the last run, and who can keep yesterday's suggestions.

A person is recomputed when

* their ledger row changed (content hash) or they are new;
* one of their earlier candidates is a post that changed, closed, expired,
  filled up or disappeared;
* a post that is new or changed since the last run would now enter their
  list: it is eligible for them and its hire probability beats the weakest
  of their earlier candidates (or their list was not full).

Everyone else keeps the previous run's rows, copied into the new run. The
third test scores only the changed posts against the people of their
reach, so its cost follows the size of the change, not of the province.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from matcher.batch.engine import BatchContext
from matcher.batch.runs import RunDir, read_table
from matcher.prepare import KIND_INDEX, Posts, prepare_people

__all__ = ["post_snapshot", "changed_posts", "affected_people"]


#: The post fields a person's candidate list depends on: everything but how many people are
#: hired (openings only matter through "suggestible", the congestion step and the "在招N人" text,
#: all of which every run recomputes or refreshes at publish).
MATCH_FIELDS = (
    "employer_id", "kind", "title", "occupation_code", "description", "required_skills", "required_certificates",
    "county_code", "town_code", "village_code", "lat", "lon", "wage_min", "wage_max", "wage_unit", "hours",
    "age_min", "age_max", "physical_demand", "training_provided", "transport_provided", "lodging_provided",
    "start_date", "end_date",
)  # fmt: skip


def match_hash(posts: Posts) -> np.ndarray:
    """A digest per post of :data:`MATCH_FIELDS`."""
    cols = [c for c in MATCH_FIELDS if c in posts.frame.columns]
    text = posts.frame[cols].astype(str)
    return pd.util.hash_pandas_object(text, index=False).to_numpy().astype(str)


def post_snapshot(posts: Posts, today: dt.date) -> pd.DataFrame:
    """Which version of each post a run saw, and whether it was suggestible that day."""
    t = today.toordinal()
    return pd.DataFrame(
        {
            "vacancy_id": posts.ids.astype(str),
            "content_hash": match_hash(posts),
            "suggestible": posts.open & (posts.end >= t) & (posts.openings > 0),
            "openings": posts.openings,
            "occupation_code": posts.col("occupation_code"),
            "kind": posts.frame["kind"].astype(str).to_numpy(),
            "county_code": posts.col("county_code"),
        }
    )


def changed_posts(previous: RunDir, now: pd.DataFrame) -> tuple[set[str], set[str]]:
    """``(changed_or_gone, new_or_changed_and_suggestible)`` vacancy ids since ``previous``."""
    path = previous.path / "posts.parquet"
    before = pd.read_parquet(path) if path.exists() else now.iloc[0:0]
    now, before = (
        now[["vacancy_id", "content_hash", "suggestible"]],
        before[["vacancy_id", "content_hash", "suggestible"]],
    )
    merged = now.merge(before, on="vacancy_id", how="outer", suffixes=("", "_before"), indicator=True)
    gone = merged["_merge"] == "right_only"
    new = merged["_merge"] == "left_only"
    both = merged["_merge"] == "both"
    differs = both & (
        (merged["content_hash"] != merged["content_hash_before"])
        | (merged["suggestible"] != merged["suggestible_before"])
    )
    touched = set(merged.loc[gone | differs, "vacancy_id"])
    entering = set(merged.loc[(new | differs) & merged["suggestible"].fillna(False).astype(bool), "vacancy_id"])
    return touched, entering


def affected_people(
    context: BatchContext, previous: RunDir, laborers: pd.DataFrame, households: pd.DataFrame, per_person: int
) -> pd.DataFrame:
    """The rows of ``laborers`` that must be recomputed."""
    old_people = read_table(previous, "people", columns=["laborer_id", "content_hash"])
    old_hash = dict(zip(old_people["laborer_id"], old_people["content_hash"], strict=True))
    changed_person = np.fromiter(
        (old_hash.get(pid) != h for pid, h in zip(laborers["laborer_id"], laborers["content_hash"], strict=True)),
        dtype=bool,
        count=len(laborers),
    )
    touched, entering = changed_posts(previous, post_snapshot(context.posts, context.today))
    cand = read_table(previous, "candidates", columns=["laborer_id", "vacancy_id", "score"])
    hit = set(cand.loc[cand["vacancy_id"].isin(touched), "laborer_id"])
    need = changed_person | laborers["laborer_id"].isin(hit).to_numpy()
    # A training flag names the openings a course unlocks in the county: any changed post
    # there (or any changed online post) can change its text.
    snapshot = post_snapshot(context.posts, context.today)
    moved = snapshot[snapshot["vacancy_id"].isin(touched | entering)]
    flags = read_table(previous, "flags", columns=["laborer_id", "kind"])
    trainees = set(flags.loc[flags["kind"] == "training", "laborer_id"])
    if trainees and len(moved):
        counties = set(moved["county_code"].dropna().astype(str))
        everywhere = bool((moved["kind"] == "online").any())
        in_county = laborers["county_code"].astype(str).isin(counties).to_numpy() | everywhere
        need |= in_county & laborers["laborer_id"].isin(trainees).to_numpy()
    if entering:
        need |= _entering(context, laborers, households, need, cand, entering, per_person)
    return laborers[need].reset_index(drop=True)


#: Changed posts scored per person in the entering check (the linear first stage picks them).
ENTERING_PER_PERSON = 3


def _entering(
    context: BatchContext,
    laborers: pd.DataFrame,
    households: pd.DataFrame,
    need: np.ndarray,
    cand: pd.DataFrame,
    entering: set[str],
    per_person: int,
) -> np.ndarray:
    """People a new or changed post would now enter the list of.

    Each county's people are scored against the changed posts of their own prefecture and the
    changed online posts (the posts their local pool holds); the first stage keeps each person's
    best ``ENTERING_PER_PERSON`` of those, and a person is recomputed when one of them beats the
    weakest of their earlier candidates. A changed post farther away reaches a person only through
    the far fetch of the vector index, which this check does not replay.
    """
    posts = context.posts
    rows = np.array([posts.position[v] for v in entering if v in posts.position], dtype=np.int64)
    out = np.zeros(len(laborers), dtype=bool)
    if not len(rows):
        return out
    weakest = cand.groupby("laborer_id")["score"].agg(["min", "size"])
    online = rows[posts.kind[rows] == KIND_INDEX["online"]]
    city = posts.city[rows]
    todo = np.flatnonzero(~need)
    counties = laborers["county_code"].astype(str).to_numpy()
    for county in np.unique(counties[todo]):
        members = todo[counties[todo] == county]
        near = rows[city == (int(county[:4]) if county[:4].isdigit() else -1)]
        mine = np.union1d(near, online)
        if not len(mine):
            continue
        for start in range(0, len(members), 5_000):
            chunk = laborers.iloc[members[start : start + 5_000]]
            people = prepare_people(chunk, households[households["household_id"].isin(chunk["household_id"])])
            people.vectors = context.model.encoder.transform_laborers(people.frame)
            pi, _, p = context.recommender.score_posts(people, mine, top_per_person=ENTERING_PER_PERSON)
            if not len(pi):
                continue
            ids = people.ids[pi]
            floor = weakest["min"].reindex(ids).to_numpy()
            size = weakest["size"].reindex(ids).fillna(0).to_numpy()
            beats = (size < per_person) | np.isnan(floor) | (p > floor)
            out |= laborers["laborer_id"].isin(set(ids[beats])).to_numpy()
    return out
