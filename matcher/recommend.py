"""The ranking policy: at least three posts per person, ranked within the person's reach, with flags.

For each person the eligible candidates (hard constraints already applied, posts the person already
answered left out; see :mod:`matcher.candidates` and :mod:`matcher.answered`) are scored by the
ranker and assembled by the one list policy of :mod:`matcher.assemble`, which the nightly batch's
repairs use too. Each suggestion is labelled with the step it comes from, never past the person's
own ``mobility``:

1. ``village``    posts of the own village, online posts, home-style workshop posts of the county
2. ``half_hour``  the half-hour employment circle (same town or ≤ 30 min)
3. ``county``     the own county
4. ``province`` / ``nationwide``  as far as the person is willing to go
5. ``training``   posts the person could do after a training they said they want
6. ``safety_net`` home-based posts for ``home_based``-flagged people, public-welfare
                  posts in the own village or town for ``public_welfare``-flagged people

Market posts of every ring within the person's mobility are ranked together: the ranking decides,
not the ring. The training and home-based steps open only for a person with fewer than three market
posts in reach, to make three suggestions (not to fill ``k``). People flagged ``public_welfare`` always
see up to two public-welfare posts (the safety net the documents require), on every list of three or
more; nobody else ever sees one. A list for ``k`` is the first ``k`` of the list for a larger ``k``.
When everything together gives fewer than three, the list holds what exists and a ``shortfall`` names
why.

Every suggestion carries its explanation twice, from one computation: as
structured fields (:class:`matcher.explain.Explanation`, ``details``) and as
the Chinese sentences derived from them (``reasons``).

The post's side: :meth:`Recommender.candidates_for_post` ranks the people for
whom one post passes every hard constraint today.

A :class:`Recommender` is shared by a server's concurrent requests: everything
it keeps is built in ``__init__`` or behind a lock (:class:`matcher.explain.PostFacts`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from features.contract.vocab import MOBILITY_ORDER
from matcher.answered import blocked_pairs
from matcher.assemble import HOME, MARKET, MIN_POSTS, SAFETY_SLOTS, STEPS, TRAINING, WELFARE, assemble, step_names
from matcher.candidates import Candidates, Exclusions, RingPools, candidate_pairs, exclusions, passes_first_stage
from matcher.explain import MOBILITY_ZH, Explanation, PostFacts, describe, history_of
from matcher.pairs import FEATURES, EmployerStats, PairSkills, PostSkills, pair_features
from matcher.prepare import KIND_INDEX, People, Posts, take_people
from matcher.reach import RINGS, eligible, open_mask, pair_geo, ring_of, units
from matcher.similarity import grid_cosine

__all__ = [
    "Recommendation",
    "Shortfall",
    "PersonResult",
    "PairReport",
    "PostCandidate",
    "Recommender",
    "MIN_POSTS",
    "SAFETY_SLOTS",
    "STEPS",
]

#: The first stage's tiers: each person's candidates by first-stage score, ``SHORTLIST`` at a time; the
#: first tier also holds the best ``PER_STEP`` of every widening ring (see :meth:`Recommender.score`).
SHORTLIST = 30
PER_STEP = 5
_WELFARE = KIND_INDEX["public_welfare"]
_HOME_KINDS = (KIND_INDEX["workshop_home"], KIND_INDEX["online"])
_COL = {name: i for i, name in enumerate(FEATURES)}


def responds(ranker: Any) -> bool:
    """Whether ``ranker``'s probabilities are of a response rather than of a hire (too few hires to
    calibrate on, :attr:`models.ranker.HireRanker.probability_of_`)."""
    return getattr(ranker, "probability_of_", "hire") == "response"


class Recommendation(NamedTuple):
    vacancy_id: str
    title: str
    kind: str
    score: float
    step: str
    reasons: tuple[str, ...]
    #: The same explanation as structured fields (``reasons`` are its sentences); None only for
    #: suggestions built elsewhere without one (e.g. read back from a stored run).
    details: Explanation | None = None
    #: The first stage's tier the post was scored in (the first key of the list's order; see
    #: :mod:`matcher.assemble`); a stored run keeps it so that a repair orders a list as a lookup would.
    tier: int = 0


class PostCandidate(NamedTuple):
    """One person a post could be offered to (:meth:`Recommender.candidates_for_post`)."""

    laborer_id: str
    score: float  # calibrated hire probability
    step: str  # the widening step the post sits in for this person (``safety_net``: public-welfare)
    reasons: tuple[str, ...]
    details: Explanation


class Shortfall(NamedTuple):
    reason: str
    reason_en: str
    available: int


class PersonResult(NamedTuple):
    laborer_id: str
    flags: list[Any]
    recommendations: list[Recommendation]
    shortfall: Shortfall | None
    prior: bool
    #: The first stage's score a post had to reach to be ranked by the trees for this person
    #: (-inf: every candidate was); an incremental batch lets a new post in only above it.
    coarse_floor: float = float("-inf")
    #: The first stage's floors of the person's grid (see :attr:`matcher.candidates.Candidates.floors`).
    first_floors: tuple[float, ...] = ()

    def to_json(self, *, details: bool = False) -> dict[str, Any]:
        """Plain JSON types; ``details=True`` adds each suggestion's structured explanation as ``"details"``
        (:meth:`matcher.explain.Explanation.to_json`, None when a suggestion has none). Off by default:
        the ``matcher recommend --json`` shape is also the shape of a stored nightly run, which keeps the
        sentences only."""
        return {
            "laborer_id": self.laborer_id,
            "flags": [{"kind": f.kind, "reasons": list(f.reasons)} for f in self.flags],
            "recommendations": [
                {
                    "vacancy_id": r.vacancy_id,
                    "title": r.title,
                    "kind": r.kind,
                    "score": round(r.score, 4),
                    "step": r.step,
                    "reasons": list(r.reasons),
                }
                | ({"details": None if r.details is None else r.details.to_json()} if details else {})
                for r in self.recommendations
            ],
            "shortfall": None
            if self.shortfall is None
            else {
                "reason": self.shortfall.reason,
                "reason_en": self.shortfall.reason_en,
                "available": self.shortfall.available,
            },
            "prior": self.prior,
        }


class PairReport(NamedTuple):
    """What :meth:`Recommender.describe_pairs` found for pairs ``(people[pi], posts[pj])``."""

    recommender: Recommender
    people: People
    pi: np.ndarray
    pj: np.ndarray
    geo: Any
    skills: PairSkills
    X: np.ndarray
    ok: np.ndarray  # passes every hard constraint today
    ring: np.ndarray  # innermost widening ring (-1: out of reach)
    market: np.ndarray  # a market post (not public-welfare, no missing certificate without training)
    score: np.ndarray  # calibrated hire probability
    coarse: np.ndarray  # the first stage's score (compared with a person's ``coarse_floor``)
    #: The person already answered the post (see :mod:`matcher.answered`): not ``ok`` either.
    answered: np.ndarray | None = None

    def details(self, n: int, step: str) -> Explanation:
        """The explanation of pair ``n`` as a suggestion from ``step`` (structured fields)."""
        rec = self.recommender
        level = int(round(self.X[n, _COL["occupation_level"]] * 4))
        prior = bool(getattr(rec.ranker, "is_prior", False))
        i, j = int(self.pi[n]), int(self.pj[n])
        return describe(
            self.people, rec.posts, i, j, n, self.geo, level, step, float(self.score[n]), prior, facts=rec._facts,
            today=rec.today, response=responds(rec.ranker), history=history_of(self.X[n]),
        )  # fmt: skip

    def reasons(self, n: int, step: str) -> tuple[str, ...]:
        """The reasons of pair ``n`` as a suggestion from ``step`` (the sentences of :meth:`details`)."""
        return self.details(n, step).sentences()


class _Pool(NamedTuple):
    """Candidate pairs of some people with their features (see :meth:`Recommender._pool`)."""

    cand: Candidates
    skills: PairSkills
    bounds: np.ndarray
    X: np.ndarray
    cert_missing: np.ndarray
    market: np.ndarray
    market_counts: np.ndarray


def _taught(posts: Posts) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Per post, its required skills that a course teaches, as ``(skill, course)``."""
    from features.skills import get_skill_table

    table = get_skill_table()
    course: dict[str, str | None] = {}
    for skills in posts.skills:
        for s in skills:
            if s not in course:
                course[s] = table.get(s).course if s in table else None
    return tuple(tuple((s, c) for s in skills if (c := course[s]) is not None) for skills in posts.skills)


