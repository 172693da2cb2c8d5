"""Build a fair's shortlist: candidates, eligible scored pairs, the assignment, reasons, and the stored result.

``build_shortlist(engine, fair_id)`` is the one call the CLI (and later the
API) makes; it returns a :class:`Shortlist` whose frames the exports turn
into the organiser's workbook and printable page.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from matcher.errors import MatcherError
from matcher.explain import explain
from matcher.fair.candidates import fair_pairs, seekers, take_people, tiers, venue_reach
from matcher.fair.model import Fair, load_fair, save_invitations, seeker_ids
from matcher.fair.solver import TIERS, FairMetrics, FairSettings, assign, fair_metrics, topk_baseline
from matcher.pairs import PairSkills, PostSkills, occupation_level
from matcher.prepare import KINDS, People, prepare_people
from matcher.reach import RINGS, pair_geo, ring_of

__all__ = ["Shortlist", "build_shortlist", "solve_pairs"]


@dataclass
class Shortlist:
    """A fair's invitations.

    Attributes
    ----------
    fair : Fair
    booths : DataFrame
        One row per post of the fair: ``booth`` number, ``vacancy_id``, ``title``, ``employer_name``, ``kind``,
        ``openings``, ``capacity``, ``invited``.
    invitations : DataFrame
        One row per invitation, ordered by booth then rank: ``vacancy_id``, ``laborer_id``, ``rank``,
        ``probability``, ``tier``, ``household_id``, ``village_code``, ``village``, ``town``, ``name``,
        ``id_number``, ``phone``, ``reasons`` (tuple of str), ``booth``.
    metrics, baseline : FairMetrics
        The assignment, and independent top-k of the same total length on the same pairs.
    candidates : int
    timings : dict of str to float (seconds)
    """

    fair: Fair
    booths: pd.DataFrame
    invitations: pd.DataFrame
    metrics: FairMetrics
    baseline: FairMetrics
    candidates: int
    settings: FairSettings
    timings: dict[str, float] = field(default_factory=dict)


def solve_pairs(
    pi: np.ndarray,
    pj_local: np.ndarray,
    p: np.ndarray,
    tier: np.ndarray,
    household: np.ndarray,
    openings: np.ndarray,
    zero: np.ndarray,
    settings: FairSettings,
) -> tuple[np.ndarray, FairMetrics, FairMetrics]:
    """Assignment and top-k baseline over the same pairs; ``pj_local`` indexes ``openings``."""
    capacity = settings.capacity(openings)
    chosen = assign(pi, pj_local, p, tier, household, capacity, settings, openings)
    metrics = fair_metrics(chosen, pi, pj_local, p, openings, household, zero)
    usable = p >= settings.min_probability
    base = np.zeros(len(pi), dtype=bool)
    base[usable] = topk_baseline(pi[usable], pj_local[usable], p[usable], int(chosen.sum()), settings.per_person)
    baseline = fair_metrics(base, pi, pj_local, p, openings, household, zero)
    return chosen, metrics, baseline


def build_shortlist(
    engine: Engine,
    fair_id: str,
    settings: FairSettings | None = None,
    *,
    lookup: Any = None,
    store: bool = True,
    counties: Sequence[str] | None = None,
    home: Path | None = None,
) -> Shortlist:
    """Compute (and by default store) the shortlist of one fair.

    Parameters
    ----------
    engine : Engine
    fair_id : str
    settings : FairSettings, optional
    lookup : matcher.lookup.Lookup, optional
        A ready lookup for the fair's date (built when omitted: the latest model under ``home``, posts of
        the store).
    store : bool
        Replace the fair's stored invitations by the new ones.
    counties : sequence of str, optional
        6-digit codes of the counties whose job seekers are candidates (default: the fair's county).

    Raises
    ------
    MatcherError
        Unknown fair, no trained model, or no job seeker in the fair's county.
    """
    from matcher.lookup import Lookup
    from store import load_households, load_laborers

    s = settings or FairSettings()
    fair = load_fair(engine, fair_id)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    lookup = lookup or Lookup(engine, today=fair.date, home=home)
    rec = lookup.recommender
    posts = rec.posts
    post_rows = np.array([posts.position[v] for v in fair.vacancy_ids if v in posts.position], dtype=np.int64)
    counties = list(counties) if counties else [fair.county_code] if fair.county_code else None
    ids = seeker_ids(engine, counties)
    frame = seekers(load_laborers(engine, ids=ids)) if ids else pd.DataFrame()
    if frame.empty:
        where = ",".join(counties or ["?"])
        raise MatcherError(
            f"fair {fair_id}: no job seeker (wants_job) in county {where}",
            f"招聘会 {fair_id}：县 {where} 没有有求职意愿的劳动力",
        )
    people = prepare_people(frame, load_households(engine, county_codes=counties))
    people.vectors = lookup.model.encoder.transform_laborers(people.frame)
    timings["load"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    tier, welfare = tiers(people, lookup.policy)
    reach = venue_reach(people, posts.frame, fair.venue_code, fair.venue_lat, fair.venue_lon)
    # With far more candidates than invitations a person needs fewer options for the solver to spread.
    slots = int(s.capacity(posts.openings[post_rows]).sum())
    top = int(np.clip(np.ceil(6 * slots / len(people)), s.per_person + 2, max(s.top_per_person, s.per_person + 2)))
    pairs = fair_pairs(rec, people, post_rows, reach, int(fair.county_code or 0), welfare, top_per_person=top)
    timings["score"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    local = np.full(len(posts), -1, dtype=np.int64)
    local[post_rows] = np.arange(len(post_rows))
    household = pd.factorize(people.frame["household_id"].astype(str))[0]
    openings = posts.openings[post_rows]
    chosen, metrics, baseline = solve_pairs(
        pairs.pi, local[pairs.pj], pairs.p, tier, household, openings, people.zero_employment, s
    )
    timings["solve"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    booths = _booths(posts.frame.iloc[post_rows], s, local[pairs.pj[chosen]])
    invitations = _invitations(
        rec,
        people,
        pairs.pi[chosen],
        pairs.pj[chosen],
        pairs.p[chosen],
        tier,
        booths,
        bool(getattr(rec.ranker, "is_prior", False)),
    )
    if store:
        save_invitations(engine, fair_id, invitations)
    timings["reasons"] = time.perf_counter() - t0
    return Shortlist(fair, booths, invitations, metrics, baseline, len(people), s, timings)


def _booths(frame: pd.DataFrame, s: FairSettings, invited_local: np.ndarray) -> pd.DataFrame:
    out = frame[["vacancy_id", "title", "employer_name", "kind", "openings"]].reset_index(drop=True).copy()
    out["openings"] = pd.to_numeric(out["openings"], errors="coerce").fillna(0).astype(int)
    out["capacity"] = s.capacity(out["openings"].to_numpy())
    out["invited"] = np.bincount(invited_local, minlength=len(out))
    out = out.sort_values(["employer_name", "vacancy_id"], na_position="last", kind="stable").reset_index(drop=True)
    out.insert(0, "booth", np.arange(1, len(out) + 1))
    return out


def _invitations(
    rec: Any,
    people: People,
    pi: np.ndarray,
    pj: np.ndarray,
    p: np.ndarray,
    tier: np.ndarray,
    booths: pd.DataFrame,
    prior: bool,
) -> pd.DataFrame:
    posts = rec.posts
    columns = [
        "vacancy_id",
        "laborer_id",
        "rank",
        "probability",
        "tier",
        "household_id",
        "village_code",
        "village",
        "town",
        "name",
        "id_number",
        "phone",
        "reasons",
        "booth",
    ]
    if not len(pi):
        return pd.DataFrame(columns=columns)
    rows = np.unique(pi)
    sub = take_people(people, rows)
    si = np.searchsorted(rows, pi)
    geo = pair_geo(sub, posts, si, pj)
    ring = ring_of(sub, posts, si, pj, geo)
    skills = PairSkills.for_people(PostSkills.build(posts), sub)
    level = occupation_level(sub, posts, si, pj)
    reasons = []
    for k in range(len(si)):
        step = RINGS[int(ring[k])] if ring[k] >= 0 else "county"
        if ring[k] > 2:
            step = "province" if ring[k] == 3 else "nationwide"
        reasons.append(
            explain(sub, posts, int(si[k]), int(pj[k]), k, geo, skills, int(level[k]), step, float(p[k]), prior)
        )
    f = sub.frame
    out = pd.DataFrame(
        {
            "vacancy_id": posts.ids[pj].astype(str),
            "laborer_id": sub.ids[si].astype(str),
            "probability": p,
            "tier": [TIERS[t] for t in tier[pi]],
            "household_id": f["household_id"].to_numpy(dtype=object)[si],
            "village_code": f["village_code"].to_numpy(dtype=object)[si],
            "village": f["village"].to_numpy(dtype=object)[si],
            "town": f["town"].to_numpy(dtype=object)[si],
            "name": f["name"].to_numpy(dtype=object)[si],
            "id_number": f["id_number"].to_numpy(dtype=object)[si],
            "phone": f["phone"].to_numpy(dtype=object)[si],
            "reasons": reasons,
            "kind": [KINDS[k] for k in posts.kind[pj]],
        }
    )
    out["tier_rank"] = tier[pi]
    out = out.sort_values(["vacancy_id", "tier_rank", "probability"], ascending=[True, True, False], kind="stable")
    out["rank"] = out.groupby("vacancy_id").cumcount() + 1
    out["booth"] = out["vacancy_id"].map(dict(zip(booths["vacancy_id"], booths["booth"], strict=True)))
    out = out.sort_values(["booth", "rank"], kind="stable").reset_index(drop=True)
    return out[columns]
