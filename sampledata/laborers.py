"""The poor-laborer ledger (贫困劳动力台账): households and people.

Proportions follow the seed ledger of 永寿县: of 49,482 poor laborers in
13,079 households, 12,336 able to work, 6,176 wanting a job, 3,291 wanting
training, 2,008 wanting to start a business; among those able to work,
79.3 % employed (the 上栗县 figure). Ages run 16–65 and skew old,
schooling is mostly primary or junior, women and older people with care
duties mostly stay home.

Columns starting with ``_`` are the hidden ground truth (true occupation,
exact home, capacity …) used by the preference model; they never reach the
CSV files.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sampledata import dirty, identity
from sampledata.catalog import GROUPS, OCCUPATIONS
from sampledata.geography import Geography, jitter

__all__ = ["SHARES", "EDUCATION", "HEALTH", "DISABILITY", "MOBILITY", "make_ledger", "top_k"]

#: Shares of the ledger, from the seed document (divide by 49,482).
SHARES = {
    "able": 12_336 / 49_482,
    "wants_job": 6_176 / 49_482,
    "wants_training": 3_291 / 49_482,
    "wants_business": 2_008 / 49_482,
    "employed_if_able": 0.793,
    "registered_poor": 0.90,
    "coords_given": 0.20,
}
EDUCATION = ("none", "primary", "junior", "senior", "vocational", "college", "bachelor")
HEALTH = ("healthy", "weak", "chronic", "serious")
DISABILITY = ("none", "mild", "moderate", "severe")
MOBILITY = ("home", "village", "town", "county", "province", "nationwide")
_HOUSEHOLD_SIZES = np.array([2, 3, 4, 5])
_HOUSEHOLD_P = np.array([0.12, 0.22, 0.42, 0.24])  # mean 3.78 laborers per household
# Education by age band 16–29, 30–44, 45–54, 55–65.
_EDU_P = np.array(
    [
        [0.01, 0.08, 0.45, 0.16, 0.20, 0.07, 0.03],
        [0.04, 0.25, 0.50, 0.10, 0.08, 0.025, 0.005],
        [0.10, 0.42, 0.38, 0.07, 0.03, 0.0, 0.0],
        [0.25, 0.50, 0.20, 0.04, 0.01, 0.0, 0.0],
    ]
)
_SKILL_EXTRA = ("种地", "农活", "开三轮车", "开拖拉机", "会用智能手机", "做饭")
_INTENT_EXTRA = ("普工", "就近务工", "公益性岗位", "不限", "打零工", "进厂", "家门口就业", "手工活")
_COURSE_EXTRA = (
    "电工",
    "焊工",
    "叉车",
    "家政服务",
    "育婴员",
    "中式烹调",
    "电子商务",
    "计算机",
    "果树管理",
    "棚膜蔬菜",
    "食用菌栽培",
    "畜禽养殖",
    "刺绣",
    "编织",
    "创业培训（SYB）",
)
_POOL = 96


def top_k(rng: np.random.Generator, score: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of exactly ``k`` rows drawn by Gumbel-top-k on ``score`` (log-weights)."""
    mask = np.zeros(score.shape[0], dtype=bool)
    k = int(min(max(k, 0), score.shape[0]))
    if k:
        key = score + rng.gumbel(size=score.shape[0])
        mask[np.argpartition(-key, k - 1)[:k]] = True
    return mask