class Recommender:
    """Scores candidates and assembles suggestions; batch-first, single = batch of one.

    Parameters
    ----------
    posts : Posts
        Posts with ``vectors`` set.
    ranker : object
        ``predict_proba`` over :data:`matcher.pairs.FEATURES`; ``is_prior`` tells a prior.
    employers : EmployerStats
    index : VacancyIndex or None
    policy : matcher.policy.Policy
    today : datetime.date
    """

    def __init__(
        self, posts: Posts, ranker: Any, employers: EmployerStats, index: Any, policy: Any, today: dt.date
    ) -> None:
        self.posts = posts
        self.ranker = ranker
        self.employers = employers
        self.index = index
        self.policy = policy
        self.today = today
        self._open = open_mask(posts, today)
        # Each post's id in the vector index, for the far rings' own pools (:class:`matcher.candidates.RingPools`)
        # and the filter of the open posts (masked again, not looked up, when a patch opens or closes one).
        self._post_ints = index.int_ids(posts.ids.astype(str).tolist()) if index is not None else None
        self._open_ids = self.open_selection()
        self._open_ids_of = self._open  # the open flags the filter was built from (see :meth:`open_filter`)
        self._post_skills = PostSkills.build(posts)
        # Shared by concurrent requests: built here, never patched on later. PostFacts fills itself under
        # its own lock; the posts' coordinate units (cached on ``posts`` by matcher.reach) are built now.
        self._taught = _taught(posts)
        self._facts = PostFacts(posts)
        units(posts)
        #: Each post's place among the vacancy ids: the last key of a list's order (:mod:`matcher.assemble`),
        #: for pairs equal in everything else; the batch's repairs order by it too.
        by_id = np.argsort(posts.ids.astype(str), kind="stable")
        self.id_rank = np.empty(len(by_id), dtype=np.int64)
        self.id_rank[by_id] = np.arange(len(by_id))

    def score(
        self,
        people: People,
        cand: Candidates,
        skills: PairSkills,
        bounds: np.ndarray,
        k: int = 10,
        *,
        X: np.ndarray | None = None,
        welfare_for: np.ndarray | None = None,
        market: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Hire probabilities, features, the scored mask, first-stage floors and tiers of candidate pairs.

        Two stages. The ranker's linear first stage scores every candidate and cuts each person's
        candidates into tiers: tier 0 holds the best ``SHORTLIST`` by the first stage, the best
        ``PER_STEP`` of every widening ring (so that no ring goes unseen by the trees) and every
        public-welfare post of the ``welfare_for`` people (one per person: the flagged people's safety
        net; default everyone); tier ``t ≥ 1`` holds the next ``SHORTLIST`` by the first stage. The
        calibrated trees score tier 0 and then as many further tiers as it takes to reach ``k`` market
        posts (``market``: one flag per pair, default all), every tier for a person with fewer than
        ``MIN_POSTS`` market posts (the training and home-based steps then choose among them all). A
        list is ordered by tier first (:mod:`matcher.assemble`), so which tiers were scored for a
        given ``k`` never changes the order of the first ``k``.

        Returns scores (-1 for pairs not scored), features, the scored mask, each person's first-stage
        floor (the first-stage score of their last tier-0 post by rank; -inf when all were in tier 0)
        and each pair's tier. ``X``: the pairs' features when already built.
        """
        if X is None:
            X = self._features(people, cand, skills)
        n_people = len(bounds) - 1
        keep = np.zeros(len(X), dtype=bool)
        floors = np.full(n_people, -np.inf)
        tier = np.zeros(len(X), dtype=np.int64)
        if len(X):
            coarse = self.ranker.coarse_score(X)
            person = np.repeat(np.arange(n_people), np.diff(bounds))
            welfare = self.posts.kind[cand.pj] == _WELFARE
            if welfare_for is not None:
                welfare &= np.asarray(welfare_for, dtype=bool)[person]
            # Rank of every pair within its person by the first stage (ties: the post's row), and
            # within its person and ring; candidates are sorted by person already.
            order = np.lexsort((cand.pj, -coarse, person))
            rank = np.empty(len(X), dtype=np.int64)
            rank[order] = np.arange(len(X)) - bounds[:-1][person[order]]
            by_ring = np.lexsort((cand.pj, -coarse, cand.ring, person))
            ring_sorted = cand.ring[by_ring].astype(np.int64)
            group = np.flatnonzero(np.r_[True, (np.diff(person[by_ring]) != 0) | (np.diff(ring_sorted) != 0)])
            ring_rank = np.empty(len(X), dtype=np.int64)
            ring_rank[by_ring] = np.arange(len(X)) - np.repeat(group, np.diff(np.r_[group, len(X)]))
            first = (rank < SHORTLIST) | (ring_rank < PER_STEP) | welfare
            tier = np.where(first, 0, 1 + (rank - SHORTLIST) // SHORTLIST)
            counted = np.ones(len(X), dtype=bool) if market is None else np.asarray(market, dtype=bool)
            n_tiers = int(tier.max()) + 1
            cells = person[counted] * n_tiers + tier[counted]
            per_tier = np.bincount(cells, minlength=n_people * n_tiers).reshape(n_people, n_tiers)
            reached = np.cumsum(per_tier, axis=1)
            enough = reached >= max(k, 1)
            last = np.where(enough.any(axis=1), np.argmax(enough, axis=1), n_tiers - 1)
            last = np.where(reached[:, -1] < MIN_POSTS, n_tiers - 1, last)
            keep = tier <= last[person]
            full = np.flatnonzero(np.diff(bounds) > SHORTLIST)
            if len(full):
                floors[full] = coarse[order[bounds[full] + SHORTLIST - 1]]
        p = np.full(len(X), -1.0)
        if keep.any():
            p[keep] = self.ranker.predict_proba(X[keep])[:, 1]
        return p, X, keep, floors, tier

    def _features(self, people: People, cand: Candidates, skills: PairSkills) -> np.ndarray:
        return pair_features(people, self.posts, cand.pi, cand.pj, cand.geo, skills, self.employers, cosine=cand.cosine)

    def score_posts(
        self,
        people: People,
        post_rows: np.ndarray,
        *,
        top_per_person: int | None = 20,
        pairs_per_block: int = 1_000_000,
        min_coarse: np.ndarray | None = None,
        min_first: np.ndarray | None = None,
        features: list[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Calibrated hire probabilities for eligible pairs between ``people`` and the posts at ``post_rows``.

        For job fairs and other fixed sets of posts: every pair is checked
        against the hard constraints (today's date, reach, age, physical);
        the linear first stage keeps each person's best ``top_per_person``
        eligible posts (all when None) and the calibrated trees score those.
        ``min_coarse`` (one per person) drops pairs whose first-stage score
        lies below it before the trees (the incremental batch's floors). ``min_first`` (people ×
        ``N_FLOORS``, see :attr:`matcher.candidates.Candidates.floors`) drops, before any feature is
        built, pairs a full recompute's first stage would not have kept either
        (:func:`matcher.candidates.passes_first_stage`). ``features``, when a list, receives the feature
        rows of the returned pairs, in their order (one array per block; see :meth:`describe_pairs`).
        Posts a person already answered are left out (:mod:`matcher.answered`).

        Returns
        -------
        pi, pj : ndarray of int64, shape (n_pairs,)
            Positions in ``people`` and in ``self.posts``.
        p : ndarray of float64, shape (n_pairs,)
        """
        post_rows = np.asarray(post_rows, dtype=np.int64)
        skills = PairSkills.for_people(self._post_skills, people)
        answered = self._answered_keys(people)
        out_i, out_j, out_p = [], [], []
        step = max(1, pairs_per_block // max(len(post_rows), 1))
        for start in range(0, len(people), step):
            rows = np.arange(start, min(start + step, len(people)), dtype=np.int64)
            # One grid (people × posts), broadcast like the candidate grids; pairs in person order.
            grid = pair_geo(people, self.posts, rows[:, None], post_rows[None, :])
            ring = ring_of(people, self.posts, rows[:, None], post_rows[None, :], grid)
            ok = eligible(people, self.posts, rows[:, None], post_rows[None, :], ring, self.today)
            cosine_grid = None
            if people.vectors is not None and self.posts.vectors is not None:
                cosine_grid = grid_cosine(people, self.posts, rows, post_rows)
            if min_first is not None and cosine_grid is not None:
                ok &= passes_first_stage(
                    people, self.posts, rows[:, None], post_rows[None, :], ring, grid, cosine_grid, min_first[rows]
                )
            r, c = np.nonzero(ok)
            if len(answered) and len(r):
                fresh = ~np.isin(rows[r] * len(self.posts) + post_rows[c], answered)
                r, c = r[fresh], c[fresh]
            if not len(r):
                continue
            pi, pj = rows[r], post_rows[c]
            geo = type(grid)(*(np.broadcast_to(a, ok.shape)[r, c] for a in grid))
            cosine = cosine_grid[r, c] if cosine_grid is not None else None
            X = pair_features(people, self.posts, pi, pj, geo, skills, self.employers, cosine=cosine)
            if min_coarse is not None or top_per_person is not None:
                coarse = self.ranker.coarse_score(X)
            if min_coarse is not None:
                above = coarse >= min_coarse[pi]
                pi, pj, X, coarse = pi[above], pj[above], X[above], coarse[above]
            keep = np.ones(len(pi), dtype=bool)
            if top_per_person is not None and len(pi):
                order = np.lexsort((-coarse, pi))
                rank = np.arange(len(order)) - np.searchsorted(pi[order], pi[order])
                keep = np.zeros(len(pi), dtype=bool)
                keep[order[rank < top_per_person]] = True
            if not keep.any():
                continue
            out_i.append(pi[keep])
            out_j.append(pj[keep])
            out_p.append(self.ranker.predict_proba(X[keep])[:, 1])
            if features is not None:
                features.append(X[keep])
        if not out_i:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_p)

    def describe_pairs(
        self,
        people: People,
        pi: np.ndarray,
        pj: np.ndarray,
        known: tuple[np.ndarray, np.ndarray] | None = None,
        *,
        scores: np.ndarray | None = None,
    ) -> PairReport:
        """Today's verdict on given pairs: eligible, ring, market post, calibrated score, and their reasons.

        For repairing a stored list in place (the incremental batch) or re-checking and explaining
        one person's stored list today (:meth:`PairReport.details`): the same constraints, features,
        ranker and explanations as :meth:`recommend`. ``people`` come from
        :func:`matcher.prepare.prepare_people` (``flags=False`` is enough). Without ``people.vectors``
        everything works, but the embedding cosine feature is 0 and the scores are not those of
        :meth:`recommend`: encode the people first (``encoder.transform_laborers(people.frame)``)
        when the scores matter. ``known``: the feature rows and calibrated scores of the first pairs,
        as :meth:`score_posts` returned them (they are not built and scored again). ``scores``: the
        pairs' hire probabilities as a stored list holds them; the ranker is then not run (the first
        stage's ``coarse`` scores are NaN).

        A pair whose post the person already answered (:mod:`matcher.answered`, when ``people`` carry
        their answers) is not ``ok``: it may not be suggested today (``answered`` says why).
        """
        pi, pj = np.asarray(pi, dtype=np.int64), np.asarray(pj, dtype=np.int64)
        geo = pair_geo(people, self.posts, pi, pj)
        ring = ring_of(people, self.posts, pi, pj, geo)
        ok = eligible(people, self.posts, pi, pj, ring, self.today)
        answered = self._answered_mask(people, pi, pj)
        ok &= ~answered
        # Only the paired people's skill lists are read (one person's stored list is re-checked among
        # all the run's seekers).
        skills = PairSkills.for_rows(self._post_skills, people, np.unique(pi))
        n = 0 if known is None else len(known[0])
        rest = type(geo)(*(a[n:] for a in geo))
        X = pair_features(people, self.posts, pi[n:], pj[n:], rest, skills, self.employers)
        if scores is not None:
            score = np.asarray(scores, dtype=np.float64)
        else:
            score = self.ranker.predict_proba(X)[:, 1] if len(X) else np.zeros(0)
        if known is not None and n:
            X = np.concatenate([known[0].astype(X.dtype, copy=False), X])
            score = np.concatenate([np.asarray(known[1], dtype=np.float64), score])
        cert_missing = X[:, _COL["cert_missing"]] > 0
        market = (self.posts.kind[pj] != _WELFARE) & ~(cert_missing & ~self.posts.training_provided[pj])
        if scores is not None:
            coarse = np.full(len(X), np.nan)
        else:
            coarse = self.ranker.coarse_score(X) if len(X) else np.zeros(0)
        return PairReport(self, people, pi, pj, geo, skills, X, ok, ring, market, score, coarse, answered)

    def open_selection(self) -> Any:
        """The index filter of the posts open today (what ``index.select`` of their ids gives), or None
        without an index."""
        return self.index.selection(self._post_ints[self._open]) if self.index is not None else None

    def open_filter(self) -> Any:
        """:meth:`open_selection` for the open flags as they are now: built again on first use after a patch
        opened or closed a post (``matcher.serving.Serving.patched`` only swaps the flags). Building it takes
        a few milliseconds on 20,000 posts; posts close and reopen many times a minute in a busy county,
        and a read of last night's list never needs the filter, only a list computed afresh does."""
        selector, built_from = self._open_ids, self._open_ids_of
        if built_from is not self._open:
            flags = self._open
            selector = self.open_selection()
            self._open_ids, self._open_ids_of = selector, flags  # concurrent builders agree: same flags, same filter
        return selector

    def recommend(self, people: People, rows: np.ndarray | None = None, k: int = 10) -> list[PersonResult]:
        """Suggestions, flags and shortfalls for ``people[rows]`` (all when ``rows`` is None).

        Each list is the first ``k`` of one order that does not depend on ``k`` (:mod:`matcher.assemble`).
        Posts a person already answered are not suggested (their answers come with ``people``, see
        :mod:`matcher.answered`).
        """
        from matcher.flags import compute_flags

        rows = np.arange(len(people)) if rows is None else np.sort(np.asarray(rows, dtype=np.int64))
        cand, skills, bounds, X, cert_missing, market, market_counts = self._pool(people, rows)
        unlocks = [
            self._course_unlocks(people, int(i), cand, slice(a, b), X)
            for i, a, b in zip(rows, bounds[:-1], bounds[1:], strict=True)
        ]
        # people.frame carries zero_employment (see prepare_people); no copy for the usual all-rows call.
        whole = len(rows) == len(people)
        frame = people.frame if whole else people.frame.iloc[rows]
        columns = people.flag_columns
        if columns is not None and not whole:
            columns = columns.take(rows)
        flags = compute_flags(
            frame, self.policy, market_in_reach=market_counts, course_unlocks=unlocks, columns=columns
        )
        # Flags need no scores, and only a public-welfare flag puts public-welfare posts on a list:
        # the trees score those posts for the flagged people only.
        kinds = [{f.kind for f in fl} for fl in flags]
        safety = np.fromiter(("public_welfare" in kd for kd in kinds), bool, len(flags))
        home_based = np.fromiter(("home_based" in kd for kd in kinds), bool, len(flags))
        scores, X, scored, floors, tier = self.score(
            people, cand, skills, bounds, k, X=X, welfare_for=safety, market=market
        )
        role = self._roles(people, rows, cand, bounds, scored, market, market_counts, safety, home_based)
        person = np.repeat(np.arange(len(rows)), np.diff(bounds))
        listed = np.flatnonzero(role >= 0)
        pj = cand.pj[listed]
        lists = assemble(
            person[listed],
            role[listed],
            tier[listed],
            scores[listed],
            cand.ring[listed],
            self.posts.wage[pj],
            self.id_rank[pj],
            len(rows),
            k,
            n_market=market_counts,
        )
        chosen = listed[lists.chosen]
        steps = step_names(role[chosen], cand.ring[chosen])
        starts = np.searchsorted(person[chosen], np.arange(len(rows) + 1))
        prior = bool(getattr(self.ranker, "is_prior", False))
        titles = self.posts.col("title")
        out: list[PersonResult] = []
        for n, i in enumerate(rows):
            recs = []
            for at in range(starts[n], starts[n + 1]):
                idx, step = int(chosen[at]), str(steps[at])
                j = int(cand.pj[idx])
                level = int(round(X[idx, _COL["occupation_level"]] * 4))
                details = describe(
                    people, self.posts, int(i), j, idx, cand.geo, level, step, float(scores[idx]), prior,
                    facts=self._facts, today=self.today, response=responds(self.ranker), history=history_of(X[idx]),
                )  # fmt: skip
                recs.append(
                    Recommendation(
                        details.vacancy_id,
                        str(titles[j]),
                        details.kind,
                        float(scores[idx]),
                        step,
                        details.sentences(),
                        details,
                        int(tier[idx]),
                    )
                )
            shortfall = None
            if len(recs) < min(MIN_POSTS, k):
                offered = int(market_counts[n]) + sum(1 for r in recs if r.kind == "public_welfare")
                blocked = int(cand.blocked_limits[n])
                shortfall = self._shortfall(people, int(i), offered + blocked, blocked, len(recs))
            first = tuple(cand.floors[n].tolist()) if cand.floors is not None else ()
            out.append(PersonResult(str(people.ids[i]), flags[n], recs, shortfall, prior, float(floors[n]), first))
        return out

    def _roles(
        self,
        people: People,
        rows: np.ndarray,
        cand: Candidates,
        bounds: np.ndarray,
        scored: np.ndarray,
        market: np.ndarray,
        market_counts: np.ndarray,
        safety: np.ndarray,
        home_based: np.ndarray,
    ) -> np.ndarray:
        """Each candidate's role in the list policy (:mod:`matcher.assemble`), -1 for none (not scored, or
        a post that is neither a market post nor one of the steps opened for the person)."""
        kind = self.posts.kind[cand.pj]
        person = np.repeat(np.arange(len(rows)), np.diff(bounds))
        role = np.full(len(kind), -1, dtype=np.int64)
        role[scored & market] = MARKET
        role[scored & (kind == _WELFARE) & safety[person]] = WELFARE
        # The training and home-based steps open only for people with fewer than three market posts.
        for n in np.flatnonzero(market_counts < MIN_POSTS).tolist():
            a, b = int(bounds[n]), int(bounds[n + 1])
            free = np.flatnonzero((role[a:b] < 0) & scored[a:b] & (kind[a:b] != _WELFARE)) + a
            i = int(rows[n])
            wanted = set(people.training[i]) if people.wants_training[i] else set()
            if wanted:
                have = set(people.skills[i])
                for x in free.tolist():
                    if (set(self.posts.skills[int(cand.pj[x])]) - have) & wanted:
                        role[x] = TRAINING
            if home_based[n]:
                home = free[(role[free] < 0) & np.isin(kind[free], _HOME_KINDS)]
                role[home] = HOME
        return role

    def _pool(self, people: People, rows: np.ndarray) -> _Pool:
        """The candidate pairs of ``people[rows]`` (sorted rows) with their features and market posts; posts a
        person already answered are left out."""
        cand = candidate_pairs(
            people,
            self.posts,
            rows,
            today=self.today,
            index=self.index,
            open_ids=self.open_filter(),
            exclude=self._exclusions(people, rows),
            pools=RingPools(self._post_ints, self._open) if self._post_ints is not None else None,
        )
        skills = PairSkills.for_people(self._post_skills, people)
        bounds = np.searchsorted(cand.pi, np.append(rows, np.iinfo(np.int64).max))
        X = self._features(people, cand, skills)
        cert_missing = X[:, _COL["cert_missing"]] > 0 if len(X) else np.zeros(0, dtype=bool)
        market = (self.posts.kind[cand.pj] != _WELFARE) & ~(cert_missing & ~self.posts.training_provided[cand.pj])
        running = np.concatenate([[0], np.cumsum(market)])
        market_counts = running[bounds[1:]] - running[bounds[:-1]]
        return _Pool(cand, skills, bounds, X, cert_missing, market, market_counts)

    # ------------------------------------------------------------------ answers
    def _answered(self, people: People, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Pairs ``(people[pi], posts[pj])`` whose post the person already answered and may not see today."""
        if self.policy is None:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        return blocked_pairs(people, self.posts, self.policy.answered, self.today, rows)

    def _exclusions(self, people: People, rows: np.ndarray) -> Exclusions | None:
        pi, pj = self._answered(people, rows)
        return exclusions(pi, pj) if len(pi) else None

    def _answered_keys(self, people: People, rows: np.ndarray | None = None) -> np.ndarray:
        """The answered pairs as sorted keys ``person * n_posts + post``."""
        pi, pj = self._answered(people, rows)
        return np.unique(pi * len(self.posts) + pj)

    def _answered_mask(self, people: People, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
        """Which of the pairs ``(people[pi], posts[pj])`` the person already answered."""
        if not len(pi):
            return np.zeros(0, dtype=bool)
        keys = self._answered_keys(people, np.unique(pi))
        if not len(keys):
            return np.zeros(len(pi), dtype=bool)
        return np.isin(pi * len(self.posts) + pj, keys)

    def candidates_for_post(
        self, people: People, j: int, k: int = 20, encode: Callable[[People], np.ndarray] | None = None
    ) -> list[PostCandidate]:
        """The best ``k`` of ``people`` for post row ``j``: those it passes every hard constraint for today.

        The post's side of :meth:`recommend`, for an employer or an organiser: the same rules as
        :meth:`describe_pairs` (:func:`matcher.reach.ring_of` and :func:`matcher.reach.eligible`:
        open with openings today, within the person's mobility, age limits, physical demand). A
        public-welfare post goes only to people :meth:`recommend` would flag ``public_welfare``
        (its safety net; nobody else ever sees one), with step ``safety_net``; the flag is decided
        as :meth:`recommend` decides it (zero-employment households: by the market posts in reach),
        so ``people`` need the flag columns (:func:`matcher.prepare.prepare_people` with ``flags=True``).
        Every other post carries the widening ring it sits in for the person as its step.
        Certificates are not a hard constraint (the score knows a missing one). A person who already
        answered the post (:mod:`matcher.answered`) is not offered it again.

        ``people`` must be prepared and encoded (``people.vectors``) by the caller, or ``encode`` given:
        then only the people who pass the hard constraints (found without their vectors) are encoded,
        with ``encode(those people)`` (a county's seekers are thousands; a post suits a fraction of them,
        and encoding was most of the call). The checks and scores are vectorised over people; only the
        returned candidates are explained.

        Returns
        -------
        list of PostCandidate, at most ``k``
            By calibrated hire probability, best first; ties in ``people``'s order.
        """
        n = len(people)
        if n == 0 or k <= 0:
            return []
        pi = np.arange(n, dtype=np.int64)
        pj = np.full(n, int(j), dtype=np.int64)
        geo = pair_geo(people, self.posts, pi, pj)
        ring = ring_of(people, self.posts, pi, pj, geo)
        ok = eligible(people, self.posts, pi, pj, ring, self.today)
        if ok.any():
            ok[ok] = ~self._answered_mask(people, pi[ok], pj[ok])
        if encode is not None:  # those who pass, alone and in their order, encoded (see above)
            keep = np.flatnonzero(ok)
            if not len(keep):
                return []
            people = take_people(people, keep)
            people.vectors = encode(people)
            geo = type(geo)(*(a[keep] for a in geo))
            ring, ok = ring[keep], np.ones(len(keep), dtype=bool)
            pi, pj = np.arange(len(keep), dtype=np.int64), pj[keep]
        welfare = bool(self.posts.kind[j] == _WELFARE)
        if welfare and ok.any():
            ok[ok] = self._welfare_allowed(people, np.flatnonzero(ok))
        rows = np.flatnonzero(ok)
        if not len(rows):
            return []
        geo = type(geo)(*(a[rows] for a in geo))
        skills = PairSkills.for_rows(self._post_skills, people, rows)
        X = pair_features(people, self.posts, rows, pj[rows], geo, skills, self.employers)
        p = self.ranker.predict_proba(X)[:, 1]
        best = np.lexsort((rows, -p))[:k]
        prior = bool(getattr(self.ranker, "is_prior", False))
        out = []
        for x in best.tolist():
            step = "safety_net" if welfare else RINGS[int(ring[rows[x]])]
            level = int(round(X[x, _COL["occupation_level"]] * 4))
            details = describe(
                people, self.posts, int(rows[x]), int(j), x, geo, level, step, float(p[x]), prior, facts=self._facts,
                today=self.today, response=responds(self.ranker), history=history_of(X[x]),
            )  # fmt: skip
            out.append(PostCandidate(str(people.ids[rows[x]]), float(p[x]), step, details.sentences(), details))
        return out

    def _welfare_allowed(self, people: People, rows: np.ndarray) -> np.ndarray:
        """Which of ``people[rows]`` (sorted) :meth:`recommend` would flag ``public_welfare``."""
        from matcher.flags import compute_flags

        # Only the zero-employment rule reads the market posts in reach, and only for zero-employment
        # households: the others get a count that never fires it, and no candidate search.
        reach = np.full(len(rows), np.iinfo(np.int64).max, dtype=np.int64)
        zero = people.zero_employment[rows]
        if self.policy.public_welfare.zero_employment.enabled and zero.any():
            reach[zero] = self._pool(people, rows[zero]).market_counts
        columns = people.flag_columns.take(rows) if people.flag_columns is not None else None
        flags = compute_flags(people.frame.iloc[rows], self.policy, market_in_reach=reach, columns=columns)
        return np.fromiter((any(f.kind == "public_welfare" for f in fl) for fl in flags), bool, len(flags))

    def _course_unlocks(self, people: People, i: int, cand: Candidates, sl: slice, X: np.ndarray) -> dict[str, int]:
        """Posts within the county that a course would open to this person, by course name."""
        if not people.wants_training[i]:
            return {}
        taught = self._taught
        have = people.skills[i]
        out: dict[str, int] = {}
        pj = cand.pj[sl]
        for j in pj[cand.ring[sl] <= 2].tolist():
            pairs = taught[j]
            if not pairs:
                continue
            # Posts, not openings: the flag reads "可解锁附近N个岗位", and a count of posts does not
            # move when an employer only changes how many people it hires.
            for course in {c for s, c in pairs if s not in have}:
                out[course] = out.get(course, 0) + 1
        return out

    def _shortfall(self, people: People, i: int, in_reach: int, blocked: int, got: int) -> Shortfall:
        mob = MOBILITY_ORDER[int(people.mobility[i])]
        zh_mob, en_mob = (
            MOBILITY_ZH[mob],
            {
                "home": "who cannot leave home",
                "village": "who stays in the village",
                "town": "who stays in the township",
                "county": "who stays in the county",
                "province": "who stays in the province",
                "nationwide": "willing to go anywhere",
            }[mob],
        )
        if in_reach == 0:
            return Shortfall(
                f"外出意愿为「{zh_mob}」，可及范围内没有在招岗位",
                f"within reach of a person {en_mob} there are no open posts",
                got,
            )
        if blocked:
            return Shortfall(
                f"外出意愿为「{zh_mob}」，可及范围内只有{in_reach}个在招岗位，其中{blocked}个因年龄或体力要求不符",
                f"within reach of a person {en_mob} there are only {in_reach} open posts, "
                f"{blocked} of them closed by age or physical limits",
                got,
            )
        return Shortfall(
            f"外出意愿为「{zh_mob}」，可及范围内只有{in_reach}个在招岗位（已全部列出）",
            f"within reach of a person {en_mob} there are only {in_reach} open posts (all listed)",
            got,
        )
