"""The incremental night: who is recomputed, whose list is repaired in place, who keeps yesterday's.

A person's list depends on hundreds of posts (every eligible post the first
stages looked at), so with 5 % of a province's posts changing in a day an
exact replay would recompute nearly everyone. The incremental run therefore
works at the level of the pairs a list holds:

* **recomputed** (exactly as ``--full`` would): people whose ledger row or
  household changed, or who are new; people with a shortfall when a post of
  their county (or an online post) moved; people of a zero-employment
  household who lost a post; people whose list would fall below
  :func:`refill_below` posts, or whose training or safety-net part a change
  touches (those parts depend on how many market posts there are);
* **repaired in place**: a post that closed, expired, filled up or vanished
  leaves the list; a post whose match fields changed (wage, hours, limits …)
  is re-checked against the hard constraints, re-scored by the ranker and
  re-explained; a new or changed post enters the list when it is eligible,
  lies within the rings the list already opened and beats the weakest market
  post (or the list was not full). The list is then ordered as the
  recommender orders it (score, ties by post);
* **kept**: everyone else, rows copied from the previous run.

What a repair does not replay, and ``--full`` (weekly, or after a new
artifact) refreshes: a post that now falls out of a person's first stages
makes room for the next one only at the next recompute; a training flag's
count of posts a course would unlock is the count of the person's last
recompute. Every published list still passes every hard constraint today
(repairs re-check them), and the openings in the reasons are today's (see
:func:`matcher.batch.runner._current_openings`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from matcher.batch.engine import BatchContext
from matcher.batch.runs import RunDir, read_table
from matcher.prepare import KIND_INDEX, KINDS, Posts, prepare_people
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
    repaired: pd.DataFrame  # candidate rows of the people whose lists were repaired in place
    counts: dict[str, int]
    #: Per county the check visited, the ``(laborer_ids, vectors)`` it holds: those it had to encode, then
    #: the previous run's (so the runner need not read them again).
    vectors: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)


def refill_below(per_person: int, k: int) -> int:
    """A list that a repair leaves shorter than this is recomputed instead (refilled): halfway from ``k`` to
    ``per_person``, so the congestion step keeps room to choose and a list never serves fewer than ``k``."""
    return k + (per_person - k) // 2


#: Changed posts scored per person in the entering check (the linear first stage picks them).
ENTERING_PER_PERSON = 3
_ROW = ["laborer_id", "rank", "vacancy_id", "title", "kind", "score", "step", "reasons", "prior"]


def plan_incremental(
    context: BatchContext,
    previous: RunDir,
    laborers: pd.DataFrame,
    households: pd.DataFrame,
    per_person: int,
    k: int,
) -> IncrementalPlan:
    """Split ``laborers`` into recomputed, repaired and kept people (see the module notes)."""
    old_people = read_table(previous, "people")
    old_hash = dict(zip(old_people["laborer_id"], old_people["content_hash"], strict=True))
    ids = laborers["laborer_id"].to_numpy()
    recompute = np.fromiter(
        (old_hash.get(pid) != h for pid, h in zip(ids, laborers["content_hash"], strict=True)),
        dtype=bool,
        count=len(laborers),
    )
    counts = {"changed_people": int(recompute.sum())}
    if "coarse_floor" not in old_people.columns:  # a run of an older version: recompute everyone
        counts["previous_run_too_old"] = int((~recompute).sum())
        return IncrementalPlan(laborers.reset_index(drop=True), pd.DataFrame(columns=_ROW), counts)
    snapshot = post_snapshot(context.posts, context.today)
    touched, entering = changed_posts(previous, snapshot)
    suggestible = set(snapshot.loc[snapshot["suggestible"], "vacancy_id"])
    cand = read_table(previous, "candidates")
    cand = cand[[c for c in _ROW if c in cand.columns]]
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

    hit = cand["vacancy_id"].isin(touched)
    gone = hit & ~cand["vacancy_id"].isin(suggestible)
    market_row = cand["step"].isin(RINGS[: len(RINGS)])
    mark(set(cand.loc[gone & ~market_row, "laborer_id"]), "lost_training_or_safety_post")
    zero = laborers.loc[laborers["content_hash"].astype(str).str.endswith("|z"), "laborer_id"]
    mark(set(zero) & set(cand.loc[gone, "laborer_id"]), "zero_employment_lost_post")
    left = (~gone).groupby(cand["laborer_id"]).sum()
    lost = set(cand.loc[gone, "laborer_id"])
    short_lists = left[(left < refill_below(per_person, k)) & left.index.isin(lost)].index
    mark(set(short_lists), "list_below_refill")

    floors = old_people.set_index("laborer_id")["coarse_floor"] if "coarse_floor" in old_people else pd.Series()
    repair = _Repairs(context, cand, gone, hit & ~gone, refill_below(per_person, k), per_person, floors, previous)
    todo_rows = np.flatnonzero(~recompute)
    repair.run(laborers, households, todo_rows, entering)
    mark(repair.recompute, "repair_needs_recompute")
    repaired = repair.frame(set(ids[recompute]))
    counts["repaired"] = int(repaired["laborer_id"].nunique()) if len(repaired) else 0
    return IncrementalPlan(laborers[recompute].reset_index(drop=True), repaired, counts, repair.vector_sources())


class _Repairs:
    """Pair-level repairs of the lists of people who are not recomputed."""

    def __init__(
        self,
        context: BatchContext,
        cand: pd.DataFrame,
        gone: pd.Series,
        rescore: pd.Series,
        refill: int,
        per_person: int,
        floors: pd.Series,
        previous: RunDir,
    ) -> None:
        self.context = context
        self.floors = floors.to_dict()
        self.refill = refill
        self.per_person = per_person
        self.cand = cand
        self.gone = set(cand.loc[gone, "vacancy_id"])
        self.rescore_rows = cand[rescore]
        self.rescored_posts = set(self.rescore_rows["vacancy_id"])
        self.touched_people = set(cand.loc[gone | rescore, "laborer_id"])
        self.recompute: set[str] = set()
        self.previous = previous
        self.stored: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        self.encoded: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        # Per person: vacancy -> (ok, ring, market, score, coarse, (report, pair))
        self.verdicts: dict[str, dict[str, tuple[bool, int, bool, float, float, Any]]] = {}

    def run(self, laborers: pd.DataFrame, households: pd.DataFrame, rows: np.ndarray, entering: set[str]) -> None:
        posts = self.context.posts
        enter = np.array(sorted(posts.position[v] for v in entering if v in posts.position), dtype=np.int64)
        online = enter[posts.kind[enter] == KIND_INDEX["online"]] if len(enter) else enter
        city = posts.city[enter] if len(enter) else enter
        wanted = self.rescore_rows.groupby("laborer_id")["vacancy_id"].agg(list).to_dict()
        counties = laborers["county_code"].astype(str).to_numpy()
        ids = laborers["laborer_id"].to_numpy()
        for county in np.unique(counties[rows]):
            members = rows[counties[rows] == county]
            near = enter[city == (int(county[:4]) if county[:4].isdigit() else -1)] if len(enter) else enter
            mine = np.union1d(near, online)
            if not len(mine):
                members = members[np.isin(ids[members], list(wanted))]
            if not len(members):
                continue
            for start in range(0, len(members), 5_000):
                chunk = laborers.iloc[members[start : start + 5_000]]
                self._chunk(chunk, households, mine, wanted)

    def _vectors(self, county: str, people: Any) -> np.ndarray:
        """The people's vectors as the previous run stored them (same artifact, unchanged rows), encoding
        only those it lacks."""
        stored = self.stored.get(county)
        if county not in self.stored:
            stored = self.stored[county] = self.previous.read_vectors(county)
        encoder = self.context.model.encoder
        if stored is None:
            fresh = encoder.transform_laborers(people.frame)
            self.encoded.setdefault(county, []).append((people.ids, fresh))
            return fresh
        ids, vectors = stored
        at = pd.Index(ids).get_indexer(pd.Index(people.ids))
        out = np.empty((len(people), vectors.shape[1]), dtype=np.float32)
        have = at >= 0
        have[have] = np.isfinite(vectors[at[have], 0])
        out[have] = vectors[at[have]]
        if not have.all():
            missing = np.flatnonzero(~have)
            out[missing] = encoder.transform_laborers(people.frame.iloc[missing])
            self.encoded.setdefault(county, []).append((people.ids[missing], out[missing]))
        return out

    def vector_sources(self) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
        """Per county visited: the vectors encoded here, then the previous run's (see IncrementalPlan)."""
        out: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        for county in set(self.encoded) | set(self.stored):
            stored = self.stored.get(county)
            out[county] = list(self.encoded.get(county, [])) + ([stored] if stored is not None else [])
        return out

    def _chunk(self, chunk: pd.DataFrame, households: pd.DataFrame, mine: np.ndarray, wanted: dict) -> None:
        context, posts = self.context, self.context.posts
        people = prepare_people(chunk, households[households["household_id"].isin(chunk["household_id"])])
        people.vectors = self._vectors(str(chunk["county_code"].iloc[0]), people)
        pi_parts, pj_parts = [], []
        if len(mine):
            # A post below the person's first-stage floor would not enter (see _repair): left out early.
            floor = np.array([self.floors.get(str(pid), np.inf) for pid in people.ids], dtype=np.float64)
            pi, pj, _ = context.recommender.score_posts(
                people, mine, top_per_person=ENTERING_PER_PERSON, min_coarse=np.nan_to_num(floor, nan=np.inf)
            )
            pi_parts.append(pi)
            pj_parts.append(pj)
        for n, pid in enumerate(people.ids):
            for v in wanted.get(pid, ()):
                j = posts.position.get(v)
                if j is not None:
                    pi_parts.append(np.array([n]))
                    pj_parts.append(np.array([j]))
        if not pi_parts:
            return
        pi, pj = np.concatenate(pi_parts), np.concatenate(pj_parts)
        if not len(pi):
            return
        report = context.recommender.describe_pairs(people, pi, pj)
        for n in range(len(pi)):
            pid = str(people.ids[pi[n]])
            vid = str(posts.ids[pj[n]])
            self.verdicts.setdefault(pid, {})[vid] = (
                bool(report.ok[n]),
                int(report.ring[n]),
                bool(report.market[n]),
                float(report.score[n]),
                float(report.coarse[n]),
                (report, n),
            )

    def frame(self, recomputed: set[str]) -> pd.DataFrame:
        """The repaired lists (people recomputed after all are left out)."""
        people = (self.touched_people | self._may_enter()) - recomputed
        sub = self.cand[self.cand["laborer_id"].isin(people)].sort_values(["laborer_id", "rank"], kind="stable")
        out: list[dict[str, Any]] = []
        # Light rows (the fields a repair reads, and the row's position in ``sub``): titles and reasons
        # of rows a repair keeps as they were are taken from ``sub`` at the end, never converted.
        light = [c for c in ("laborer_id", "vacancy_id", "step", "score", "kind", "prior") if c in sub.columns]
        columns = {c: sub[c].tolist() for c in light}
        columns["_pos"] = list(range(len(sub)))
        records = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
        for pid, group in itertools.groupby(records, key=lambda r: r["laborer_id"]):
            fixed = self._repair(str(pid), list(group))
            if fixed is None:
                self.recompute.add(str(pid))
            elif fixed is not _UNCHANGED:
                out.extend(fixed)
        # People with entering verdicts but no previous rows had empty lists: recompute them.
        listed = set(sub["laborer_id"])
        for pid in set(self.verdicts) - listed - recomputed:
            if any(v[0] for v in self.verdicts[pid].values()):
                self.recompute.add(pid)
        kept = [r for r in out if "reasons" not in r]
        same = sub.iloc[[r["_pos"] for r in kept]].assign(rank=[r["rank"] for r in kept])
        new = pd.DataFrame([r for r in out if "reasons" in r], columns=_ROW)
        parts = [f for f in (same[[c for c in _ROW if c in same.columns]], new) if len(f)]
        frame = pd.concat(parts, ignore_index=True) if parts else new
        frame = frame.sort_values(["laborer_id", "rank"], kind="stable")
        return frame[~frame["laborer_id"].isin(self.recompute)].reset_index(drop=True)

    def _may_enter(self) -> set[str]:
        """People with a new or changed post that passes the first checks of :meth:`_repair` (eligible,
        within reach, above the person's first-stage floor, not public-welfare): the others keep their list."""
        welfare = KIND_INDEX["public_welfare"]
        kind = self.context.posts.kind
        out = set()
        for pid, verdicts in self.verdicts.items():
            floor = self.floors.get(pid, np.inf)
            for ok, ring, _, _, coarse, (report, n) in verdicts.values():
                if ok and ring >= 0 and coarse >= floor and kind[int(report.pj[n])] != welfare:
                    out.add(pid)
                    break
        return out

    def _repair(self, pid: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]] | object | None:
        """The repaired rows of one person; None: recompute instead; _UNCHANGED: keep as they are."""
        verdicts = self.verdicts.get(pid, {})
        changed = False
        kept: list[dict[str, Any]] = []
        for row in rows:
            vid = row["vacancy_id"]
            if vid in self.gone:
                changed = True
                continue
            verdict = verdicts.get(vid)
            if verdict is not None and vid in self.rescored_posts:
                ok, ring, market, score, _, (report, n) = verdict
                in_rings = row["step"] in RINGS
                if not ok or (in_rings and not market):
                    if not in_rings:
                        return None
                    changed = True
                    continue
                step = RINGS[ring] if in_rings else row["step"]
                j = int(report.pj[n])
                row = dict(
                    row,
                    score=score,
                    step=step,
                    title=str(self.context.posts.col("title")[j]),
                    kind=KINDS[self.context.posts.kind[j]],
                    reasons=json.dumps(list(report.reasons(n, step)), ensure_ascii=False),
                )
                changed = True
            kept.append(row)
        market = [r for r in kept if r["step"] in RINGS]
        others = [r for r in kept if r["step"] not in RINGS]
        welfare = [r for r in others if r["step"] == "safety_net" and r["kind"] == "public_welfare"]
        rest = [r for r in others if r not in welfare]
        capacity = self.per_person - len(welfare) - len(rest)
        was_full = len([r for r in rows if r["step"] in RINGS]) >= self.per_person - len(welfare)
        listed = {r["vacancy_id"] for r in kept} | {r["vacancy_id"] for r in rows}
        reach = max((RINGS.index(r["step"]) for r in market), default=-1)
        prior = bool(rows[0].get("prior", False)) if rows else False
        # A post the first stage would not have shortlisted for this person stays out, as in a full run.
        floor = self.floors.get(pid, np.inf)
        for vid, (ok, ring, is_market, score, coarse, (report, n)) in verdicts.items():
            if vid in listed or not ok or ring < 0 or not coarse >= floor:
                continue
            if self.context.posts.kind[int(report.pj[n])] == KIND_INDEX["public_welfare"]:
                continue  # offered only as a flagged person's safety net, decided at a recompute
            if not is_market:
                if rest:
                    return None
                continue
            if not was_full:
                if rest:
                    return None
            elif ring > reach or score <= min((r["score"] for r in market), default=np.inf):
                continue
            step = RINGS[ring]
            j = int(report.pj[n])
            market.append(
                {
                    "laborer_id": pid,
                    "rank": 0,
                    "vacancy_id": vid,
                    "title": str(self.context.posts.col("title")[j]),
                    "kind": KINDS[self.context.posts.kind[j]],
                    "score": score,
                    "step": step,
                    "reasons": json.dumps(list(report.reasons(n, step)), ensure_ascii=False),
                    "prior": prior,
                }
            )
            changed = True
        if not changed:
            return _UNCHANGED
        position = self.context.posts.position
        market.sort(key=lambda r: (-r["score"], position.get(r["vacancy_id"], 1 << 62)))
        final = market[: max(capacity, 0)] + rest + welfare
        if len(final) < len(rows) and len(final) < self.refill:
            return None
        for rank, row in enumerate(final, 1):
            row["rank"] = rank
        return final


_UNCHANGED = object()
