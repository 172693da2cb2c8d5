"""Two years of placement history drawn from the hidden preference model.

Who has history: everyone who wants a job, about half of those in work
(they found it through the service) and some of the unemployed. Each gets
1–4 posts 'recommended' by a caseworker, who draws three posts from a local
pool (own town, own county, public-welfare posts of the own town, online, or
far posts for the mobile) and pushes the one whose occupation family fits
best. No laborer × post matrix is ever built.

The funnel per pair: recommended → applied → interviewed → hired →
retained_6m or quit, with 'rejected' where it stops after applying or
interviewing. Hires per post are capped at twice its openings (turnover over
two years) and one person keeps at most one current job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sampledata.identity import iso_dates, serial_ids
from sampledata.preferences import HiddenPreferences, pair_features, stage_probabilities, utilities

__all__ = ["History", "simulate_history", "HISTORY_DAYS"]

HISTORY_DAYS = 730
_P_FAR = np.array([0.01, 0.02, 0.05, 0.10, 0.30, 0.50])  # by mobility


@dataclass(frozen=True)
class History:
    """The simulated history.

    Attributes
    ----------
    placements : pandas.DataFrame
        The CSV rows: placement_id, laborer_id, vacancy_id, outcome, date, source.
    pairs : pandas.DataFrame
        Hidden truth, one row per (laborer, post) funnel: ``li``, ``vi`` (row
        positions), features, ``u_lab``, ``u_emp``, ``u_ret`` and ``final``
        (the last outcome).
    """

    placements: pd.DataFrame
    pairs: pd.DataFrame


class _Pool:
    """Row indices of posts grouped by an integer key (CSR layout)."""

    def __init__(self, keys: np.ndarray, members: np.ndarray, n_keys: int) -> None:
        order = members[np.argsort(keys[members], kind="stable")]
        self.rows = order
        self.counts = np.bincount(keys[members], minlength=n_keys)
        self.starts = np.cumsum(self.counts) - self.counts

    def draw(self, rng: np.random.Generator, key: np.ndarray, k: int) -> np.ndarray:
        """``k`` random members per key, shape (len(key), k); -1 where the key's pool is empty."""
        cnt = self.counts[key][:, None]
        pos = self.starts[key][:, None] + (rng.random((key.size, k)) * cnt).astype(np.int64)
        out = self.rows[np.minimum(pos, max(self.rows.size - 1, 0))] if self.rows.size else pos
        return np.where(cnt > 0, out, -1)


def _candidates(rng: np.random.Generator, people: pd.DataFrame, posts: pd.DataFrame, li: np.ndarray) -> np.ndarray:
    """One caseworker-chosen post per slot in ``li``; shape (len(li),)."""
    n_towns = int(max(people["_town"].max(), posts["_town"].max())) + 1
    n_counties = int(max(people["_county"].max(), posts["_county"].max())) + 1
    slot = posts["_slot"].to_numpy()
    allrows = np.arange(len(posts))
    local = np.flatnonzero(np.isin(slot, ["local", "factory", "home", "base"]))
    town_key = np.maximum(posts["_town"].to_numpy(), 0)
    county_key = np.maximum(posts["_county"].to_numpy(), 0)
    pools = {
        "town": (_Pool(town_key, local, n_towns), "_town"),
        "county": (_Pool(county_key, local, n_counties), "_county"),
        "pw": (_Pool(town_key, np.flatnonzero(slot == "pw"), n_towns), "_town"),
        "far": (_Pool(np.zeros(len(posts), np.int64), np.flatnonzero(slot == "far"), 1), None),
        "online": (
            _Pool(np.zeros(len(posts), np.int64), np.flatnonzero(slot == "online"), 1),
            None,
        ),
        "any": (_Pool(np.zeros(len(posts), np.int64), allrows, 1), None),
    }
    age = people["age"].to_numpy()[li]
    hard = (age >= 50) | (people["_health"].to_numpy()[li] > 0) | people["care_duties"].to_numpy()[li]
    p_far = _P_FAR[people["_mobility"].to_numpy()[li]]
    p_online = 0.05 + 0.08 * (age < 35)
    p_pw = 0.03 + 0.25 * hard
    u = rng.random(li.size)
    choice = np.select(
        [
            u < p_far,
            u < p_far + p_online,
            u < p_far + p_online + p_pw,
            u < p_far + p_online + p_pw + (1 - p_far - p_online - p_pw) / 2,
        ],
        ["far", "online", "pw", "town"],
        "county",
    )
    drawn = np.full((li.size, 3), -1)
    order = ("far", "online", "pw", "town", "county", "any")
    fallback = {"pw": "town", "town": "county", "county": "far", "far": "any", "online": "any"}
    pending = {name: np.flatnonzero(choice == name) for name in order}
    for name in order:
        rows = pending.get(name, np.empty(0, np.int64))
        if rows.size == 0:
            continue
        pool, key_col = pools[name]
        key = people[key_col].to_numpy()[li[rows]] if key_col else np.zeros(rows.size, np.int64)
        got = pool.draw(rng, key, 3)
        drawn[rows] = got
        empty = rows[got[:, 0] < 0]
        if empty.size and name in fallback:
            nxt = fallback[name]
            pending[nxt] = np.concatenate([pending.get(nxt, np.empty(0, np.int64)), empty])
    groups = posts["_group"].to_numpy()
    match = groups[np.maximum(drawn, 0)] == people["_group"].to_numpy()[li][:, None]
    score = 1.5 * match + rng.gumbel(size=drawn.shape) - 100.0 * (drawn < 0)
    return drawn[np.arange(li.size), np.argmax(score, axis=1)]


