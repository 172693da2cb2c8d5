"""Pair-level repairs of the lists of people an incremental run does not recompute.

See :mod:`matcher.batch.incremental` for when a list is repaired rather than
recomputed or kept. This module does the repair itself, for every list at
once with array operations (a night touches tens of thousands of lists):

1. **verdicts**: the pairs a repair must judge today — each person with the
   posts of their list that changed (re-scored), and with the new or changed
   posts of their city and the online ones that the first stage ranks best
   for them (entering) — are described by the recommender once
   (:meth:`matcher.recommend.Recommender.describe_pairs`);
2. **rows**: a post that closed, expired or vanished leaves; a changed post is
   re-checked (a post the person answered since fails too, see :mod:`matcher.answered`),
   re-scored and re-labelled (a market post that fails now leaves, a training or
   safety-net post that fails or became a market post sends the person to a recompute);
3. **entering**: an eligible market post above the person's first-stage floor (the
   first tier) is offered to the list;
4. **order**: what the list keeps and what is offered is put together by the
   recommender's own list policy (:func:`matcher.assemble.assemble`, cut at the
   candidates a list holds), so a repaired list is ordered and cut as a lookup
   orders and cuts it. A list whose count of market posts crosses three (the
   training and home-based steps open below it) is recomputed, and so is a list a
   repair leaves shorter than before and below the refill size.

Rows a repair keeps as they were carry no title or reasons here (``reasons``
is null) but their row in the previous run's partition: the writer takes them
from there (it reads the partition anyway), so the check never reads or
copies the long reason texts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from matcher.assemble import HOME, MARKET, MIN_POSTS, TRAINING, WELFARE, assemble, step_names
from matcher.batch.engine import FIRST_FLOORS, BatchContext
from matcher.batch.runs import RunDir
from matcher.prepare import KIND_INDEX, KINDS, People, prepare_people
from matcher.reach import RINGS
from matcher.recommend import PairReport

__all__ = ["Repairs", "REPAIR_COLUMNS", "isin", "distinct"]

#: Changed posts scored per person in the entering check (the linear first stage picks them).
ENTERING_PER_PERSON = 3
#: People of a county judged together at most (one ``prepare_people``, one ``describe_pairs``).
COUNTY_BLOCK = 20_000
#: Columns of a repaired list; ``title`` and ``reasons`` are null on rows kept as they were, whose
#: ``source_row`` is their row in the previous run's partition of the county (-1 on the others).
REPAIR_COLUMNS = [
    "laborer_id", "rank", "vacancy_id", "title", "kind", "score", "step", "reasons", "prior", "tier", "source_row"
]  # fmt: skip
_WELFARE = KIND_INDEX["public_welfare"]


def isin(values: pd.Series, wanted: set[str] | list[str] | np.ndarray | pd.Series) -> np.ndarray:
    """``values.isin(wanted)`` for string columns, by Arrow's hash lookup (pandas converts each string)."""
    if not len(values) or not len(wanted):
        return np.zeros(len(values), dtype=bool)
    value_set = pa.array(list(wanted) if isinstance(wanted, set | frozenset) else wanted, type=pa.string())
    found = pc.is_in(pa.array(values, type=pa.string()), value_set=value_set)
    return found.to_numpy(zero_copy_only=False).astype(bool, copy=False)


def distinct(values: np.ndarray | pd.Series) -> set[str]:
    """The distinct strings of a column as a set (deduplicated before Python sees them)."""
    return set(pd.unique(np.asarray(values, dtype=object)).tolist()) if len(values) else set()


@dataclass
class _Verdicts:
    """Today's verdicts on the pairs a repair judges, one row per ``(laborer_id, vacancy_id)``."""

    table: pd.DataFrame  # laborer_id, vacancy_id, post (row in posts), ok, ring, market, score, coarse, report, n
    reports: list[PairReport] = field(default_factory=list)

    def reasons(self, report: int, n: int, step: str) -> str:
        return json.dumps(list(self.reports[report].reasons(n, step)), ensure_ascii=False)


