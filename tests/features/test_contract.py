"""The data contract: every alias, every rejection reason, and random rows that never break it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.contract import SCHEMAS, map_headers, schema, validate_frame
from features.contract.idcard import check_character, mask_id_number, mask_phone

TODAY = dt.date(2026, 11, 21)


def make_id(region: str = "360322", birth: str = "19800101", seq: str = "123") -> str:
    first17 = region + birth + seq
    return first17 + check_character(first17)


VALID_ID = make_id()  # 1980-01-01, sequence 123 → odd → male

# One valid raw value per column (what a clerk might type), and what it becomes.
GOOD: dict[str, tuple[object, object]] = {
    "laborer_id": ("L-001", "L-001"),
    "name": ("張三", "张三"),
    "id_number": (VALID_ID, VALID_ID),
    "phone": ("138-1234-5678", "13812345678"),
    "gender": ("男", "male"),
    "age": ("46岁", 46),
    "birth_date": ("1980年1月1日", dt.date(1980, 1, 1)),
    "household_id": ("H-01", "H-01"),
    "province": ("江西省", "江西省"),
    "city": ("萍乡市", "萍乡市"),
    "county": ("上栗县", "上栗县"),
    "town": ("金山镇", "金山镇"),
    "village": ("某村", "某村"),
    "admin_code": ("360322", "360322"),
    "lat": ("27.88", 27.88),
    "lon": ("113.80", 113.80),
    "education": ("初中", "junior"),
    "disability": ("无", "none"),
    "disability_type": ("肢体残疾", "physical"),
    "health": ("健康", "healthy"),
    "labour_capacity": ("普通劳动力", "ordinary"),
    "work_place": ("县内", "county"),
    "skills": ("电焊、叉车", ["电焊", "叉车"]),
    "certificates": ("电工证；焊工证", ["电工证", "焊工证"]),
    "job_intention": ("普工, 保安", ["普工", "保安"]),
    "wants_job": ("是", True),
    "wants_training": ("否", False),
    "training_interest": ("家政", ["家政"]),
    "wants_business": ("有", True),
    "mobility": ("县内", "county"),
    "care_duties": ("是", True),
    "employment_status": ("未就业", "unemployed"),
    "expected_wage": ("3,000元", 3000.0),
    "registered_poor": ("是", True),
    "caseworker": ("李干部", "李干部"),
    "updated_at": ("2026-10-01 08:30", dt.datetime(2026, 10, 1, 8, 30)),
    "vacancy_id": ("V-1", "V-1"),
    "employer_id": ("E-1", "E-1"),
    "employer_name": ("某某鞋业", "某某鞋业"),
    "kind": ("扶贫车间", "workshop_factory"),
    "title": ("電焊工", "电焊工"),
    "occupation_code": ("6-18-02-04", "6-18-02-04"),
    "description": ("焊接钢结构", "焊接钢结构"),
    "required_skills": ("电焊", ["电焊"]),
    "required_certificates": ("焊工证", ["焊工证"]),
    "openings": ("5人", 5),
    "wage_min": ("3000", 3000.0),
    "wage_max": ("4500", 4500.0),
    "wage_unit": ("元/月", "month"),
    "hours": ("全日制", "full_time"),
    "age_min": ("18", 18),
    "age_max": ("45", 45),
    "physical_demand": ("中", "medium"),
    "training_provided": ("是", True),
    "transport_provided": ("否", False),
    "lodging_provided": ("包住", None),
    "start_date": ("2026-01-01", dt.date(2026, 1, 1)),
    "end_date": ("2026/12/31", dt.date(2026, 12, 31)),
    "status": ("招聘中", "open"),
    "placement_id": ("P1", "P1"),
    "outcome": ("已录用", "hired"),
    "date": ("2026-05-06", dt.date(2026, 5, 6)),
    "source": ("招聘会", "招聘会"),
    "fair_id": ("F1", "F1"),
    "wage": ("3000-4500元/月", None),
    "age_range": ("18-45岁", None),
}
GOOD["lodging_provided"] = ("是", True)

BASE: dict[str, dict[str, object]] = {
    "laborers": {"laborer_id": "L1", "household_id": "H1", "county": "上栗县", "age": "40"},
    "vacancies": {
        "vacancy_id": "V1",
        "employer_id": "E1",
        "kind": "enterprise",
        "title": "普工",
        "openings": "3",
        "county": "上栗县",
    },
    "placements": {"laborer_id": "L1", "vacancy_id": "V1", "outcome": "hired", "date": "2026-01-02"},
}


def one_row(kind: str, /, **cells: object) -> pd.DataFrame:
    row = dict(BASE[kind])
    row.update(cells)
    return pd.DataFrame([row])


ALIAS_CASES = [
    (kind, col.name, alias) for kind, cols in SCHEMAS.items() for col in cols for alias in (col.name, *col.aliases)
]


@pytest.mark.parametrize(("kind", "column", "alias"), ALIAS_CASES, ids=[f"{k}-{c}-{a}" for k, c, a in ALIAS_CASES])
def test_every_alias_reaches_its_column(kind: str, column: str, alias: str) -> None:
    raw_value, expected = GOOD[column]
    base = {k: v for k, v in BASE[kind].items() if k != column}
    # Keep the cross-field rules satisfied while testing one column alone.
    if column in ("age", "birth_date", "id_number"):
        base.pop("age", None)
    if column == "admin_code":
        base.pop("county", None)
    frame = pd.DataFrame([{**base, alias: raw_value}])
    if column == "lat":
        frame["经度"] = "113.8"
    if column == "lon":
        frame["纬度"] = "27.9"
    mapping, ignored = map_headers(kind, list(frame.columns))
    assert mapping[alias] == column
    result = validate_frame(kind, frame, today=TODAY)
    assert result.rejects == [], result.rejects
    if column == "wage":
        assert (result.frame.at[0, "wage_min"], result.frame.at[0, "wage_max"]) == (3000.0, 4500.0)
        assert result.frame.at[0, "wage_unit"] == "month"
    elif column == "age_range":
        assert (result.frame.at[0, "age_min"], result.frame.at[0, "age_max"]) == (18, 45)
    else:
        assert result.frame.at[0, column] == expected


def test_headers_tolerate_traditional_fullwidth_and_blanks() -> None:
    mapping, ignored = map_headers("laborers", ["姓 名", "身份證號碼", "外出意願", "ＩＤ卡", "劳动力编号"])
    assert mapping == {"姓 名": "name", "身份證號碼": "id_number", "外出意願": "mobility", "劳动力编号": "laborer_id"}
    assert ignored == ["ＩＤ卡"]


@pytest.mark.parametrize(
    ("kind", "cells", "column", "fragment"),
    [
        ("laborers", {"laborer_id": None}, "laborer_id", "required value is missing"),
        ("laborers", {"laborer_id": "L 1"}, "laborer_id", "blanks"),
        ("laborers", {"laborer_id": "x" * 65}, "laborer_id", "longer than 64"),
        ("laborers", {"name": "张" * 65}, "name", "longer than 64"),
        (
            "laborers",
            {"id_number": VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")},
            "id_number",
            "check character",
        ),
        ("laborers", {"id_number": "12345"}, "id_number", "18 characters"),
        ("laborers", {"id_number": make_id(birth="19800231")}, "id_number", "not a real date"),
        ("laborers", {"id_number": make_id(birth="20990101")}, "id_number", "out of range"),
        ("laborers", {"phone": "12345"}, "phone", "not a phone number"),
        ("laborers", {"gender": "未知"}, "gender", "unknown value"),
        ("laborers", {"age": "200"}, "age", "out of range"),
        ("laborers", {"age": "四十"}, "age", "not a whole number"),
        ("laborers", {"age": "40.5"}, "age", "whole number"),
        ("laborers", {"age": None}, "age", "missing: give age"),
        ("laborers", {"age": None, "birth_date": "1900-01-02"}, "age", "outside 16–80"),
        ("laborers", {"birth_date": "昨天"}, "birth_date", "not a date"),
        ("laborers", {"birth_date": "1800-01-01"}, "birth_date", "1900–2100"),
        ("laborers", {"id_number": VALID_ID, "gender": "女"}, "gender", "does not match"),
        ("laborers", {"id_number": VALID_ID, "age": "30"}, "age", "does not match"),
        ("laborers", {"county": None}, "county", "required: county name"),
        ("laborers", {"lat": "27.8"}, "lat", "both lat and lon"),
        ("laborers", {"lat": "95", "lon": "113"}, "lat", "out of range"),
        ("laborers", {"education": "博士后在读中"}, "education", "unknown value"),
        ("laborers", {"disability": "不清楚"}, "disability", "unknown value"),
        ("laborers", {"health": "还行吧"}, "health", "unknown value"),
        ("laborers", {"skills": "电" * 70}, "skills", "longer than 64"),
        ("laborers", {"wants_job": "也许"}, "wants_job", "unknown value"),
        ("laborers", {"mobility": "月球"}, "mobility", "unknown value"),
        ("laborers", {"employment_status": "神游"}, "employment_status", "unknown value"),
        ("laborers", {"expected_wage": "-5"}, "expected_wage", "out of range"),
        ("laborers", {"updated_at": "2026-13-45"}, "updated_at", "not a date"),
        ("vacancies", {"openings": "-1"}, "openings", "out of range"),
        ("vacancies", {"openings": None}, "openings", "required value is missing"),
        ("vacancies", {"kind": "外星岗位"}, "kind", "unknown value"),
        ("vacancies", {"title": None}, "title", "required value is missing"),
        ("vacancies", {"occupation_code": "焊工"}, "occupation_code", "not a classification code"),
        ("vacancies", {"wage_min": "5000", "wage_max": "3000"}, "wage_max", "wage_min is above wage_max"),
        ("vacancies", {"age_min": "50", "age_max": "30"}, "age_max", "age_min is above age_max"),
        ("vacancies", {"age_range": "10-90岁"}, "age_range", "age outside"),
        ("vacancies", {"wage": "看情况"}, "wage", "not a range"),
        ("vacancies", {"start_date": "2026-05-01", "end_date": "2026-01-01"}, "end_date", "start_date is after"),
        ("vacancies", {"county": None}, "county", "not online"),
        ("vacancies", {"wage_unit": "按年"}, "wage_unit", "unknown value"),
        ("vacancies", {"hours": "三班倒"}, "hours", "unknown value"),
        ("vacancies", {"physical_demand": "超级重"}, "physical_demand", "unknown value"),
        ("vacancies", {"status": "暂停?"}, "status", "unknown value"),
        ("vacancies", {"training_provided": "看情况"}, "training_provided", "unknown value"),
        ("vacancies", {"title": "工" * 130}, "title", "longer than 128"),
        ("placements", {"outcome": "跑路"}, "outcome", "unknown value"),
        ("placements", {"date": "2099-01-01"}, "date", "in the future"),
        ("placements", {"date": None}, "date", "required value is missing"),
    ],
)
def test_every_rejection_reason_names_column_and_value(
    kind: str, cells: dict[str, object], column: str, fragment: str
) -> None:
    frame = one_row(kind, **cells)
    if "age_range" in cells:
        frame = frame.rename(columns={"age_range": "年龄要求"})
    result = validate_frame(kind, frame, today=TODAY)
    assert len(result.frame) == 0
    hits = [r for r in result.rejects if r.column == column]
    assert hits, result.rejects
    assert any(fragment in r.reason_en for r in hits), hits
    assert all(r.reason_zh and r.row == 2 for r in hits)


def test_personal_data_is_masked_in_rejects() -> None:
    bad = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")
    result = validate_frame("laborers", one_row("laborers", id_number=bad, phone="13812"), today=TODAY)
    values = {r.column: r.value for r in result.rejects}
    assert values["id_number"] == mask_id_number(bad) and bad not in values["id_number"]
    assert values["phone"] == mask_phone("13812") == "*****"


def test_age_and_gender_are_derived_from_the_id_number() -> None:
    female = make_id(birth="19700615", seq="124")
    result = validate_frame("laborers", one_row("laborers", age=None, id_number=female), today=TODAY)
    row = result.frame.iloc[0]
    assert (row["gender"], row["age"], row["birth_date"]) == ("female", 56, dt.date(1970, 6, 15))


def test_duplicate_id_keeps_the_later_row() -> None:
    frame = pd.concat([one_row("laborers", age="40"), one_row("laborers", age="41")], ignore_index=True)
    result = validate_frame("laborers", frame, today=TODAY)
    assert result.frame["age"].tolist() == [41]
    assert [r.row for r in result.rejects] == [2]


def test_defaults_for_empty_cells() -> None:
    frame = one_row("laborers", employment_status="未就业")
    row = validate_frame("laborers", frame, today=TODAY).frame.iloc[0]
    assert row["wants_job"] is True and row["mobility"] == "county" and row["skills"] == []
    old = validate_frame("laborers", one_row("laborers", age="70"), today=TODAY).frame.iloc[0]
    assert old["wants_job"] is False  # past working age, nobody said otherwise
    employed = validate_frame("laborers", one_row("laborers", employment_status="外出务工"), today=TODAY).frame.iloc[0]
    assert employed["wants_job"] is False


def test_content_hash_ignores_updated_at_but_not_content() -> None:
    a = validate_frame("laborers", one_row("laborers", updated_at="2026-01-01"), today=TODAY).frame
    b = validate_frame("laborers", one_row("laborers", updated_at="2026-02-01"), today=TODAY).frame
    c = validate_frame("laborers", one_row("laborers", skills="焊工"), today=TODAY).frame
    assert a.at[0, "content_hash"] == b.at[0, "content_hash"] != c.at[0, "content_hash"]


@pytest.mark.parametrize(
    ("kind", "digest"),
    [
        ("laborers", "5d47a6f97ecb2dddb65280db6fbc9683"),
        ("vacancies", "41445ff5e9848de3d3ab1d50e77abe49"),
        ("placements", "61d30b4df3276cea0eee6f722a0c7bc6"),
    ],
)
def test_content_hash_of_a_stored_ledger_does_not_move(kind: str, digest: str) -> None:
    """The digests are stored with every record: a new way of computing them must give the same ones,
    or every ledger sent again would count as "updated" (pinned from the first implementation)."""
    frame = validate_frame(kind, one_row(kind), today=dt.date(2026, 12, 5)).frame
    assert frame.at[0, "content_hash"] == digest


CELL = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(
        [
            "是",
            "否",
            "男",
            "女",
            "县内",
            "省外",
            "初中",
            "-1",
            "200",
            "3000-4500",
            VALID_ID,
            "2026-01-01",
            "0",
            "nan",
            "  ",
            "區(qū)",
            "ＡＢＣ",
        ]
    ),
    st.integers(-1000, 100000).map(str),
)


@pytest.mark.parametrize("kind", list(SCHEMAS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_rows_never_raise_and_nothing_valid_is_lost(kind: str, data: st.DataObject) -> None:
    names = [c.name for c in schema(kind)]
    n = data.draw(st.integers(1, 6))
    rows = []
    for i in range(n):
        row = {name: data.draw(CELL) for name in data.draw(st.lists(st.sampled_from(names), max_size=8))}
        if data.draw(st.booleans()):
            row = {**BASE[kind], **{k: v for k, v in row.items() if k not in BASE[kind]}}
            row[names[0] if kind != "placements" else "placement_id"] = f"id-{i}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.columns.empty:
        frame = pd.DataFrame({names[0]: [None] * n})
    result = validate_frame(kind, frame, today=TODAY)
    rejected_rows = {r.row for r in result.rejects}
    # Every row is accounted for exactly once: kept or rejected with a reason.
    assert len(result.frame) + len(rejected_rows) == n
    assert set(result.frame["row"]).isdisjoint(rejected_rows)
    # A row that passed alone also passes inside the batch (no row poisons another).
    for _, row in result.frame.iterrows():
        alone = validate_frame(kind, frame.iloc[[row["row"] - 2]], today=TODAY)
        assert len(alone.frame) == 1
