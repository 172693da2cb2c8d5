"""Real counties, towns, villages and destination cities from the gazetteer.

Everything comes from :func:`features.geo.get_gazetteer` (the shipped 2016
division table). Villages mostly lack coordinates: they get their town's
centre plus a seeded jitter of a few km; a town without coordinates gets its
county's centre plus a wider jitter. The jittered points are the generator's
ground truth for distances; only some of them reach the CSV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.geo import Gazetteer, Place, get_gazetteer, haversine_km

__all__ = [
    "DEFAULT_COUNTY",
    "LABORERS_PER_COUNTY",
    "DESTINATIONS",
    "Geography",
    "resolve_county",
    "counties_needed",
    "build_geography",
    "jitter",
]

#: 永寿县 (咸阳市, 陕西省): the seed document's "国家扶贫开发工作重点县" whose ledger
#: gives the proportions used here (49,482 poor laborers, 12,336 able to work …).
DEFAULT_COUNTY = "610426"
#: Above about 60,000 laborers the sample spreads over more counties of the same
#: province, about this many laborers each, so that density stays realistic.
LABORERS_PER_COUNTY = 50_000
#: Out-of-province destinations of labour cooperation (劳务协作) and their share of far posts.
DESTINATIONS: dict[str, tuple[str, float]] = {
    "东莞": ("441900", 0.35),
    "深圳": ("440300", 0.25),
    "宁波": ("330200", 0.20),
    "济南": ("370100", 0.20),
}


@dataclass(frozen=True)
class Geography:
    """Places of one sample.

    Attributes
    ----------
    counties : pandas.DataFrame
        One row per county used: ``code`` (12-digit int), ``adcode`` (6-digit
        int), ``province``, ``city``, ``county``, ``lat``, ``lon``.
    towns : pandas.DataFrame
        ``code``, ``county_idx`` (row of ``counties``), ``town``, ``lat``, ``lon``.
    villages : pandas.DataFrame
        ``code``, ``town_idx``, ``county_idx``, ``village``, ``lat``, ``lon``.
    destinations : pandas.DataFrame
        Far places: ``label`` (东莞 …), ``province``, ``city``, ``county``
        (empty for 东莞, which has no counties), ``lat``, ``lon``, ``weight``.
    """

    counties: pd.DataFrame
    towns: pd.DataFrame
    villages: pd.DataFrame
    destinations: pd.DataFrame


def jitter(rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, km: float) -> tuple[np.ndarray, np.ndarray]:
    """Move points by a normal offset of ``km`` standard deviation (clipped at 2.5 sd)."""
    d = np.clip(rng.normal(0.0, km, size=(2, lat.shape[0])), -2.5 * km, 2.5 * km)
    new_lat = lat + d[0] / 111.0
    new_lon = lon + d[1] / (111.0 * np.cos(np.radians(lat)))
    return np.round(new_lat, 6), np.round(new_lon, 6)


def resolve_county(county: str | None, gazetteer: Gazetteer | None = None) -> Place:
    """The county named or coded by ``county`` (default :data:`DEFAULT_COUNTY`).

    Raises
    ------
    ValueError
        If the name or code is not one county of the gazetteer.
    """
    gaz = gazetteer or get_gazetteer()
    text = (county or DEFAULT_COUNTY).strip()
    place: Place | None = None
    if text.isdigit():
        place = gaz.get(text)
    else:
        res = gaz.resolve(county=text)
        if res.county_code is not None and not res.unresolved:
            place = gaz.get(res.county_code)
    if place is None or place.level != "county":
        raise ValueError(
            f"county={county!r}: not a county of the 2016 gazetteer; give a county name such as "
            f"'永寿县' or a 6-digit code such as 610426 / 县名或6位区划代码无效"
        )
    if gaz.coords(place.code)[0] is None or not gaz.children(place.code):
        raise ValueError(
            f"county={county!r}: the gazetteer has no coordinates or towns for it; choose "
            f"another county / 该县缺少坐标或乡镇，无法生成样本"
        )
    return place


def counties_needed(laborers: int) -> int:
    """How many counties a ledger of ``laborers`` people spreads over."""
    if laborers <= 60_000:
        return 1
    return int(round(laborers / LABORERS_PER_COUNTY))


def _pick_counties(gaz: Gazetteer, primary: Place, n: int) -> list[Place]:
    """The primary county plus its ``n - 1`` nearest rural counties of the same province."""
    if n <= 1:
        return [primary]
    province = gaz.ancestors(primary.code)[0]
    lat0, lon0 = gaz.coords(primary.code)
    candidates = [
        p
        for p in gaz.children(province.code, level="county")
        if p.code != primary.code and p.lat is not None and not p.name.endswith("区")
    ]
    lats = np.array([p.lat for p in candidates], dtype=float)
    lons = np.array([p.lon for p in candidates], dtype=float)
    dist = haversine_km(np.float64(lat0), np.float64(lon0), lats, lons)
    chosen = [primary]
    for i in np.argsort(dist, kind="stable"):
        if len(chosen) == n:
            break
        if len(gaz.children(candidates[i].code)) >= 3:
            chosen.append(candidates[i])
    return chosen


def _destinations(gaz: Gazetteer) -> pd.DataFrame:
    rows = []
    for label, (code, weight) in DESTINATIONS.items():
        city = gaz.get(code)
        if city is None:
            raise ValueError(f"destination {label} ({code}) missing from the gazetteer")
        province = gaz.get(city.parent)
        assert province is not None
        districts = [p for p in gaz.children(code) if p.lat is not None and p.name != "市辖区"]
        if not districts:  # 东莞 has towns directly under the city, absent from the 2016 table
            lat, lon = gaz.coords(code)
            rows.append((label, province.name, city.name, "", lat, lon, weight))
            continue
        for p in districts:
            rows.append((label, province.name, city.name, p.name, p.lat, p.lon, weight / len(districts)))
    return pd.DataFrame(rows, columns=["label", "province", "city", "county", "lat", "lon", "weight"])


def build_geography(rng: np.random.Generator, laborers: int, county: str | None = None) -> Geography:
    """Counties, towns and villages for a ledger of ``laborers`` people.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the coordinate jitter.
    laborers : int
        Ledger size; decides the number of counties (:func:`counties_needed`).
    county : str, optional
        Primary county, name or code; :data:`DEFAULT_COUNTY` when ``None``.
    """
    gaz = get_gazetteer()
    primary = resolve_county(county, gaz)
    chosen = _pick_counties(gaz, primary, counties_needed(laborers))
    c_rows: list[tuple[object, ...]] = []
    t_rows: list[tuple[object, ...]] = []
    v_rows: list[tuple[object, ...]] = []
    for ci, place in enumerate(chosen):
        chain = gaz.ancestors(place.code)
        lat, lon = gaz.coords(place.code)
        c_rows.append(
            (
                int(place.code),
                int(place.code[:6]),
                chain[0].name,
                chain[1].name,
                place.name,
                lat,
                lon,
            )
        )
        for town in gaz.children(place.code):
            ti = len(t_rows)
            t_rows.append((int(town.code), ci, town.name, town.lat, town.lon))
            for v in gaz.children(town.code):
                v_rows.append((int(v.code), ti, ci, v.name, v.lat, v.lon))
    counties = pd.DataFrame(c_rows, columns=["code", "adcode", "province", "city", "county", "lat", "lon"])
    towns = pd.DataFrame(t_rows, columns=["code", "county_idx", "town", "lat", "lon"])
    towns[["lat", "lon"]] = towns[["lat", "lon"]].astype(float)
    missing = towns["lat"].isna().to_numpy()
    if missing.any():
        ci = towns.loc[missing, "county_idx"].to_numpy()
        t_lat, t_lon = jitter(rng, counties["lat"].to_numpy()[ci], counties["lon"].to_numpy()[ci], 6.0)
        towns.loc[missing, "lat"], towns.loc[missing, "lon"] = t_lat, t_lon
    villages = pd.DataFrame(v_rows, columns=["code", "town_idx", "county_idx", "village", "lat", "lon"])
    villages[["lat", "lon"]] = villages[["lat", "lon"]].astype(float)
    # Towns without villages in the table (some 街道) still host people: use the town itself.
    lonely = np.setdiff1d(np.arange(len(towns)), villages["town_idx"].to_numpy())
    if lonely.size:
        extra = pd.DataFrame(
            {
                "code": towns["code"].to_numpy()[lonely],
                "town_idx": lonely,
                "county_idx": towns["county_idx"].to_numpy()[lonely],
                "village": "",
                "lat": np.nan,
                "lon": np.nan,
            }
        )
        villages = pd.concat([villages, extra], ignore_index=True)
    missing = villages["lat"].isna().to_numpy()
    ti = villages.loc[missing, "town_idx"].to_numpy()
    v_lat, v_lon = jitter(rng, towns["lat"].to_numpy()[ti], towns["lon"].to_numpy()[ti], 2.5)
    villages.loc[missing, "lat"], villages.loc[missing, "lon"] = v_lat, v_lon
    return Geography(counties, towns, villages, _destinations(gaz))
