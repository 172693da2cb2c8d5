"""The HIDDEN preference model that decides the simulated placement history.

Nothing outside :mod:`sampledata` may import this module: the matcher and the
learned models must discover these effects from the placements, not read
them here. Each (laborer, post) pair gets three utilities:

``u_lab``  the laborer's wish to take the post: occupation fit, wage against
           expectation, distance beyond the person's reach (home-bound
           people barely move), care duties against full-time or far work,
           transport and lodging for far posts;
``u_emp``  the employer's wish to hire: occupation fit, missing certificates,
           age outside the post's limits, physical demand beyond the
           person's health, schooling for online work; public-welfare posts
           favour people the market cannot place;
``u_ret``  staying six months: fit, wage, distance, care, physical strain.

Stage probabilities are logistic in these utilities plus Gaussian noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.geo import haversine_km

__all__ = ["HiddenPreferences", "pair_features", "utilities", "stage_probabilities"]


@dataclass(frozen=True)
class HiddenPreferences:
    """Weights of the hidden model (defaults are the generator's truth)."""

    reach_km: tuple[float, ...] = (3.0, 6.0, 15.0, 50.0, 500.0, 3000.0)
    w_occ: float = 1.6
    w_group: float = 0.6
    w_wage: float = 1.5
    w_dist: float = 1.6
    w_care_full: float = 1.0
    w_care_far: float = 2.5
    w_far_perks: float = 0.4
    w_cert: float = 1.5
    w_age: float = 0.35
    w_phys: float = 1.2
    w_school: float = 1.0
    w_pw_need: float = 1.2
    b_apply: float = -0.6
    b_interview: float = 0.2
    b_hire: float = -0.2
    b_retain: float = 0.5
    noise: float = 0.6


def pair_features(
    people: pd.DataFrame,
    posts: pd.DataFrame,
    li: np.ndarray,
    vi: np.ndarray,
    params: HiddenPreferences | None = None,
) -> dict[str, np.ndarray]:
    """Features of pairs ``(people.iloc[li], posts.iloc[vi])``; arrays of shape (n_pairs,)."""
    p = params or HiddenPreferences()
    col = lambda frame, name, idx: frame[name].to_numpy()[idx]  # noqa: E731
    slot = col(posts, "_slot", vi)
    remote = slot == "online"
    dist = haversine_km(
        col(people, "_lat", li),
        col(people, "_lon", li),
        col(posts, "_lat", vi),
        col(posts, "_lon", vi),
    )
    dist = np.where(remote, 0.0, dist)
    reach = np.asarray(p.reach_km)[col(people, "_mobility", li)]
    health = col(people, "_health", li)
    capacity = np.clip(2 - (health >= 1) - (health == 3) - (col(people, "_disability", li) >= 2), 0, 2)
    age = col(people, "age", li)
    amin, amax = col(posts, "age_min", vi), col(posts, "age_max", vi)
    expected = np.maximum(col(people, "expected_wage", li), 300)
    return {
        "dist_km": dist,
        "over_reach": np.maximum(0.0, np.log((dist + 0.5) / reach)),
        "occ_match": (col(people, "_occ", li) == col(posts, "_occ", vi)).astype(float),
        "group_match": (col(people, "_group", li) == col(posts, "_group", vi)).astype(float),
        "log_wage": np.log(col(posts, "_wage", vi) / expected),
        "care_full": col(people, "care_duties", li) & (col(posts, "hours", vi) == "full_time"),
        "care_far": col(people, "care_duties", li) & (dist > 30),
        "far_perks": col(posts, "_far", vi)
        * (col(posts, "transport_provided", vi).astype(float) + col(posts, "lodging_provided", vi)),
        "cert_missing": col(posts, "_needs_cert", vi) & ~col(people, "_has_cert", li),
        "age_gap": np.minimum(np.maximum(amin - age, 0) + np.maximum(age - amax, 0), 10),
        "phys_gap": np.maximum(col(posts, "_phys", vi) - capacity, 0),
        "school_gap": remote & (col(people, "_edu", li) < 2),
        "pw": slot == "pw",
        "pw_need": (slot == "pw")
        * (
            ((age >= 45) | (health > 0) | col(people, "care_duties", li)).astype(float)
            - 1.0 * (col(people, "_able", li) & (age < 40))
        ),
    }


def utilities(f: dict[str, np.ndarray], params: HiddenPreferences | None = None) -> tuple[np.ndarray, ...]:
    """``(u_lab, u_emp, u_ret)`` for pair features ``f``; each shape (n_pairs,)."""
    p = params or HiddenPreferences()
    fit = p.w_occ * f["occ_match"] + p.w_group * f["group_match"]
    u_lab = (
        fit
        + p.w_wage * f["log_wage"]
        - p.w_dist * f["over_reach"]
        - p.w_care_full * f["care_full"]
        - p.w_care_far * f["care_far"]
        + p.w_far_perks * f["far_perks"]
    )
    u_emp = (
        fit
        - p.w_cert * f["cert_missing"]
        - p.w_age * f["age_gap"]
        - p.w_phys * f["phys_gap"]
        - p.w_school * f["school_gap"]
        + p.w_pw_need * f["pw_need"]
    )
    u_ret = (
        0.6 * fit
        + 1.0 * f["log_wage"]
        - 1.0 * f["over_reach"]
        - 1.0 * f["care_full"]
        - 1.5 * f["care_far"]
        - 0.8 * f["phys_gap"]
        + 0.8 * f["pw"]
    )
    return u_lab, u_emp, u_ret


def stage_probabilities(
    rng: np.random.Generator,
    u_lab: np.ndarray,
    u_emp: np.ndarray,
    u_ret: np.ndarray,
    params: HiddenPreferences | None = None,
) -> tuple[np.ndarray, ...]:
    """Noisy probabilities of applying, being interviewed, hired and staying six months."""
    p = params or HiddenPreferences()
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    e = rng.normal(0.0, p.noise, size=(4, u_lab.shape[0]))
    return (
        sig(p.b_apply + u_lab + e[0]),
        sig(p.b_interview + u_emp + e[1]),
        sig(p.b_hire + 0.6 * u_emp + 0.4 * u_lab + e[2]),
        sig(p.b_retain + u_ret + e[3]),
    )