class Repairs:
    """Repairs of the lists of people who are not recomputed.

    Parameters
    ----------
    context : BatchContext
    cand : pandas.DataFrame
        The previous run's candidate rows without title and reasons (``laborer_id``, ``rank``,
        ``vacancy_id``, ``kind``, ``score``, ``step``, ``prior``, and ``source_row``: the row in its
        county's partition).
    gone, rescore : ndarray of bool, shape (len(cand),)
        Rows whose post can no longer be suggested; rows whose post changed and can still be.
    refill : int
        A list a repair leaves shorter than this (and shorter than before) is recomputed.
    per_person : int
        Candidates a list holds.
    floors : pandas.DataFrame
        Each person's floors in the previous run (:data:`matcher.batch.engine.FLOOR_COLUMNS`, those the
        run kept), by laborer id: ``coarse_floor`` for the trees, the first stage's for the grid.
    previous : RunDir
    """

    def __init__(
        self,
        context: BatchContext,
        cand: pd.DataFrame,
        gone: np.ndarray,
        rescore: np.ndarray,
        refill: int,
        per_person: int,
        floors: pd.DataFrame,
        previous: RunDir,
    ) -> None:
        self.context = context
        self.floors = floors["coarse_floor"]
        # Runs of an older version kept no first-stage floors: every new post is then judged.
        have_first = all(c in floors.columns for c in FIRST_FLOORS)
        self.first_floors = floors[list(FIRST_FLOORS)] if have_first else None
        self.refill = refill
        self.per_person = per_person
        self.cand = cand
        self.gone_posts = distinct(cand["vacancy_id"][gone])
        self.rescore_rows = cand[rescore]
        self.rescored_posts = distinct(self.rescore_rows["vacancy_id"])
        self.touched_people = distinct(cand["laborer_id"][gone | rescore])
        #: People a repair cannot mend (filled by :meth:`frame`); the caller recomputes them.
        self.recompute: set[str] = set()
        self.previous = previous
        self.stored: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        self.encoded: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._parts: list[pd.DataFrame] = []
        self._reports: list[PairReport] = []

    # ------------------------------------------------------------------ verdicts
    def run(self, laborers: pd.DataFrame, households: pd.DataFrame, rows: np.ndarray, entering: set[str]) -> None:
        """Judge the pairs of ``laborers.iloc[rows]`` (the people not recomputed), county by county."""
        posts = self.context.posts
        enter = np.array(sorted(posts.position[v] for v in entering if v in posts.position), dtype=np.int64)
        online = enter[posts.kind[enter] == KIND_INDEX["online"]]
        city = posts.city[enter]
        wanted = self.rescore_rows.groupby("laborer_id")["vacancy_id"].agg(list).to_dict()
        counties = laborers["county_code"].astype(str).to_numpy()
        ids = laborers["laborer_id"].to_numpy()
        for county in np.unique(counties[rows]):
            members = rows[counties[rows] == county]
            near = enter[city == (int(county[:4]) if county[:4].isdecimal() else -1)]
            mine = np.union1d(near, online)
            if not len(mine):
                members = members[isin(pd.Series(ids[members]), list(wanted))]
            # Blocks bound the memory of a large county; a pair's verdict does not depend on its block.
            for start in range(0, len(members), COUNTY_BLOCK):
                self._county(county, laborers.iloc[members[start : start + COUNTY_BLOCK]], households, mine, wanted)

    def _county(
        self, county: str, chunk: pd.DataFrame, households: pd.DataFrame, mine: np.ndarray, wanted: dict
    ) -> None:
        """Verdicts for one county's people: entering posts ``mine`` and their changed listed posts."""
        context, posts = self.context, self.context.posts
        # A repair judges pairs; flags are decided at a recompute only.
        zero = households[isin(households["household_id"], chunk["household_id"].unique())]
        people = prepare_people(chunk, zero, flags=False)
        people.vectors = self._vectors(county, people)
        pi_parts, pj_parts = [], []
        known = None  # the entering pairs' features and scores, as the first stage's scoring left them
        if len(mine):
            # A post below the person's first-stage floor would not enter: left out before the trees.
            floor = self.floors.reindex(people.ids).to_numpy(dtype=np.float64)
            first = None
            if self.first_floors is not None:
                # A post the first stage of a full recompute would leave out is not judged (no floor known: -inf).
                first = self.first_floors.reindex(people.ids).to_numpy(dtype=np.float64, copy=True)
                first[np.isnan(first)] = -np.inf
            features: list[np.ndarray] = []
            pi, pj, p = context.recommender.score_posts(
                people,
                mine,
                top_per_person=ENTERING_PER_PERSON,
                min_coarse=np.nan_to_num(floor, nan=np.inf),
                min_first=first,
                features=features,
            )
            pi_parts.append(pi)
            pj_parts.append(pj)
            if len(pi):
                known = (np.concatenate(features), p)
        mine_wanted = [(n, v) for n, pid in enumerate(people.ids) for v in wanted.get(pid, ())]
        if mine_wanted:
            at = np.array([n for n, _ in mine_wanted], dtype=np.int64)
            post = np.array([posts.position.get(v, -1) for _, v in mine_wanted], dtype=np.int64)
            pi_parts.append(at[post >= 0])
            pj_parts.append(post[post >= 0])
        pi = np.concatenate(pi_parts) if pi_parts else np.zeros(0, dtype=np.int64)
        pj = np.concatenate(pj_parts) if pj_parts else np.zeros(0, dtype=np.int64)
        if not len(pi):
            return
        report = context.recommender.describe_pairs(people, pi, pj, known=known)
        self._reports.append(report)
        self._parts.append(
            pd.DataFrame(
                {
                    "laborer_id": people.ids[pi].astype(str),
                    "vacancy_id": posts.ids[pj].astype(str),
                    "post": pj,
                    "ok": np.asarray(report.ok, dtype=bool),
                    "ring": np.asarray(report.ring, dtype=np.int64),
                    "market": np.asarray(report.market, dtype=bool),
                    "score": np.asarray(report.score, dtype=np.float64),
                    "coarse": np.asarray(report.coarse, dtype=np.float64),
                    "report": len(self._reports) - 1,
                    "n": np.arange(len(pi)),
                }
            )
        )

    def _vectors(self, county: str, people: People) -> np.ndarray:
        """The people's vectors as the previous run stored them (same artifact, unchanged rows), encoding
        only those it lacks."""
        if county not in self.stored:
            self.stored[county] = self.previous.read_vectors(county)
        stored = self.stored[county]
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

    def _verdicts(self) -> _Verdicts:
        if self._parts:
            table = pd.concat(self._parts, ignore_index=True)
        else:
            ints = {c: np.zeros(0, dtype=np.int64) for c in ("post", "ring", "report", "n")}
            floats = {c: np.zeros(0) for c in ("score", "coarse")}
            flags = {c: np.zeros(0, dtype=bool) for c in ("ok", "market")}
            table = pd.DataFrame(
                {
                    "laborer_id": pd.Series([], dtype="str"),
                    "vacancy_id": pd.Series([], dtype="str"),
                    **ints,
                    **floats,
                    **flags,
                }
            )
        # A changed post may be both entering and listed for a person: the same pair, judged alike; keep one.
        table = table.drop_duplicates(["laborer_id", "vacancy_id"], keep="last").reset_index(drop=True)
        return _Verdicts(table.astype({"ok": bool, "market": bool}), self._reports)

    # ------------------------------------------------------------------ lists
    def frame(self, recomputed: set[str]) -> pd.DataFrame:
        """The repaired lists (:data:`REPAIR_COLUMNS`) of the people whose list a repair changes; people
        recomputed after all (``recomputed`` and those added to :attr:`recompute`) are left out."""
        verdicts = self._verdicts()
        v = verdicts.table
        posts = self.context.posts
        floor = self.floors.reindex(v["laborer_id"]).to_numpy(dtype=np.float64)
        # A post the first stage would not have shortlisted for the person stays out, as in a full run;
        # public-welfare posts are offered only as a flagged person's safety net, decided at a recompute.
        candidate = (
            v["ok"].to_numpy()
            & (v["ring"].to_numpy() >= 0)
            & (v["coarse"].to_numpy() >= np.nan_to_num(floor, nan=np.inf))
            & (posts.kind[v["post"].to_numpy(dtype=np.int64)] != _WELFARE)
        )
        people = (self.touched_people | distinct(v.loc[candidate, "laborer_id"])) - recomputed
        rows = self.cand[isin(self.cand["laborer_id"], people)]
        # By person and rank (a stable sort on numbers: the person's place among the ids, the rank).
        by_id, _ = pd.factorize(rows["laborer_id"], sort=True)
        rows = rows.iloc[np.lexsort((rows["rank"].to_numpy(), by_id))].reset_index(drop=True)
        # People with an eligible verdict but no previous rows had empty lists: recompute them.
        listed = distinct(rows["laborer_id"])
        self.recompute |= distinct(v.loc[v["ok"], "laborer_id"]) - listed - recomputed
        if rows.empty:
            return pd.DataFrame(columns=REPAIR_COLUMNS)
        return self._mend(rows, v, candidate, verdicts)

    def _mend(self, rows: pd.DataFrame, v: pd.DataFrame, candidate: np.ndarray, verdicts: _Verdicts) -> pd.DataFrame:
        """Steps 2–4 of the module notes for the lists ``rows`` (sorted by person and rank) and the verdicts
        ``v`` (``candidate``: those that pass the first checks of an entering post). Arrays of ``n_people``
        are per person, in the order of ``names``. The lists are put together by the recommender's own list
        policy (:func:`matcher.assemble.assemble`) from what each list keeps and what enters it."""
        posts = self.context.posts
        person, names = pd.factorize(rows["laborer_id"])
        n_people = len(names)
        # 2. rows: each row's verdict, if it has one (verdict keys are unique, see _verdicts). A pair is keyed
        # by one integer: the person's number and the post's row today (0 for a post gone from the store).
        span = len(posts.ids) + 1
        position = posts.rows_of(rows["vacancy_id"])
        row_key = person.astype(np.int64) * span + position + 1
        v_person = names.get_indexer(v["laborer_id"])
        v_key = v_person.astype(np.int64) * span + v["post"].to_numpy(dtype=np.int64) + 1
        judged_rows = np.flatnonzero(v_person >= 0)
        found = pd.Index(v_key[judged_rows]).get_indexer(row_key)
        at = np.full(len(rows), -1, dtype=np.int64)
        at[found >= 0] = judged_rows[found[found >= 0]]
        has = at >= 0
        take = np.where(has, at, 0)

        def verdict(column: str) -> np.ndarray:
            return v[column].to_numpy()[take] if len(v) else np.zeros(len(rows), dtype=v[column].dtype)

        step = rows["step"].to_numpy(dtype=object)
        kind = rows["kind"].to_numpy(dtype=object)
        role = np.where(
            isin(rows["step"], list(RINGS)),
            MARKET,
            np.where(step == "training", TRAINING, np.where(kind == "public_welfare", WELFARE, HOME)),
        )
        is_market = role == MARKET
        gone = isin(rows["vacancy_id"], self.gone_posts)
        rescore = ~gone & has & isin(rows["vacancy_id"], self.rescored_posts)
        ok, ring, market = verdict("ok"), verdict("ring"), verdict("market")
        fail = rescore & (~ok | (is_market & ~market))
        stuck = np.zeros(n_people, dtype=bool)  # a repair cannot mend the list: recompute
        updated = rescore & ~fail
        new_kind = np.where(updated, np.array(KINDS, dtype=object)[posts.kind[verdict("post")]], kind)
        # A training, home-based or safety-net post that fails, would now be a market post or changed its kind
        # (a public-welfare post that no longer is one) moves the list: recompute.
        stuck[person[rescore & ~is_market & (~ok | market | (new_kind != kind))]] = True
        kept = ~gone & ~(fail & is_market)
        score = np.where(updated, verdict("score"), rows["score"].to_numpy(dtype=np.float64))
        ring_index = np.zeros(len(rows), dtype=np.int64)
        ring_index[is_market] = pd.Index(RINGS).get_indexer(step[is_market])
        ring_index = np.where(updated & is_market, ring, ring_index)
        kind = new_kind
        tier = rows["tier"].to_numpy(dtype=np.int64) if "tier" in rows else np.zeros(len(rows), dtype=np.int64)
        changed = np.bincount(person, weights=gone | rescore, minlength=n_people) > 0
        before = np.bincount(person[is_market], minlength=n_people)

        # 3. entering: judged for a listed person, not in the list, passing the first checks (tier 0: above
        # the person's first-stage floor).
        new = v[candidate].copy()
        new["person"] = v_person[candidate]
        listed = np.zeros(len(v), dtype=bool)  # the verdict's pair is on the list (some row has it)
        listed[at[has]] = True
        new = new[(new["person"].to_numpy() >= 0) & ~listed[candidate]]
        p = new["person"].to_numpy(dtype=np.int64)
        new_market = new["market"].to_numpy(dtype=bool)
        # A post that is not a market post matters only to a list with fewer than three market posts (it
        # might be a training or home-based post), which a recompute then builds.
        stuck[p[~new_market & (before[p] < MIN_POSTS)]] = True
        new = new[new_market]
        after = np.bincount(person[kept & is_market], minlength=n_people) + np.bincount(
            new["person"].to_numpy(dtype=np.int64), minlength=n_people
        )
        # The training and home-based steps open below three market posts: a list whose count of market posts
        # moves on that side of three is rebuilt by a recompute.
        stuck |= (after != before) & (np.minimum(after, before) < MIN_POSTS)

        # 4. order: every list, as the recommender orders it; ``verdict`` is the row of ``v`` (its index)
        # that explains a judged row, -1 for rows kept as they were.
        entering = new["post"].to_numpy(dtype=np.int64)
        cand = pd.DataFrame(
            {
                "person": np.r_[person[kept], new["person"].to_numpy(dtype=np.int64)],
                "role": np.r_[role[kept], np.full(len(new), MARKET)],
                "tier": np.r_[tier[kept], np.zeros(len(new), dtype=np.int64)],
                "score": np.r_[score[kept], new["score"].to_numpy(dtype=np.float64)],
                "ring": np.r_[ring_index[kept], new["ring"].to_numpy(dtype=np.int64)],
                "post": np.r_[position[kept], entering],
                "row": np.r_[np.flatnonzero(kept), np.full(len(new), -1)],
                "verdict": np.r_[np.where(updated, take, -1)[kept], new.index.to_numpy(dtype=np.int64)],
                "step": np.r_[step[kept], np.full(len(new), "", dtype=object)],
                "kind": np.r_[kind[kept], np.array(KINDS, dtype=object)[posts.kind[entering]]],
            }
        )
        cand = cand[~stuck[cand["person"].to_numpy()]].reset_index(drop=True)
        post = cand["post"].to_numpy(dtype=np.int64)
        rec = self.context.recommender
        lists = assemble(
            cand["person"].to_numpy(),
            cand["role"].to_numpy(),
            cand["tier"].to_numpy(),
            cand["score"].to_numpy(),
            cand["ring"].to_numpy(),
            posts.wage[post],
            rec.id_rank[post],
            n_people,
            self.per_person,
        )
        out = cand.iloc[lists.chosen].reset_index(drop=True)
        out["rank"] = lists.position + 1
        labels = step_names(out["role"].to_numpy(), out["ring"].to_numpy())
        out["step"] = np.where(out["role"].to_numpy() == MARKET, labels, out["step"].to_numpy(dtype=object))
        pp = out["person"].to_numpy(dtype=np.int64)
        changed[pp[out["row"].to_numpy() < 0]] = True  # an entering post made the list
        size = np.bincount(pp, minlength=n_people)
        stuck |= changed & (size < np.bincount(person, minlength=n_people)) & (size < self.refill)
        out = out[(changed & ~stuck)[pp]]
        self.recompute |= set(names[stuck])
        return self._rows(out, rows, v, verdicts, names)

    def _rows(
        self, lists: pd.DataFrame, rows: pd.DataFrame, v: pd.DataFrame, verdicts: _Verdicts, names: pd.Index
    ) -> pd.DataFrame:
        """The rows of the mended lists: kept rows as they were (reasons null), judged rows re-explained."""
        posts = self.context.posts
        row = lists["row"].to_numpy(dtype=np.int64)
        judged = lists["verdict"].to_numpy(dtype=np.int64)
        first_prior = rows.groupby("laborer_id", sort=False)["prior"].first() if "prior" in rows else None
        prior = np.zeros(len(lists), dtype=bool)
        if first_prior is not None:
            prior = np.where(
                row >= 0,
                rows["prior"].to_numpy(dtype=bool)[np.maximum(row, 0)],
                first_prior.reindex(names[lists["person"].to_numpy()]).to_numpy(dtype=bool),
            )
        title = np.full(len(lists), None, dtype=object)
        reasons = np.full(len(lists), None, dtype=object)
        steps = lists["step"].to_numpy(dtype=object)
        post, report, pair = (v[c].to_numpy(dtype=np.int64) for c in ("post", "report", "n"))
        titles = posts.col("title")
        for n in np.flatnonzero(judged >= 0):
            at = judged[n]
            title[n] = str(titles[post[at]])
            reasons[n] = verdicts.reasons(int(report[at]), int(pair[at]), str(steps[n]))
        vacancy = rows["vacancy_id"].to_numpy(dtype=object)[np.maximum(row, 0)]
        entering = row < 0
        vacancy[entering] = v["vacancy_id"].to_numpy(dtype=object)[judged[entering]]
        out = pd.DataFrame(
            {
                "laborer_id": names[lists["person"].to_numpy()].astype(str),
                "rank": lists["rank"].to_numpy(dtype=np.int64),
                "vacancy_id": vacancy.astype(str),
                "title": pd.array(title, dtype="str"),
                "kind": lists["kind"].to_numpy(dtype=object).astype(str),
                "score": lists["score"].to_numpy(dtype=np.float64),
                "step": steps.astype(str),
                "reasons": pd.array(reasons, dtype="str"),
                "prior": prior,
                "tier": lists["tier"].to_numpy(dtype=np.int32),
                "source_row": np.where(
                    (row >= 0) & (judged < 0), rows["source_row"].to_numpy(dtype=np.int64)[np.maximum(row, 0)], -1
                ),
            }
        )
        return out.sort_values(["laborer_id", "rank"], kind="stable").reset_index(drop=True)