def _households(rng: np.random.Generator, n: int) -> np.ndarray:
    sizes = rng.choice(_HOUSEHOLD_SIZES, size=n // 2 + 2, p=_HOUSEHOLD_P)
    end = int(np.searchsorted(np.cumsum(sizes), n)) + 1
    sizes = sizes[:end].copy()
    sizes[-1] -= int(sizes.sum()) - n
    if sizes.size > 1 and sizes[-1] == 1:  # a lone member joins the previous household
        sizes = sizes[:-1]
        sizes[-1] += 1
        if sizes[-1] > 5:
            sizes[-1] -= 2
            sizes = np.append(sizes, 2)
    return sizes


def _ages_genders(rng: np.random.Generator, sizes: np.ndarray) -> tuple[np.ndarray, ...]:
    n_h = sizes.size
    hh = np.repeat(np.arange(n_h), sizes)
    role = np.arange(hh.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    head_age = np.clip(np.round(rng.normal(50, 8, n_h)), 28, 65).astype(np.int64)
    head_female = rng.random(n_h) < 0.15
    ha = head_age[hh]
    age = ha.copy()
    spouse = role == 1
    age[spouse] = np.clip(ha[spouse] + np.round(rng.normal(-2, 3, spouse.sum())), 22, 65)
    other = role >= 2
    young = other & (ha >= 42)
    old = other & (ha < 42)
    age[young] = np.maximum(ha[young] - rng.integers(21, 31, young.sum()), 16)
    age[old] = np.minimum(ha[old] + rng.integers(22, 31, old.sum()), 65)
    female = rng.random(hh.size) < 0.5
    female[role == 0] = head_female
    female[spouse] = ~head_female[hh[spouse]]
    return hh, role, age.astype(np.int64), female


def _draw_rows(rng: np.random.Generator, p: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Categorical draw per row with probabilities ``p[rows]``."""
    cdf = np.asarray(np.cumsum(np.asarray(p, dtype=np.float64), axis=1))
    cdf = np.divide(cdf, cdf[:, -1:])
    u = rng.random(size=(int(rows.shape[0]),))
    out = np.empty(rows.shape[0], dtype=np.int64)
    for g in np.unique(rows):  # a handful of groups: no (n, categories) matrix
        idx = np.flatnonzero(rows == g)
        out[idx] = np.minimum(np.searchsorted(cdf[g], u[idx], side="right"), p.shape[1] - 1)
    return out


def _occupations(rng: np.random.Generator, band: np.ndarray, female: np.ndarray) -> np.ndarray:
    prev = np.array([o.prevalence for o in OCCUPATIONS])  # (n_occ, 4)
    fem = np.array([o.female for o in OCCUPATIONS])
    w = np.concatenate([(prev * (1 - fem)[:, None]).T, (prev * fem[:, None]).T])  # (8, n_occ)
    return _draw_rows(rng, w, band + 4 * female.astype(np.int64))


def make_ledger(rng: np.random.Generator, n: int, geo: Geography, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Laborers and households, with hidden columns (prefixed ``_``).

    Returns
    -------
    people : pandas.DataFrame, shape (n, ...)
    households : pandas.DataFrame, one row per household
    """
    sizes = _households(rng, n)
    n_h = sizes.size
    vil = geo.villages
    n_c = len(geo.counties)
    weight = rng.gamma(2.0, 1.0, len(vil))
    c_idx = vil["county_idx"].to_numpy()
    weight = weight / np.bincount(c_idx, weights=weight, minlength=n_c)[c_idx] / n_c
    h_village = rng.choice(len(vil), size=n_h, p=weight / weight.sum())
    h_poor = rng.random(n_h) < SHARES["registered_poor"]

    hh, role, age, female = _ages_genders(rng, sizes)
    village = h_village[hh]
    band = np.digitize(age, [30, 45, 55])
    edu = _draw_rows(rng, _EDU_P, band)
    edu = np.where(female & (band >= 2) & (edu > 0) & (rng.random(n) < 0.15), edu - 1, edu)
    x = age - 16
    u = rng.random(n)
    health = np.select([u < 0.01 + 0.0012 * x, u < 0.04 + 0.004 * x, u < 0.10 + 0.007 * x], [3, 2, 1], 0)
    u = rng.random(n)
    disability = np.select([u < 0.025 + 0.08 * (health == 3), u < 0.06, u < 0.11], [3, 2, 1], 0)
    capacity = -1.2 * health - 1.0 * disability - 0.05 * np.maximum(0, age - 45) + rng.normal(0, 0.7, n)
    able = top_k(rng, 3.0 * capacity, round(n * SHARES["able"]))
    unable = ~able & ((health == 3) | (disability == 3) | (capacity < np.quantile(capacity, 0.2)))
    occ = _occupations(rng, band, female)

    care_p = np.where(female, np.where(age <= 45, 0.45, 0.33), 0.12)
    h_unable = np.bincount(hh, weights=unable, minlength=n_h) > 0
    care = (rng.random(n) < care_p + 0.2 * h_unable[hh]) & ~unable
    mob_score = (
        2.8 - 0.06 * (age - 30) - 1.6 * care - 0.6 * (health > 0) - 0.3 * female - 2.0 * unable + rng.normal(0, 0.9, n)
    )
    mobility = np.digitize(mob_score, [-0.5, 0.3, 1.0, 1.6, 2.4])

    status = np.full(n, "unemployed", dtype=object)
    u = rng.random(n)
    e = SHARES["employed_if_able"]
    away, local, self_ = (share * e / 0.793 for share in (0.42, 0.25, 0.07))
    status[able & (u < away)] = "employed_away"
    status[able & (u >= away) & (u < away + local)] = "employed_local"
    status[able & (u >= away + local) & (u < away + local + self_)] = "self_employed"
    status[able & (u >= away + local + self_) & (u < e)] = "public_welfare"
    mid = ~able & ~unable
    cuts = np.cumsum([0.45, 0.15, 0.12, 0.10, 0.03])
    for lo, hi, s in zip(
        np.r_[0, cuts[:-1]],
        cuts,
        ["farming", "employed_local", "employed_away", "public_welfare", "self_employed"],
        strict=True,
    ):
        status[mid & (u >= lo) & (u < hi)] = s
    status[unable] = np.where(u[unable] < 0.85, "unable", np.where(u[unable] < 0.97, "farming", "public_welfare"))
    # Nobody works away without being willing to go at least beyond the county.
    status[(status == "employed_away") & (mobility < 3)] = "employed_local"
    mobility = np.where(status == "employed_away", np.maximum(mobility, 4), mobility)

    unemployed = status == "unemployed"
    wants_job = top_k(
        rng,
        2.0 * unemployed
        + 1.0 * able
        + 0.6 * np.isin(status, ["employed_local", "public_welfare", "farming"])
        - 4.0 * unable
        - 0.03 * (age - 40),
        round(n * SHARES["wants_job"]),
    )
    wants_training = top_k(
        rng,
        1.5 * wants_job - 0.05 * (age - 35) + 0.5 * able - 4.0 * unable,
        round(n * SHARES["wants_training"]),
    )
    wants_business = top_k(
        rng,
        1.0 * able
        + 0.8 * ~female
        - 0.04 * np.abs(age - 40)
        + 0.5 * (edu >= 3)
        + 0.8 * (status == "self_employed")
        - 4.0 * unable,
        round(n * SHARES["wants_business"]),
    )

    skill_pools = [dirty.render_pool(rng, o.skills, _POOL, 1, 3, _SKILL_EXTRA, 0.25) for o in OCCUPATIONS]
    cert_pools = [dirty.render_pool(rng, o.certs, _POOL, 1, 2) for o in OCCUPATIONS]
    intent_pools = [dirty.render_pool(rng, o.titles, _POOL, 1, 3, _INTENT_EXTRA, 0.4) for o in OCCUPATIONS]
    course_pools = [
        dirty.render_pool(rng, o.courses or _COURSE_EXTRA[:3], _POOL, 1, 2, _COURSE_EXTRA, 0.5) for o in OCCUPATIONS
    ]
    has_cert_vocab = np.array([bool(o.certs) for o in OCCUPATIONS])[occ]
    has_skill = rng.random(n) < np.where(unable, 0.3, 0.75)
    has_cert = has_cert_vocab & (rng.random(n) < np.where(age < 45, 0.35, 0.18)) & ~unable
    skills = np.where(has_skill, dirty.pick(rng, skill_pools, occ), "")
    certs = np.where(has_cert, dirty.pick(rng, cert_pools, occ), "")
    show_intent = wants_job | (unemployed & (rng.random(n) < 0.5)) | (rng.random(n) < 0.08)
    intention = np.where(show_intent & ~unable, dirty.pick(rng, intent_pools, occ), "")
    courses = np.where(wants_training | (rng.random(n) < 0.03), dirty.pick(rng, course_pools, occ), "")

    base_wage = np.array([1200, 1500, 2000, 2600, 3800, 4800])[mobility]
    expected = np.round(base_wage * rng.lognormal(0, 0.2, n) * (1 + 0.1 * has_cert) / 100) * 100

    vlat, vlon = vil["lat"].to_numpy()[village], vil["lon"].to_numpy()[village]
    lat, lon = jitter(rng, vlat, vlon, 0.4)
    show_coords = rng.random(n) < SHARES["coords_given"]
    counties = geo.counties
    ci = vil["county_idx"].to_numpy()[village]
    ti = vil["town_idx"].to_numpy()[village]
    births = identity.birth_dates(rng, age, as_of)
    updated = np.datetime64(as_of, "s") - rng.integers(0, 60 * 86400, n).astype("timedelta64[s]")

    group = np.array([GROUPS.index(o.group) for o in OCCUPATIONS])[occ]
    people = pd.DataFrame({"laborer_id": identity.serial_ids("L", np.arange(1, n + 1), 7)})
    # Columns of fresh Python strings are built and stored one at a time so that only one
    # of them is alive as an object array at any moment (peak memory at a million rows).
    people["name"] = identity.make_names(rng, female)
    people["id_number"] = identity.id_numbers(rng, counties["adcode"].to_numpy()[ci], births, female)
    people["phone"] = identity.phones(rng, n)
    people["gender"] = np.where(female, "female", "male")
    people["age"] = age
    people["birth_date"] = identity.iso_dates(births)
    people["household_id"] = identity.serial_ids("H", hh + 1, 7)
    for column, values in (
        ("province", counties["province"].to_numpy()[ci]),
        ("city", counties["city"].to_numpy()[ci]),
        ("county", counties["county"].to_numpy()[ci]),
        ("town", geo.towns["town"].to_numpy()[ti]),
        ("village", vil["village"].to_numpy()[village]),
    ):
        people[column] = values
    rest = {
        "lat": np.where(show_coords, lat, np.nan),
        "lon": np.where(show_coords, lon, np.nan),
        "education": np.array(EDUCATION)[edu],
        "disability": np.array(DISABILITY)[disability],
        "health": np.array(HEALTH)[health],
        "skills": skills,
        "certificates": certs,
        "job_intention": intention,
        "wants_job": wants_job,
        "wants_training": wants_training,
        "wants_business": wants_business,
        "training_interest": courses,
        "mobility": np.array(MOBILITY)[mobility],
        "care_duties": care,
        "employment_status": status,
        "expected_wage": expected.astype(np.int64),
        "registered_poor": h_poor[hh],
        "updated_at": identity.iso_dates(updated, "s"),
        "_hh": hh,
        "_role": role,
        "_occ": occ,
        "_group": group,
        "_lat": lat,
        "_lon": lon,
        "_county": ci,
        "_town": ti,
        "_village": village,
        "_able": able,
        "_unable": unable,
        "_health": health,
        "_disability": disability,
        "_edu": edu,
        "_mobility": mobility,
        "_has_cert": has_cert,
    }
    for column, values in rest.items():
        people[column] = values
    households = pd.DataFrame(
        {
            "household_id": identity.serial_ids("H", np.arange(1, n_h + 1), 7),
            "province": counties["province"].to_numpy()[vil["county_idx"].to_numpy()[h_village]],
            "city": counties["city"].to_numpy()[vil["county_idx"].to_numpy()[h_village]],
            "county": counties["county"].to_numpy()[vil["county_idx"].to_numpy()[h_village]],
            "town": geo.towns["town"].to_numpy()[vil["town_idx"].to_numpy()[h_village]],
            "village": vil["village"].to_numpy()[h_village],
            "members": sizes,
            "registered_poor": h_poor,
            "head_laborer_id": people["laborer_id"].iloc[np.cumsum(sizes) - sizes].to_numpy(),
        }
    )
    return people, households
