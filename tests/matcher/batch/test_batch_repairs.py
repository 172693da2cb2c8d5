"""Repairs of stored lists: the vectorised repair gives, list by list, what the per-person rules give.

The reference below repairs one list at a time in plain Python, with the list policy written out from
``docs/policy.md`` (market posts by tier, score, ring, wage and id; training and home-based posts only
below three market posts; the safety net within the first three; cut at the candidates a list holds)
rather than through :mod:`matcher.assemble`. A seeded scenario with every kind of change — posts that
close, posts re-scored in and out of a list, training and safety-net rows, entering posts above and
below the floor, full and short lists — must come out the same: the same people sent to a recompute,
the same rows in the same order with the same steps and scores, and judged rows explained for the step
they end in.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from matcher.batch.repairs import REPAIR_COLUMNS, Repairs
from matcher.prepare import KIND_INDEX, KINDS
from matcher.reach import RINGS

PER_PERSON, REFILL = 20, 15
OTHER_STEPS = ("training", "safety_net")
THREE, SAFETY = 3, 2


class _Report:
    """What a repair reads of a :class:`matcher.recommend.PairReport`: the reasons of pair ``n``."""

    def reasons(self, n: int, step: str) -> tuple[str, ...]:
        return (f"pair {n}", step)


def _scenario(seed: int) -> tuple[SimpleNamespace, pd.DataFrame, pd.DataFrame, pd.Series, set[str], set[str]]:
    rng = np.random.default_rng(seed)
    n_posts, n_people = 400, 300
    post_ids = np.array([f"V{j:04d}" for j in range(n_posts)], dtype=object)
    kinds = rng.choice(len(KINDS), size=n_posts)
    wage = np.where(rng.random(n_posts) < 0.1, np.nan, rng.choice([2000.0, 3000.0, 4000.0], size=n_posts))
    posts = SimpleNamespace(
        ids=post_ids,
        kind=kinds,
        wage=wage,
        position={v: j for j, v in enumerate(post_ids)},
        col=lambda name: np.array([f"title of {v}" for v in post_ids], dtype=object),
        rows_of=lambda ids: pd.Index(post_ids).get_indexer(pd.Index(ids)),
    )
    rows = []
    for i in range(n_people):
        size = int(rng.choice([PER_PERSON, PER_PERSON, PER_PERSON - 3, 8, 2]))
        picks = rng.choice(n_posts, size=size, replace=False)
        steps = list(rng.choice(RINGS[:4], size=size))
        for s in range(int(rng.integers(0, 4))):  # training and safety-net rows close the list
            if size - 1 - s >= 0:
                steps[size - 1 - s] = OTHER_STEPS[int(rng.integers(0, 2))]
        for rank, (j, step) in enumerate(zip(picks, steps, strict=True), 1):
            kind = KINDS[kinds[j]] if step != "safety_net" or rng.random() < 0.5 else "public_welfare"
            # Ties on purpose: a coarse score makes the later keys (ring, wage, id) decide some orders.
            score = float(rng.integers(0, 6)) / 5
            rows.append((f"L{i:04d}", rank, post_ids[j], kind, score, str(step), False, int(rng.random() < 0.2)))
    cand = pd.DataFrame(rows, columns=["laborer_id", "rank", "vacancy_id", "kind", "score", "step", "prior", "tier"])
    cand["source_row"] = np.arange(len(cand))
    gone_posts = set(post_ids[rng.choice(n_posts, size=25, replace=False)])
    rescored_posts = set(post_ids[rng.choice(n_posts, size=40, replace=False)]) - gone_posts
    floors = pd.Series(rng.normal(0.0, 1.0, n_people), index=[f"L{i:04d}" for i in range(n_people)])
    floors.iloc[::37] = np.nan
    # Verdicts: every listed changed post, and a few entering posts per person (some for people without
    # a list at all), duplicates of a listed pair included.
    verdicts = []
    listed = cand[cand["vacancy_id"].isin(rescored_posts)]
    for pid, vid in zip(listed["laborer_id"], listed["vacancy_id"], strict=True):
        verdicts.append((pid, vid))
    for i in range(n_people + 20):
        for j in rng.choice(n_posts, size=int(rng.integers(0, 4)), replace=False):
            verdicts.append((f"L{i:04d}", post_ids[j]))
    v = pd.DataFrame(verdicts, columns=["laborer_id", "vacancy_id"])
    n = len(v)
    v["post"] = v["vacancy_id"].map(posts.position).astype(np.int64)
    v["ok"] = rng.random(n) < 0.85
    v["ring"] = np.where(v["ok"], rng.integers(0, 4, n), -1).astype(np.int64)
    v["market"] = rng.random(n) < 0.9
    v["score"] = rng.integers(0, 6, n) / 5
    v["coarse"] = rng.normal(0.5, 1.0, n)
    v["report"] = 0
    v["n"] = np.arange(n)
    return posts, cand, v, floors, gone_posts, rescored_posts


def _reference(
    posts: Any, cand: pd.DataFrame, v: pd.DataFrame, floors: pd.Series, gone: set[str], rescored: set[str]
) -> tuple[dict[str, list[tuple]], set[str]]:
    """The per-person rules: ``(lists that changed, people to recompute)``."""
    verdicts: dict[str, dict[str, tuple]] = {}
    for r in v.itertuples():
        verdicts.setdefault(r.laborer_id, {})[r.vacancy_id] = (r.ok, r.ring, r.market, r.score, r.coarse, r.post, r.n)
    floor_of = {k: (np.inf if np.isnan(x) else x) for k, x in floors.items()}
    welfare = KIND_INDEX["public_welfare"]
    touched = set(cand.loc[cand["vacancy_id"].isin(gone | rescored), "laborer_id"])
    may_enter = {
        pid
        for pid, mine in verdicts.items()
        if any(ok and ring >= 0 and c >= floor_of.get(pid, np.inf) and posts.kind[j] != welfare
               for ok, ring, _, _, c, j, _ in mine.values())
    }  # fmt: skip
    people = touched | may_enter
    out: dict[str, list[tuple]] = {}
    recompute: set[str] = set()
    sub = cand[cand["laborer_id"].isin(people)].sort_values(["laborer_id", "rank"])
    for pid, group in sub.groupby("laborer_id", sort=True):
        rows = [dict(r._asdict()) for r in group.itertuples(index=False)]
        fixed = _repair_one(rows, verdicts.get(pid, {}), posts, floor_of.get(pid, np.inf), gone, rescored)
        if fixed is None:
            recompute.add(pid)
        elif fixed:
            out[pid] = fixed
    for pid in set(verdicts) - set(sub["laborer_id"]):
        if any(x[0] for x in verdicts[pid].values()):
            recompute.add(pid)
    return out, recompute


def _key(posts: Any):  # type: ignore[no-untyped-def]
    """docs/policy.md, "Order": tier, score (higher first), ring (nearer first), wage (higher), vacancy id."""

    def key(r: dict) -> tuple:  # type: ignore[type-arg]
        j = posts.position[r["vacancy_id"]]
        wage = posts.wage[j]
        ring = RINGS.index(r["step"]) if r["step"] in RINGS else 0
        return (r["tier"], -r["score"], ring, -(wage if wage == wage else -1.0), r["vacancy_id"])

    return key


def _repair_one(rows, verdicts, posts, floor, gone, rescored):  # type: ignore[no-untyped-def]
    changed, kept = False, []
    for row in rows:
        vid = row["vacancy_id"]
        if vid in gone:
            changed = True
            continue
        verdict = verdicts.get(vid)
        if verdict is not None and vid in rescored:
            ok, ring, market, score, _, j, n = verdict
            in_rings = row["step"] in RINGS
            if not in_rings and (not ok or market or KINDS[posts.kind[j]] != row["kind"]):
                return None  # a training or safety-net post fails, would now be a market post or changed kind
            if in_rings and (not ok or not market):
                changed = True
                continue
            step = RINGS[ring] if in_rings else row["step"]
            row = dict(row, score=score, step=step, kind=KINDS[posts.kind[j]], reasons=(f"pair {n}", step))
            changed = True
        kept.append(row)
    before = sum(r["step"] in RINGS for r in rows)
    listed = {r["vacancy_id"] for r in rows}
    entering = []
    for vid, (ok, ring, is_market, score, coarse, j, n) in verdicts.items():
        if vid in listed or not ok or ring < 0 or not coarse >= floor or posts.kind[j] == KIND_INDEX["public_welfare"]:
            continue
        if not is_market:
            if before < THREE:
                return None  # it might be a training or home-based post of a short list
            continue
        entering.append(
            {"vacancy_id": vid, "score": score, "step": RINGS[ring], "kind": KINDS[posts.kind[j]], "tier": 0,
             "reasons": (f"pair {n}", RINGS[ring]), "entering": True}
        )  # fmt: skip
    market = [r for r in kept if r["step"] in RINGS] + entering
    if len(market) != before and min(len(market), before) < THREE:
        return None  # the training and home-based steps open below three market posts
    key = _key(posts)
    market.sort(key=key)
    training = sorted((r for r in kept if r["step"] == "training"), key=key)
    safety = [r for r in kept if r["step"] == "safety_net"]
    welfare = sorted((r for r in safety if r["kind"] == "public_welfare"), key=key)[:SAFETY]
    home = sorted((r for r in safety if r["kind"] != "public_welfare"), key=key)
    need = max(THREE - len(market), 0)
    extras = training[:need]
    extras += home[: need - len(extras)]
    sequence = market + extras
    insert = min(max(THREE - len(welfare), 0), len(sequence))
    final = (sequence[:insert] + welfare + sequence[insert:])[:PER_PERSON]
    if not changed and not any(r.get("entering") for r in final):
        return []
    if len(final) < len(rows) and len(final) < REFILL:
        return None
    return [
        (rank, r["vacancy_id"], r["step"], r["kind"], round(r["score"], 12), r.get("reasons"))
        for rank, r in enumerate(final, 1)
    ]


def test_vectorised_repairs_equal_the_per_person_rules() -> None:
    for seed in (3, 11, 29):
        posts, cand, v, floors, gone_posts, rescored_posts = _scenario(seed)
        _assert_same_repairs(seed, posts, cand, v, floors, gone_posts, rescored_posts)


def test_a_night_when_posts_only_close_repairs_without_verdicts() -> None:
    posts, cand, v, floors, gone_posts, _ = _scenario(5)
    _assert_same_repairs(5, posts, cand, v.iloc[0:0], floors, gone_posts, set())


def _assert_same_repairs(seed, posts, cand, v, floors, gone_posts, rescored_posts) -> None:  # type: ignore[no-untyped-def]
    """The vectorised repair and the per-person rules agree on one scenario."""
    gone = cand["vacancy_id"].isin(gone_posts).to_numpy()
    rescore = cand["vacancy_id"].isin(rescored_posts).to_numpy()
    floor_frame = floors.to_frame("coarse_floor")  # a run of an older version: the trees' floor alone
    id_rank = np.argsort(np.argsort(posts.ids.astype(str), kind="stable"), kind="stable")
    context = SimpleNamespace(posts=posts, recommender=SimpleNamespace(id_rank=id_rank))
    repair = Repairs(context, cand, gone, rescore, REFILL, PER_PERSON, floor_frame, None)  # type: ignore[arg-type]
    repair._parts, repair._reports = [v], [_Report()]
    frame = repair.frame(set())
    expected, recompute = _reference(posts, cand, v, floors, gone_posts, rescored_posts)

    assert list(frame.columns) == REPAIR_COLUMNS
    assert repair.recompute == recompute, (seed, sorted(repair.recompute ^ recompute)[:5])
    assert set(frame["laborer_id"]) == set(expected), seed
    assert 10 < len(expected) and (len(v) == 0 or 10 < len(recompute)), "the scenario exercises both outcomes"
    for pid, rows in frame.groupby("laborer_id"):
        got = [
            (r.rank, r.vacancy_id, r.step, r.kind, round(r.score, 12),
             None if pd.isna(r.reasons) else tuple(json.loads(r.reasons)))
            for r in rows.sort_values("rank").itertuples()
        ]  # fmt: skip
        assert got == expected[pid], (seed, pid)
    # Rows kept as they were point at their stored row; judged rows carry a title instead.
    same = frame[frame["reasons"].isna()]
    stored = cand.set_index("source_row").loc[same["source_row"]]
    assert (stored["laborer_id"].to_numpy() == same["laborer_id"].to_numpy()).all()
    assert (stored["vacancy_id"].to_numpy() == same["vacancy_id"].to_numpy()).all()
    assert frame.loc[frame["reasons"].notna(), "title"].str.startswith("title of").all()
    assert (frame.loc[frame["reasons"].notna(), "source_row"] == -1).all()


def test_bulk_readers_give_the_frames_of_the_plain_readers(batch_env) -> None:  # type: ignore[no-untyped-def]
    """The batch reads the ledger and the posts through the bulk readers: the same frames, dtypes included."""
    from store import load_laborers, load_vacancies
    from store.readers import load_laborers_bulk, load_vacancies_bulk

    engine = batch_env.engine
    for plain, bulk in (
        (load_laborers(engine, wants_job=True), load_laborers_bulk(engine, wants_job=True)),
        (load_laborers(engine, county_codes=["610425"]), load_laborers_bulk(engine, county_codes=["610425"])),
        (load_vacancies(engine), load_vacancies_bulk(engine)),
        (load_vacancies(engine, status="open"), load_vacancies_bulk(engine, status="open")),
    ):
        assert len(plain) > 0
        pd.testing.assert_frame_equal(plain, bulk)
        assert any(isinstance(v, list) for v in bulk["skills" if "skills" in bulk else "required_skills"])
    # The batch leaves the personal identifiers and the bookkeeping in the store; the rest is the same frame.
    from matcher.batch.runner import NOT_READ

    plain = load_laborers(engine, wants_job=True)
    bulk = load_laborers_bulk(engine, wants_job=True, skip=NOT_READ["laborers"])
    assert {"name", "id_number", "phone"} <= set(plain.columns) - set(bulk.columns)
    pd.testing.assert_frame_equal(plain.drop(columns=list(NOT_READ["laborers"])), bulk)
    posts = load_vacancies_bulk(engine, skip=NOT_READ["vacancies"])
    pd.testing.assert_frame_equal(load_vacancies(engine).drop(columns=list(NOT_READ["vacancies"])), posts)
    with pytest.raises(ValueError, match="no column nickname"):
        load_laborers_bulk(engine, skip=["nickname"])
    # The batch reads only the zero-employment households: exactly those of the full table.
    from store import load_households
    from store.readers import load_household_flags

    every = load_households(engine)
    zero = load_household_flags(engine, zero_only=True)
    assert 0 < len(zero) < len(every)
    assert set(zero["household_id"]) == set(every.loc[every["zero_employment"].astype(bool), "household_id"])


def test_a_list_the_repair_cannot_mend_is_recomputed(batch_copy, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """People a repair gives up on are recomputed, never left with yesterday's list."""
    import matcher.batch.incremental as incremental
    from matcher.batch.runs import read_table
    from store import load_laborers
    from tests.matcher.batch.conftest import batch, latest_run

    seekers = load_laborers(batch_copy.engine, wants_job=True)
    person = str(seekers.iloc[7]["laborer_id"])
    frame = incremental.Repairs.frame

    def give_up(self, recomputed):  # type: ignore[no-untyped-def]
        out = frame(self, recomputed)
        self.recompute.add(person)
        return out[out["laborer_id"] != person]

    monkeypatch.setattr(incremental.Repairs, "frame", give_up)
    base = latest_run()
    run = batch(batch_copy.engine)
    info = run.record["incremental"]
    assert info["from_run"] == base.run_id
    assert info["reasons"]["repair_needs_recompute"] == 1
    assert info["recomputed"] == 1
    assert person in set(read_table(run, "candidates")["laborer_id"])
