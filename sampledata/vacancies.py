"""The post list (岗位需求清单): enterprises near and far, workshops, public-welfare, online.

Public-welfare posts come first, about two per village (1–3, capped at half of
all rows when the list is short); the remaining rows split across the other
kinds in the shares of :data:`SLOT_SHARES`. Each post carries a hidden true
occupation; its code reaches the CSV for about 70 % of rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sampledata import dirty
from sampledata.catalog import GROUPS, OCCUPATIONS
from sampledata.geography import Geography, jitter
from sampledata.identity import iso_dates, serial_ids
from sampledata.vacancy_text import describe, employer_names, pw_title_pools

__all__ = ["SLOT_SHARES", "SLOT_KIND", "make_posts"]

#: Shares of non-public-welfare rows per slot (``far`` = out-of-province enterprise).
SLOT_SHARES = {
    "local": 0.30,
    "far": 0.22,
    "factory": 0.14,
    "home": 0.14,
    "base": 0.12,
    "online": 0.08,
}
SLOT_KIND = {
    "local": "enterprise",
    "far": "enterprise",
    "factory": "workshop_factory",
    "home": "workshop_home",
    "base": "workshop_base",
    "pw": "public_welfare",
    "online": "online",
}
CODE_SHARE = 0.70
PW_CAP = 0.5
# slot: (wage_min low, wage_min high, spread low, spread high, cap, unit)
_WAGES = {
    "local": (2000, 3500, 300, 1200, 4500, "month"),
    "far": (4500, 6000, 500, 1800, 7500, "month"),
    "factory": (1800, 3000, 200, 800, 3500, "month"),
    "home": (1000, 1800, 200, 700, 2500, "piece"),
    "base": (80, 120, 0, 30, 150, "day"),
    "pw": (300, 500, 0, 100, 600, "month"),
    "online": (2000, 3500, 500, 1500, 5000, "month"),
}
# slot: probabilities of full_time, part_time, flexible
_HOURS = {
    "local": (0.95, 0.05, 0.0),
    "far": (1.0, 0.0, 0.0),
    "factory": (0.8, 0.0, 0.2),
    "home": (0.0, 0.1, 0.9),
    "base": (0.3, 0.2, 0.5),
    "pw": (0.0, 0.9, 0.1),
    "online": (0.4, 0.0, 0.6),
}
_AGE_MAX = {
    "local": (45, 50, 55),
    "far": (35, 40, 45),
    "factory": (45, 50, 55, 60),
    "home": (60, 65),
    "base": (60, 65),
    "pw": (60, 65),
    "online": (35, 40, 45),
}
_TRAINING = {
    "local": 0.4,
    "far": 0.5,
    "factory": 0.7,
    "home": 0.8,
    "base": 0.5,
    "pw": 0.3,
    "online": 0.7,
}
_SKILLS_REQ = {
    "local": 0.5,
    "far": 0.4,
    "factory": 0.3,
    "home": 0.15,
    "base": 0.3,
    "pw": 0.1,
    "online": 0.5,
}
_CERT_REQ = {
    "welder": 0.7,
    "electrician": 0.8,
    "forklift": 0.8,
    "driver": 0.9,
    "cook": 0.4,
    "housekeeper": 0.4,
    "nursery": 0.4,
    "eldercare": 0.3,
    "fireworks": 0.6,
    "security": 0.3,
}


def _pw_counts(rng: np.random.Generator, geo: Geography, m: int) -> np.ndarray:
    """Public-welfare posts per village (1–3, mean 2), capped at ``PW_CAP * m`` in all."""
    real = geo.villages["village"].to_numpy() != ""
    counts = np.where(real, rng.choice([1, 2, 3], size=real.size, p=[0.15, 0.7, 0.15]), 0)
    cap = int(PW_CAP * m)
    if counts.sum() > cap:
        order = rng.permutation(counts.size)
        keep = np.cumsum(counts[order]) <= cap
        counts[order[~keep]] = 0
    return counts


def _occupation_for(rng: np.random.Generator, slot: str, n: int) -> np.ndarray:
    w = np.array([o.kinds.get(slot, 0.0) for o in OCCUPATIONS])
    return rng.choice(len(OCCUPATIONS), size=n, p=w / w.sum())


def make_posts(rng: np.random.Generator, m: int, geo: Geography, as_of: dt.date) -> pd.DataFrame:
    """``m`` vacancy rows with hidden columns (prefixed ``_``)."""
    pw_counts = _pw_counts(rng, geo, m)
    n_pw = int(pw_counts.sum())
    rest = rng.multinomial(m - n_pw, list(SLOT_SHARES.values()))
    slots = np.concatenate([np.full(n_pw, "pw"), np.repeat(list(SLOT_SHARES), rest)]).astype(object)
    vil, towns, counties = geo.villages, geo.towns, geo.counties
    n_v = len(vil)

    occ = np.empty(m, dtype=np.int64)
    for s in np.unique(slots):
        idx = np.flatnonzero(slots == s)
        occ[idx] = _occupation_for(rng, s, idx.size)

    # Places: village-bound (pw, home, base), town-bound (local, factory, online), far.
    village = np.full(m, -1)
    village[:n_pw] = np.repeat(np.arange(n_v), pw_counts)
    vb = np.isin(slots, ["home", "base"])
    real = np.flatnonzero(vil["village"].to_numpy() != "")
    village[vb] = real[rng.integers(0, real.size, vb.sum())]
    town = np.where(village >= 0, vil["town_idx"].to_numpy()[np.maximum(village, 0)], -1)
    tb = np.isin(slots, ["local", "factory", "online"])
    t_county = towns["county_idx"].to_numpy()
    seat = np.r_[0, np.flatnonzero(np.diff(t_county)) + 1]  # first town of each county = seat
    chosen_county = rng.integers(0, len(counties), tb.sum())
    any_town = rng.integers(0, len(towns), tb.sum())
    town[tb] = np.where(rng.random(tb.sum()) < 0.5, seat[chosen_county], any_town)
    far = slots == "far"
    dest = geo.destinations
    d_idx = rng.choice(len(dest), size=far.sum(), p=dest["weight"] / dest["weight"].sum())

    lat = np.full(m, np.nan)
    lon = np.full(m, np.nan)
    vlat, vlon = vil["lat"].to_numpy(), vil["lon"].to_numpy()
    lat[village >= 0], lon[village >= 0] = vlat[village[village >= 0]], vlon[village[village >= 0]]
    lat[tb], lon[tb] = jitter(rng, towns["lat"].to_numpy()[town[tb]], towns["lon"].to_numpy()[town[tb]], 1.5)
    lat[far], lon[far] = jitter(rng, dest["lat"].to_numpy()[d_idx], dest["lon"].to_numpy()[d_idx], 5.0)
    county = np.where(town >= 0, t_county[np.maximum(town, 0)], -1)

    def at(col_local: np.ndarray, col_far: np.ndarray | None, idx: np.ndarray) -> np.ndarray:
        out = np.full(m, "", dtype=object)
        ok = idx >= 0
        out[ok] = col_local[idx[ok]]
        if col_far is not None:
            out[far] = col_far
        return out

    province = at(counties["province"].to_numpy(), dest["province"].to_numpy()[d_idx], county)
    city = at(counties["city"].to_numpy(), dest["city"].to_numpy()[d_idx], county)
    county_name = at(counties["county"].to_numpy(), dest["county"].to_numpy()[d_idx], county)
    town_name = at(towns["town"].to_numpy(), None, town)
    village_name = at(vil["village"].to_numpy(), None, village)

    wage_min = np.zeros(m)
    wage_max = np.zeros(m)
    unit = np.empty(m, dtype=object)
    hours = np.empty(m, dtype=object)
    age_max = np.zeros(m, dtype=np.int64)
    training = np.zeros(m, dtype=bool)
    for s, (lo, hi, slo, shi, cap, u) in _WAGES.items():
        idx = np.flatnonzero(slots == s)
        step = 10 if u == "day" else 50 if s == "pw" else 100
        wmin = np.round(rng.uniform(lo, hi, idx.size) / step) * step
        wage_min[idx] = wmin
        wage_max[idx] = np.minimum(np.round((wmin + rng.uniform(slo, shi, idx.size)) / step) * step, cap)
        unit[idx] = u
        hours[idx] = rng.choice(["full_time", "part_time", "flexible"], size=idx.size, p=_HOURS[s])
        age_max[idx] = rng.choice(_AGE_MAX[s], size=idx.size)
        training[idx] = rng.random(idx.size) < _TRAINING[s]
    age_min = np.where(rng.random(m) < 0.9, 18, 16)
    age_min[far] = 18
    phys = np.clip(
        np.array([o.phys for o in OCCUPATIONS])[occ] + rng.choice([-1, 0, 0, 0, 0, 0, 0, 1], m),
        0,
        2,
    )
    phys[slots == "online"] = 0
    month_mid = (wage_min + wage_max) / 2 * np.where(unit == "day", 22, 1)
    transport = np.where(far, rng.random(m) < 0.7, rng.random(m) < 0.1)
    lodging = np.where(far, rng.random(m) < 0.8, (slots == "local") & (rng.random(m) < 0.15))

    openings = np.clip(np.round(rng.lognormal(1.3, 1.0, m)), 1, 300).astype(np.int64)
    openings[far] = np.clip(np.round(rng.lognormal(2.5, 0.9, far.sum())), 1, 500)
    shop = np.isin(slots, ["factory", "home", "base"])
    openings[shop] = np.clip(np.round(rng.lognormal(2.6, 0.6, shop.sum())), 5, 40)
    openings[slots == "pw"] = rng.choice([1, 1, 1, 1, 2], size=(slots == "pw").sum())
    openings[slots == "online"] = np.clip(openings[slots == "online"], 1, 20)

    keys = [o.key for o in OCCUPATIONS]
    occ_key = np.array(keys)[occ]
    title_pools = [np.array([dirty.dirty(rng, t) for t in rng.choice(o.titles, 64)], dtype=object) for o in OCCUPATIONS]
    title = dirty.pick(rng, title_pools, occ)
    pw = slots == "pw"
    pw_pools = pw_title_pools(rng)
    title[pw] = dirty.pick(rng, pw_pools, occ[pw])
    skill_pools = [dirty.render_pool(rng, o.skills, 64, 1, 2) for o in OCCUPATIONS]
    cert_pools = [dirty.render_pool(rng, o.certs, 64, 1, 1) for o in OCCUPATIONS]
    req_p = np.array([_SKILLS_REQ[s] for s in slots])
    req_skills = np.where(rng.random(m) < req_p, dirty.pick(rng, skill_pools, occ), "")
    cert_p = np.array([_CERT_REQ.get(k, 0.0) for k in occ_key])
    needs_cert = rng.random(m) < cert_p
    req_certs = np.where(needs_cert, dirty.pick(rng, cert_pools, occ), "")
    code = np.array([o.code for o in OCCUPATIONS])[occ].astype(object)
    code[rng.random(m) >= CODE_SHARE] = ""

    ref = np.datetime64(as_of, "D")
    start = ref - rng.integers(10, 2 * 365 + 90, m).astype("timedelta64[D]")
    status = rng.choice(["open", "closed", "filled"], size=m, p=[0.85, 0.09, 0.06])
    ended = status != "open"
    span = (ref - start).astype(np.int64)
    end = ref + rng.integers(30, 366, m).astype("timedelta64[D]")
    end[ended] = start[ended] + np.maximum(1, (rng.random(ended.sum()) * (span[ended] - 1))).astype("timedelta64[D]")
    updated = np.datetime64(as_of, "s") - rng.integers(0, 30 * 86400, m).astype("timedelta64[s]")
    show = rng.random(m) < 0.95

    employer_name = employer_names(rng, slots, occ, county_name, town_name, village_name, city)
    employer_id = serial_ids("E", pd.factorize(employer_name)[0] + 1, 6)
    frame = pd.DataFrame(
        {
            "vacancy_id": serial_ids("V", np.arange(1, m + 1), 7),
            "employer_id": employer_id,
            "employer_name": employer_name,
            "kind": np.array([SLOT_KIND[s] for s in slots]),
            "title": title,
            "occupation_code": code,
            "description": "",
            "required_skills": req_skills,
            "required_certificates": req_certs,
            "openings": openings,
            "province": province,
            "city": city,
            "county": county_name,
            "town": town_name,
            "village": village_name,
            "lat": np.where(show, lat, np.nan),
            "lon": np.where(show, lon, np.nan),
            "wage_min": wage_min.astype(np.int64),
            "wage_max": wage_max.astype(np.int64),
            "wage_unit": unit,
            "hours": hours,
            "age_min": age_min,
            "age_max": age_max,
            "physical_demand": np.array(["low", "medium", "high"])[phys],
            "training_provided": training,
            "transport_provided": transport,
            "lodging_provided": lodging,
            "start_date": iso_dates(start),
            "end_date": iso_dates(end),
            "status": status,
            "updated_at": iso_dates(updated, "s"),
            "_slot": slots,
            "_occ": occ,
            "_group": 0,
            "_lat": lat,
            "_lon": lon,
            "_county": county,
            "_town": town,
            "_village": village,
            "_far": far,
            "_phys": phys,
            "_wage": month_mid,
            "_needs_cert": needs_cert,
            "_start": start,
            "_end": end,
        }
    )
    frame["_group"] = np.array([GROUPS.index(o.group) for o in OCCUPATIONS])[occ]
    frame["description"] = describe(frame)
    return frame
