"""Placements: referential integrity, funnel order, and the hidden model's fingerprints."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd

from features.contract import vocab
from sampledata import AS_OF, PLACEMENT_COLUMNS, SampleCounty

_STEP = {"recommended": 0, "applied": 1, "interviewed": 2, "hired": 3, "retained_6m": 4, "quit": 4}
ROOT = Path(__file__).resolve().parents[2]


def test_placements_reference_existing_rows(sample: SampleCounty) -> None:
    pl = sample.public("placements")
    assert tuple(pl.columns) == PLACEMENT_COLUMNS
    assert pl["placement_id"].is_unique
    assert pl["laborer_id"].isin(sample.laborers["laborer_id"]).all()
    assert pl["vacancy_id"].isin(sample.vacancies["vacancy_id"]).all()
    # every step of the funnel occurs; contacted and declined come from caseworkers' records, not the history
    assert {"recommended", "applied", "interviewed", "hired", "rejected"} <= set(pl["outcome"]) <= set(vocab.OUTCOME)
    assert (pl["source"] == "history").all()
    dates = pd.to_datetime(pl["date"])
    assert dates.max() <= pd.Timestamp(AS_OF)
    assert dates.min() >= pd.Timestamp(AS_OF) - pd.Timedelta(days=731)


def test_volume_per_job_seeker(sample: SampleCounty) -> None:
    pl = sample.placements
    seekers = pl["laborer_id"].nunique()
    assert 0.2 < seekers / len(sample.laborers) < 0.5
    assert 2.0 < len(pl) / seekers < 7.0
    funnels = pl.groupby("laborer_id")["vacancy_id"].nunique()
    assert funnels.between(1, 4).all()


def test_funnels_are_time_ordered(sample: SampleCounty) -> None:
    pl = sample.placements.assign(date=lambda f: pd.to_datetime(f["date"]))
    pl = pl.sort_values(["laborer_id", "vacancy_id", "placement_id"])
    for (_, _), g in pl.groupby(["laborer_id", "vacancy_id"], sort=False):
        outcomes = g["outcome"].tolist()
        assert outcomes[0] == "recommended"
        assert g["date"].is_monotonic_increasing and g["date"].is_unique
        steps = [_STEP[o] for o in outcomes if o != "rejected"]
        assert steps == list(range(len(steps))) or steps[-1] == 4 and steps[:-1] == [0, 1, 2, 3]
        if "rejected" in outcomes:
            assert outcomes[-1] == "rejected" and outcomes.count("rejected") == 1
            assert outcomes[-2] in ("applied", "interviewed")
        if "retained_6m" in outcomes:
            hired = g.loc[g["outcome"] == "hired", "date"].iloc[0]
            kept = g.loc[g["outcome"] == "retained_6m", "date"].iloc[0]
            assert (kept - hired).days == 183


def test_hires_respect_openings_and_one_job_per_person(sample: SampleCounty) -> None:
    pl = sample.placements
    hires = pl[pl["outcome"] == "hired"]
    per_post = hires.groupby("vacancy_id").size()
    openings = sample.vacancies.set_index("vacancy_id")["openings"]
    assert (per_post <= 2 * openings[per_post.index]).all()
    assert hires["laborer_id"].is_unique


def test_hire_rate_falls_with_distance_for_home_bound_people(sample: SampleCounty) -> None:
    pairs = sample.history.pairs
    mobility = sample.laborers["mobility"].to_numpy()[pairs["li"].to_numpy()]
    hired = pairs["final"].isin(["hired", "retained_6m", "quit"])
    home = np.isin(mobility, ["home", "village"])
    near = hired[home & (pairs["dist_km"] < 5)].mean()
    far = hired[home & (pairs["dist_km"] > 20)].mean()
    assert near > 2 * far


def test_hidden_utility_drives_outcomes(sample: SampleCounty) -> None:
    pairs = sample.history.pairs
    hired = pairs["final"].isin(["hired", "retained_6m", "quit"])
    assert hired[pairs["occ_match"] == 1].mean() > 3 * hired[pairs["occ_match"] == 0].mean()
    score = pairs["u_lab"] + pairs["u_emp"]
    top, bottom = (
        hired[score >= score.quantile(0.8)].mean(),
        hired[score <= score.quantile(0.2)].mean(),
    )
    assert top > 5 * bottom
    kept = pairs[hired]
    retained = kept["final"] == "retained_6m"
    quit_ = kept["final"] == "quit"
    assert kept.loc[retained, "u_ret"].mean() > kept.loc[quit_, "u_ret"].mean()
    # Carers rarely end up in far, full-time work.
    care = sample.laborers["care_duties"].to_numpy()[pairs["li"].to_numpy()]
    assert hired[care & (pairs["dist_km"] > 30)].mean() < hired[~care & (pairs["dist_km"] > 30)].mean()


def test_current_jobs_show_in_employment_status(sample: SampleCounty) -> None:
    pairs = sample.history.pairs
    working = pairs[pairs["final"].isin(["hired", "retained_6m"])]
    status = sample.laborers["employment_status"].to_numpy()[working["li"].to_numpy()]
    slot = sample.vacancies["_slot"].to_numpy()[working["vi"].to_numpy()]
    assert (status[slot == "far"] == "employed_away").all()
    assert (status[slot == "pw"] == "public_welfare").all()
    assert (status[~np.isin(slot, ["far", "pw"])] == "employed_local").all()


def test_matcher_and_models_never_import_the_hidden_model() -> None:
    for package in ("matcher", "models", "features"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                assert not any(n.split(".")[0] == "sampledata" for n in names), path
