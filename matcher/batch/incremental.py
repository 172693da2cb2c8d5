"""The incremental night: who is recomputed, whose list is repaired in place, who keeps yesterday's.

A person's list depends on hundreds of posts (every eligible post the first
stages looked at), so with 5 % of a province's posts changing in a day an
exact replay would recompute nearly everyone. The incremental run therefore
works at the level of the pairs a list holds:

* **recomputed** (exactly as ``--full`` would): people whose ledger row or
  household changed, or who are new; people with a shortfall when a post of
  their county (or an online post) moved; people of a zero-employment
  household who lost a post, unless more untouched market posts than the
  zero-employment rule allows remain on their list (see the check); people whose list would fall below
  :func:`refill_below` posts, or whose training or safety-net part a change
  touches (those parts depend on how many market posts there are);
* **repaired in place**: a post that closed, expired, filled up or vanished
  leaves the list; a post whose match fields changed (wage, hours, limits …)
  is re-checked against the hard constraints, re-scored by the ranker and
  re-explained; a new or changed post that is eligible and above the
  person's first-stage floor is offered to the list. The list is then put
  together by the recommender's own list policy (:mod:`matcher.assemble`),
  so an entering post stays only where a lookup would keep it. A list the
  repair cannot mend (a training or safety-net post would move, its count
  of market posts crosses three, or it would fall below the refill size) is
  recomputed. The repairs run on all lists at once
  (:mod:`matcher.batch.repairs`);
* **kept**: everyone else, rows copied from the previous run; a county
  where nobody was recomputed or repaired and whose people did not change
  takes the previous run's partition files as they are (hard links).

What a repair does not replay, and ``--full`` (weekly, or after a new
artifact) refreshes: a post that now falls out of a person's first stages
makes room for the next one only at the next recompute; a training flag's
count of posts a course would unlock is the count of the person's last
recompute. Every published list still passes every hard constraint today
(repairs re-check them), and the openings in the reasons are today's (see
:func:`matcher.batch.publish._current_openings`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matcher.batch.engine import FLOOR_COLUMNS, BatchContext
from matcher.batch.repairs import REPAIR_COLUMNS, Repairs, isin
from matcher.batch.runs import RunDir, read_table, table_columns
from matcher.prepare import Posts
from matcher.reach import RINGS, open_mask

__all__ = ["post_snapshot", "changed_posts", "plan_incremental", "IncrementalPlan"]


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
    return pd.DataFrame(
        {
            "vacancy_id": posts.ids.astype(str),
            "content_hash": match_hash(posts),
            "suggestible": open_mask(posts, today),
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


@dataclass
class IncrementalPlan:
    """The outcome of the incremental check."""

    todo: pd.DataFrame  # laborers to recompute
    #: Candidate rows of the people whose lists were repaired in place (:data:`REPAIR_COLUMNS`; rows kept
    #: as they were have null title and reasons, which the writer takes from the previous run).
    repaired: pd.DataFrame
    counts: dict[str, int]
    #: Per county the check visited, the ``(laborer_ids, vectors)`` it holds: those it had to encode, then
    #: the previous run's (so the runner need not read them again).
    vectors: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)


def refill_below(per_person: int, k: int) -> int:
    """A list that a repair leaves shorter than this is recomputed instead (refilled): halfway from ``k`` to
    ``per_person``, so the congestion step keeps room to choose and a list never serves fewer than ``k``."""
    return k + (per_person - k) // 2


#: The candidate columns the check reads (not titles and reasons: the writer reads those per county).
_LIGHT = ["laborer_id", "rank", "vacancy_id", "kind", "score", "step", "prior", "tier"]


def plan_incremental(
    context: BatchContext,
    previous: RunDir,
    laborers: pd.DataFrame,
    households: pd.DataFrame,
    per_person: int,
    k: int,
    snapshot: pd.DataFrame | None = None,
) -> IncrementalPlan:
    """Split ``laborers`` into recomputed, repaired and kept people (see the module notes).

    ``snapshot`` is today's :func:`post_snapshot` when the caller has it already.
    """
    old_people = read_table(previous, "people")
    old_hash = dict(zip(old_people["laborer_id"], old_people["content_hash"], strict=True))
    ids = laborers["laborer_id"].to_numpy()
    recompute = np.fromiter(
        (old_hash.get(pid) != h for pid, h in zip(ids, laborers["content_hash"], strict=True)),
        dtype=bool,
        count=len(laborers),
    )
    counts = {"changed_people": int(recompute.sum())}
    available = set(table_columns(previous, "candidates"))
    # A run of an older version (no floors, or lists ordered without the first stage's tiers): recompute everyone.
    if "coarse_floor" not in old_people.columns or "tier" not in available:
        counts["previous_run_too_old"] = int((~recompute).sum())
        return IncrementalPlan(laborers.reset_index(drop=True), pd.DataFrame(columns=REPAIR_COLUMNS), counts)
    if snapshot is None:
        snapshot = post_snapshot(context.posts, context.today)
    touched, entering = changed_posts(previous, snapshot)
    suggestible = set(snapshot.loc[snapshot["suggestible"], "vacancy_id"])
    cand = read_table(previous, "candidates", columns=[c for c in _LIGHT if c in available])
    cand["source_row"] = cand.groupby("county_code", sort=False).cumcount().to_numpy(dtype=np.int64)
    position = pd.Series(np.arange(len(laborers)), index=ids)

    def mark(people: set[str] | pd.Series, reason: str) -> None:
        rows = position.reindex(list(people)).dropna().to_numpy(dtype=np.int64)
        fresh = rows[~recompute[rows]]
        recompute[fresh] = True
        counts[reason] = counts.get(reason, 0) + len(fresh)

    # Shortfalls name how many posts are within reach: any moved post of the county can change that.
    moved = snapshot[snapshot["vacancy_id"].isin(touched | entering)]
    moved_counties = set(moved["county_code"].dropna().astype(str))
    online_moved = bool((moved["kind"] == "online").any())
    shortfalls = read_table(previous, "shortfalls", columns=["laborer_id"])
    short_ids = laborers["laborer_id"].isin(set(shortfalls["laborer_id"]))
    in_moved = laborers["county_code"].astype(str).isin(moved_counties) | online_moved
    mark(set(laborers.loc[short_ids & in_moved, "laborer_id"]), "shortfall_reach_moved")

    hit = isin(cand["vacancy_id"], touched)
    gone = hit & ~isin(cand["vacancy_id"], suggestible)
    market_row = isin(cand["step"], list(RINGS))
    holder, names = pd.factorize(cand["laborer_id"])  # each row's person as a number
    names = np.asarray(names, dtype=object)

    def holders(rows: np.ndarray) -> set[str]:
        return set(names[np.unique(holder[rows])].tolist())

    def count_per_person(rows: np.ndarray) -> np.ndarray:
        return np.bincount(holder, weights=rows, minlength=len(names))

    mark(holders(gone & ~market_row), "lost_training_or_safety_post")
    zero = laborers.loc[laborers["content_hash"].astype(str).str.endswith("|z"), "laborer_id"]
    lost = holders(gone)
    rule = context.policy.public_welfare.zero_employment
    if context.policy.public_welfare.enabled and rule.enabled:
        # The zero-employment flag needs at most ``max_market_posts`` market posts in reach. A list that
        # still holds more market posts that nothing touched (each still open and eligible today) keeps
        # the flag off; only the others may gain it and are recomputed.
        safe = set(names[count_per_person(market_row & ~hit) > rule.max_market_posts].tolist())
        mark((set(zero) & lost) - safe, "zero_employment_lost_post")
    left = count_per_person(~gone)
    short_lists = names[(left < refill_below(per_person, k)) & isin(pd.Series(names), lost)]
    mark(set(short_lists), "list_below_refill")

    floors = old_people.set_index("laborer_id")[[c for c in FLOOR_COLUMNS if c in old_people.columns]]
    repair = Repairs(context, cand, gone, hit & ~gone, refill_below(per_person, k), per_person, floors, previous)
    todo_rows = np.flatnonzero(~recompute)
    repair.run(laborers, households, todo_rows, entering)
    repaired = repair.frame(set(ids[recompute]))
    # Lists a repair cannot mend (left out of ``repaired``) are recomputed.
    mark(repair.recompute, "repair_needs_recompute")
    counts["repaired"] = int(repaired["laborer_id"].nunique()) if len(repaired) else 0
    return IncrementalPlan(laborers[recompute].reset_index(drop=True), repaired, counts, repair.vector_sources())
