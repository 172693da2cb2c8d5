"""Tests of the geography layer against the shipped gazetteer (no mocks)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.geo import (
    LEVELS,
    Gazetteer,
    Place,
    Resolution,
    get_gazetteer,
    haversine_km,
    same_unit,
    travel_minutes,
)
from features.geo_frame import RESULT_COLUMNS
from features.geo_names import name_key

YIZHOU = "451281000000"  # 广西 河池市 宜州市 (a district, 宜州区, since 2016/17)
PINGSHAN = "130131000000"  # 河北 石家庄市 平山县
SHANGGUANYINTANG = "130131209000"  # 平山县 上观音堂乡 (no coordinates of its own)
DAPING = "130131209209"  # 上观音堂乡 大坪村委会
ZUNHUA_SHIMEN = "130281112000"  # 河北 唐山市 遵化市 石门镇


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return get_gazetteer()


# ---- loading and lookups -------------------------------------------------------


def test_whole_country_is_shipped(gaz: Gazetteer) -> None:
    counts = np.bincount(gaz.levels, minlength=5)
    assert dict(zip(LEVELS, counts.tolist(), strict=True)) == {
        "province": 34,
        "city": 344,
        "county": 3133,
        "town": 42868,
        "village": 666655,
    }
    shipped = Path(__file__).parents[2] / "features" / "data" / "geo" / "gazetteer.parquet"
    assert shipped.stat().st_size < 15_000_000


def test_get_gazetteer_is_cached(gaz: Gazetteer) -> None:
    assert get_gazetteer() is gaz


def test_load_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.parquet"):
        Gazetteer.load(tmp_path / "nope.parquet")


def test_get_accepts_full_codes_and_prefixes(gaz: Gazetteer) -> None:
    county = gaz.get(YIZHOU)
    assert county == Place(
        code=YIZHOU, name="宜州市", level="county", parent="451200000000", lat=24.485214,
        lon=108.636414,
    )  # fmt: skip
    assert gaz.get("451281") == county
    assert gaz.get(451281) == county
    assert gaz.get("45").name == "广西壮族自治区"
    assert gaz.get("45").parent == ""
    assert gaz.get("4512").name == "河池市"
    assert gaz.get("130131209").name == "上观音堂乡"
    for bad in ("", "abc", "4512811", "999999", None, "１３"):
        assert gaz.get(bad) is None


def test_children_and_ancestors(gaz: Gazetteer) -> None:
    towns = gaz.children(PINGSHAN)
    assert {p.level for p in towns} == {"town"}
    assert SHANGGUANYINTANG in [p.code for p in towns]
    villages = gaz.children(PINGSHAN, level="village")
    assert DAPING in [p.code for p in villages]
    assert all(p.code.startswith("130131") for p in villages)
    assert gaz.children(PINGSHAN, level="province") == []
    assert [p.name for p in gaz.ancestors(DAPING)] == ["河北省", "石家庄市", "平山县", "上观音堂乡"]
    assert gaz.ancestors("13") == []
    with pytest.raises(KeyError, match="999999"):
        gaz.children("999999")
    with pytest.raises(ValueError, match="hamlet"):
        gaz.children(PINGSHAN, level="hamlet")


def test_coords_walk_up_to_the_nearest_parent_with_coordinates(gaz: Gazetteer) -> None:
    assert gaz.get(DAPING).lat is None and gaz.get(SHANGGUANYINTANG).lat is None
    assert gaz.coords(DAPING) == gaz.coords(PINGSHAN) == (38.247888, 114.195918)
    assert gaz.coords("999999999999") == (None, None)


# ---- resolution ----------------------------------------------------------------


def test_exact_full_address(gaz: Gazetteer) -> None:
    res = gaz.resolve("河北省", "石家庄市", "平山县", "上观音堂乡", "大坪村委会")
    assert res == Resolution(
        code=DAPING,
        adcode="130131",
        level="village",
        province_code="130000000000",
        city_code="130100000000",
        county_code=PINGSHAN,
        town_code=SHANGGUANYINTANG,
        village_code=DAPING,
        lat=38.247888,
        lon=114.195918,
        coord_level="county",
        unresolved=(),
    )


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("河北省", "石家庄市", "平山县", "上观音堂乡", "大坪村"), DAPING),
        (("河北", "石家庄", "平山", "上观音堂", "大坪"), DAPING),
        ((" 河北省", "石家庄市 ", "平山\u3000县", "上观音堂乡", "大坪村民委员会"), DAPING),
        (("河北省", "唐山市", "遵化市", "石门", None), ZUNHUA_SHIMEN),
        (("四川省", None, "峨边县", None, None), "511132000000"),
        (("广西", "河池市", "宜州区", None, None), YIZHOU),
    ],
)
def test_tolerant_names(gaz: Gazetteer, names: tuple[str | None, ...], expected: str) -> None:
    res = gaz.resolve(*names)
    assert res.code == expected
    assert res.unresolved == ()


def test_name_keys() -> None:
    assert name_key("峨边彝族自治县", 2) == ("峨边", "县")
    assert name_key("积石山保安族东乡族撒拉族自治县", 2) == ("积石山", "县")
    assert name_key("大坪村委会", 4) == ("大坪", "村")
    assert name_key("大坪村民委员会", 4) == name_key("大坪村", 4)
    assert name_key("文昌社区居委会", 4) == ("文昌", "社区")
    assert name_key("东华门街道办事处", 3) == name_key("东华门街道", 3)
    assert name_key("新疆维吾尔自治区", 0) == ("新疆", "自治区")
    assert name_key("西藏自治区", 0) == ("西藏", "自治区")
    assert name_key("融水苗族自治县", 2) == ("融水", "县")
    assert name_key("石门", 3) == ("石门", None)
    assert name_key("县", 2) == ("县", None)


def test_county_name_alone_infers_the_upper_levels(gaz: Gazetteer) -> None:
    res = gaz.resolve(county="平山县")
    assert (res.code, res.province_code, res.city_code) == (
        PINGSHAN,
        "130000000000",
        "130100000000",
    )
    res = gaz.resolve(county="平山县", town="上观音堂乡")
    assert res.code == SHANGGUANYINTANG and res.unresolved == ()


def test_ambiguous_names_never_pick_an_arbitrary_place(gaz: Gazetteer) -> None:
    # 石门镇 exists in a dozen counties, 石门 also matches as many 石门乡.
    res = gaz.resolve(town="石门镇")
    assert res.code is None and res.unresolved == (("town", "石门镇"),)
    # Within 河北 it is still ambiguous (遵化市 and 卢龙县): stop at the province.
    res = gaz.resolve("河北省", town="石门镇")
    assert res.code == "130000000000" and res.unresolved == (("town", "石门镇"),)
    # 朝阳区 is in Beijing and in Changchun; a unique town below one of them decides.
    assert gaz.resolve(county="朝阳区").unresolved == (("county", "朝阳区"),)
    assert gaz.resolve(county="朝阳区", town="望京街道").county_code == "110105000000"
    # 南关村 is a village in two towns of 平山县: without the town, stop at the county.
    res = gaz.resolve("河北省", "石家庄市", "平山县", None, "南关村")
    assert res.code == PINGSHAN and res.unresolved == (("village", "南关村"),)


def test_unknown_name_falls_back_to_the_parent(gaz: Gazetteer) -> None:
    res = gaz.resolve("河北省", "石家庄市", "平山县", "上观音堂乡", "幸福村")
    assert res.code == SHANGGUANYINTANG
    assert res.level == "town"
    assert res.village_code is None
    assert res.unresolved == (("village", "幸福村"),)
    assert (res.lat, res.lon, res.coord_level) == (38.247888, 114.195918, "county")
    # A failed middle level: the lower name is still tried below the anchor.
    res = gaz.resolve("河北省", "石家庄市", "不存在县", "上观音堂乡", "大坪村")
    assert res.code == DAPING and res.unresolved == (("county", "不存在县"),)


def test_coordinates_from_village_town_and_county(gaz: Gazetteer) -> None:
    own = gaz.resolve("北京市", None, "东城区", "东华门街道办事处", "多福巷社区居委会")
    assert own.coord_level == "village"
    town = gaz.resolve("贵州省", "贵阳市", "南明区", "后巢乡", "太慈村")
    assert town.level == "village" and town.coord_level == "town"
    assert (town.lat, town.lon) == (26.551774, 106.701026)
    county = gaz.resolve(code=DAPING)
    assert county.coord_level == "county"


def test_municipalities_and_province_level_counties(gaz: Gazetteer) -> None:
    assert gaz.resolve("重庆市", "重庆市", "巫山县").code == "500237000000"
    assert gaz.resolve(None, "北京市", "东城区").code == "110101000000"
    xiantao = gaz.resolve("湖北省", "仙桃市")
    assert xiantao.code == "429004000000" and xiantao.unresolved == ()
    assert gaz.resolve("湖北省", "仙桃市", "仙桃市", "沙嘴街道").level == "town"
    # 东莞市 has no town rows in the 2016 table: the town is reported, the city kept.
    dongguan = gaz.resolve("广东省", "东莞市", "东莞市", "虎门镇")
    assert dongguan.code == "441900000000" and dongguan.unresolved == (("town", "虎门镇"),)


def test_code_takes_precedence_and_is_validated(gaz: Gazetteer) -> None:
    by_code = gaz.resolve("山西省", "太原市", "某县", code=DAPING)
    assert by_code.code == DAPING and by_code.unresolved == ()
    assert gaz.resolve(code="130131").code == PINGSHAN
    assert gaz.resolve(code=130131209209.0).code == DAPING
    below = gaz.resolve(town="上观音堂", village="大坪", code="130131")
    assert below.code == DAPING
    bad = gaz.resolve("河北省", "石家庄市", "平山县", code="999999")
    assert bad.code == PINGSHAN and bad.unresolved == (("code", "999999"),)
    assert gaz.resolve(code="13x").unresolved == (("code", "13x"),)


def test_missing_values_are_not_given(gaz: Gazetteer) -> None:
    res = gaz.resolve(float("nan"), pd.NA, "平山县", "  ", None)
    assert res.code == PINGSHAN and res.unresolved == ()
    assert gaz.resolve() == Resolution(*([None] * 11), unresolved=())


# ---- batch ---------------------------------------------------------------------


def _sample_frame(gaz: Gazetteer) -> pd.DataFrame:
    rows = []
    for village in gaz.children(PINGSHAN, level="village")[::15]:
        province, city, county, town = (p.name for p in gaz.ancestors(village.code))
        rows.append((province, city, county, town, village.name, None))
        rows.append((None, None, county, town, village.name.removesuffix("委会"), None))
        rows.append((province, city, county, None, village.name, None))
    rows += [
        ("河北省", "石家庄市", "平山县", "上观音堂乡", "幸福村", None),
        (None, None, None, "石门镇", None, None),
        (None, None, None, None, None, "451281"),
        ("广西", None, None, None, None, "999999"),
        (None, None, None, None, None, None),
        (None, None, None, None, None, np.nan),
    ]
    columns = ["province", "city", "county", "town", "village", "admin_code"]
    frame = pd.DataFrame(rows, columns=columns)
    frame = pd.concat([frame, frame.iloc[::-1]])  # repeated rows, duplicate index
    frame.index = pd.RangeIndex(1000, 1000 + len(frame) * 2, 2)
    return frame


def test_resolve_many_equals_row_by_row(gaz: Gazetteer) -> None:
    frame = _sample_frame(gaz)
    out = gaz.resolve_many(frame)
    assert list(out.columns) == list(RESULT_COLUMNS)
    assert out.index.equals(frame.index)
    for label, row in frame.iterrows():
        expected = dataclasses.asdict(
            gaz.resolve(
                row["province"], row["city"], row["county"], row["town"], row["village"],
                code=row["admin_code"],
            )
        )  # fmt: skip
        got = out.loc[label].to_dict()
        for key in ("lat", "lon"):
            if expected[key] is None:
                assert math.isnan(got.pop(key))
                expected.pop(key)
        assert got == expected


def test_resolve_many_column_handling(gaz: Gazetteer) -> None:
    only_county = gaz.resolve_many(pd.DataFrame({"county": ["平山县", None], "x": [1, 2]}))
    assert only_county["code"].tolist() == [PINGSHAN, None]
    assert only_county["code"].dtype == object
    assert only_county["lat"].dtype == np.float64
    empty = gaz.resolve_many(pd.DataFrame({"county": pd.Series([], dtype=object)}))
    assert list(empty.columns) == list(RESULT_COLUMNS) and len(empty) == 0
    with pytest.raises(ValueError, match="admin_code"):
        gaz.resolve_many(pd.DataFrame({"name": ["张三"]}))


def test_result_columns_follow_resolution_fields() -> None:
    assert tuple(f.name for f in dataclasses.fields(Resolution)) == RESULT_COLUMNS


_TEXT = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["平山县", "石门", "大坪村", "北京市", "市辖区", "县", "村委会", "自治县"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.tuples(_TEXT, _TEXT, _TEXT, _TEXT, _TEXT), code=st.one_of(_TEXT, st.integers()))
def test_random_input_never_raises(gaz: Gazetteer, names: tuple[str | None, ...], code: object) -> None:
    res = gaz.resolve(*names, code=code)
    assert isinstance(res, Resolution)
    chain = [res.province_code, res.city_code, res.county_code, res.town_code, res.village_code]
    present = [c for c in chain if c is not None]
    if res.code is None:
        assert present == [] and res.lat is None
    else:
        assert present[-1] == res.code
        assert all(c[:2] == res.code[:2] for c in present)
    fields = {field for field, _ in res.unresolved}
    assert fields <= {*LEVELS, "code"}


# ---- distances -----------------------------------------------------------------


def test_haversine_beijing_shanghai() -> None:
    km = haversine_km(39.9042, 116.4074, 31.2304, 121.4737)
    assert 1060 < float(km) < 1075
    assert float(haversine_km(30.0, 110.0, 30.0, 110.0)) == 0.0


def test_haversine_broadcasts_and_propagates_missing() -> None:
    lat = np.array([[39.9042], [31.2304]])
    lon = np.array([[116.4074], [121.4737]])
    matrix = haversine_km(lat, lon, lat.T, lon.T)
    assert matrix.shape == (2, 2)
    np.testing.assert_allclose(matrix, matrix.T)
    assert np.isnan(haversine_km([None, 30.0], [110.0, 110.0], 30.0, 110.0)[0])


def test_travel_minutes_is_monotone_and_documented() -> None:
    km = np.linspace(0.0, 100.0, 1001)
    minutes = travel_minutes(km)
    assert np.all(np.diff(minutes) > 0)
    assert float(travel_minutes(0.0)) == pytest.approx(5.0)
    assert float(travel_minutes(10.0)) == pytest.approx(5.0 + 10 * 1.4 / 30 * 60)
    assert float(travel_minutes(8.0)) < 30.0 < float(travel_minutes(10.0))
    with pytest.raises(ValueError, match="km=-1.0"):
        travel_minutes([1.0, -1.0])


def test_same_unit() -> None:
    assert same_unit(DAPING, SHANGGUANYINTANG, "town")
    assert same_unit(DAPING, "130131", "county")
    assert not same_unit(DAPING, "130132", "county")
    assert same_unit(DAPING, "130132", "city")
    assert not same_unit(DAPING, None, "province")
    assert not same_unit("abc", "abc", "province")
    with pytest.raises(ValueError, match="level='country'"):
        same_unit(DAPING, DAPING, "country")