def simulate_history(
    rng: np.random.Generator,
    people: pd.DataFrame,
    posts: pd.DataFrame,
    as_of: dt.date,
    params: HiddenPreferences | None = None,
) -> History:
    """Simulate the placement funnels of the last two years (see module docstring)."""
    n = len(people)
    status = people["employment_status"].to_numpy()
    u = rng.random(n)
    looker = (
        people["wants_job"].to_numpy()
        | (np.isin(status, ["employed_local", "employed_away", "public_welfare"]) & (u < 0.55))
        | ((status == "unemployed") & (u < 0.6))
        | ((status == "self_employed") & (u < 0.15))
    )
    looker &= status != "unable"
    lookers = np.flatnonzero(looker)
    k = 1 + rng.binomial(3, 0.5, lookers.size)
    li = np.repeat(lookers, k)
    vi = _candidates(rng, people, posts, li) if len(posts) else np.full(li.size, -1)
    keep = vi >= 0
    li, vi = li[keep], vi[keep]
    pair_key = np.unique(li.astype(np.int64) * len(posts) + vi)
    li, vi = pair_key // len(posts), pair_key % len(posts)

    ref = np.datetime64(as_of, "D")
    start = posts["_start"].to_numpy().astype("datetime64[D]")
    end = posts["_end"].to_numpy().astype("datetime64[D]")
    lo = np.maximum(start[vi], ref - np.timedelta64(HISTORY_DAYS, "D"))
    hi = np.minimum(end[vi], ref) - np.timedelta64(5, "D")
    ok = hi >= lo
    li, vi, lo, hi = li[ok], vi[ok], lo[ok], hi[ok]
    t0 = lo + (rng.random(li.size) * ((hi - lo).astype(np.int64) + 1)).astype("timedelta64[D]")

    f = pair_features(people, posts, li, vi, params)
    u_lab, u_emp, u_ret = utilities(f, params)
    p_apply, p_int, p_hire, p_ret = stage_probabilities(rng, u_lab, u_emp, u_ret, params)
    r = rng.random((4, li.size))
    applied = r[0] < p_apply
    interviewed = applied & (r[1] < p_int)
    hired = interviewed & (r[2] < p_hire)
    # Scarce openings: at most twice the openings hired per post over two years, best fits first.
    order = np.lexsort((-(u_emp + rng.normal(0, 0.3, li.size)), vi))
    rank = np.empty(li.size, np.int64)
    sorted_vi = vi[order]
    first = np.r_[0, np.flatnonzero(np.diff(sorted_vi)) + 1]
    run_start = np.repeat(first, np.diff(np.r_[first, sorted_vi.size]))
    hired_sorted = hired[order].astype(np.int64)
    rank[order] = np.cumsum(hired_sorted) - np.cumsum(hired_sorted)[run_start] + hired_sorted[run_start]
    hired &= rank <= 2 * posts["openings"].to_numpy()[vi]
    # One current job per person: keep the hire the person likes best.
    h = np.flatnonzero(hired)
    best = h[np.lexsort((-u_lab[h], li[h]))]
    dup = best[1:][li[best][1:] == li[best][:-1]]
    hired[dup] = False
    retained = hired & (r[3] < p_ret)

    day = lambda a, b: rng.integers(a, b + 1, li.size).astype("timedelta64[D]")  # noqa: E731
    t1 = t0 + day(1, 10)
    t_rej1 = t1 + day(3, 20)
    t2 = t1 + day(2, 14)
    t_rej2 = t2 + day(1, 10)
    t3 = t2 + day(1, 10)
    t_ret = t3 + np.timedelta64(183, "D")
    t_quit = t3 + day(7, 170)
    stages = [
        ("recommended", np.ones(li.size, bool), t0),
        ("applied", applied, t1),
        ("rejected", applied & ~interviewed, t_rej1),
        ("interviewed", interviewed, t2),
        ("rejected", interviewed & ~hired, t_rej2),
        ("hired", hired, t3),
        ("retained_6m", retained, t_ret),
        ("quit", hired & ~retained, t_quit),
    ]
    rows_li, rows_vi, rows_date, rows_step = [], [], [], []
    final = np.full(li.size, "recommended", dtype=object)
    for step, (name, mask, when) in enumerate(stages):
        m = mask & (when <= ref)
        final[m] = name
        rows_li.append(li[m])
        rows_vi.append(vi[m])
        rows_date.append(when[m])
        rows_step.append(np.full(m.sum(), step, dtype=np.int8))
    pl = pd.DataFrame(
        {
            "li": np.concatenate(rows_li),
            "vi": np.concatenate(rows_vi),
            "date": np.concatenate(rows_date),
            "step": np.concatenate(rows_step),
        }
    ).sort_values(["date", "li", "vi", "step"], kind="stable", ignore_index=True)
    names = np.array([name for name, _, _ in stages], dtype=object)
    # take() keeps the id columns in pandas' compact string storage (no million Python strings).
    placements = pd.DataFrame(
        {
            "placement_id": serial_ids("P", np.arange(1, len(pl) + 1), 8),
            "laborer_id": people["laborer_id"].take(pl["li"].to_numpy()).reset_index(drop=True),
            "vacancy_id": posts["vacancy_id"].take(pl["vi"].to_numpy()).reset_index(drop=True),
            "outcome": names[pl["step"].to_numpy()],
            "date": iso_dates(pl["date"].to_numpy()),
            "source": "history",
        }
    )
    pairs = pd.DataFrame({"li": li, "vi": vi, **f, "u_lab": u_lab, "u_emp": u_emp, "u_ret": u_ret, "final": final})
    return History(placements, pairs)
