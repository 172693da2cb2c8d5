"""The national ledger's vocabulary: a ledger written only in the contract's words lands with the right meaning.

Every word of every vocabulary (the ones the contract tables of docs/data-contract.md list) becomes one person, post or
outcome of a ledger with Chinese headers; after ``ingest`` each is stored with the code the word means, on
SQLite and on PostgreSQL. The combined forms county files use (type and grade in one cell or two, health
listing a disability, a status naming the work place) are checked with their documented effects.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from features.contract import schema
from features.contract.columns import accepted_words, contract_markdown
from features.contract.vocab import (
    BOOL,
    DISABILITY,
    DISABILITY_TYPE,
    EMPLOYED_SOMEWHERE,
    EMPLOYMENT_STATUS,
    HEALTH,
    HEALTH_DISABLED,
    LABOUR_CAPACITY,
    LOCAL_WORK_PLACES,
    WORK_PLACE,
    lookup_table,
    squash,
)
from matcher.ingest import ingest_file
from store import load_laborers, load_placements, load_vacancies, migrate


@pytest.fixture
def engine(engine: Engine) -> Engine:
    migrate(engine)
    return engine


def _header(kind: str, name: str) -> str:
    """The first Chinese header of a column, as a county file would have it."""
    col = next(c for c in schema(kind) if c.name == name)
    return col.aliases[0] if col.aliases else name


def _write(path: Path, kind: str, rows: list[dict[str, str]]) -> Path:
    names = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([_header(kind, n) for n in names])
        for r in rows:
            writer.writerow([r.get(n, "") for n in names])
    return path


def _plain(value: object) -> object:
    """A stored cell with pandas' missing values as None."""
    return None if value is None or (not isinstance(value, str) and value != value) else value


def _words(vocab: dict[str, tuple[str, ...]] | Any) -> list[tuple[str, str]]:
    return [(code, word) for code, words in vocab.items() for word in dict.fromkeys((code, *words))]


LABORER_BASE = {"household_id": "H1", "county": "永寿县", "age": "40"}


def _laborer_cases() -> list[tuple[dict[str, str], dict[str, object]]]:
    """(cells, what must be stored) for every word of every laborer vocabulary."""
    cases: list[tuple[dict[str, str], dict[str, object]]] = []
    places = lookup_table(WORK_PLACE)
    for col in schema("laborers"):
        if col.kind == "bool":
            cases += [({col.name: w}, {col.name: code == "true"}) for code, w in _words(BOOL)]
        elif col.name == "disability":
            cases += [({col.name: w}, {"disability": code, "disability_type": None}) for code, w in _words(DISABILITY)]
        elif col.name == "disability_type":
            # A type with no grade counts as moderate (documented in features/contract/vocab.py).
            cases += [
                ({col.name: w}, {"disability_type": code, "disability": "moderate"})
                for code, w in _words(DISABILITY_TYPE)
            ]
        elif col.name == "health":
            cases += [({col.name: w}, {"health": code, "disability": None}) for code, w in _words(HEALTH)]
            cases += [({col.name: w}, {"health": None, "disability": "moderate"}) for w in HEALTH_DISABLED]
        elif col.name == "labour_capacity":
            for code, w in _words(LABOUR_CAPACITY):
                unable = code in ("lost", "none")
                expected = {"labour_capacity": code, "employment_status": "unable" if unable else None}
                if unable:
                    expected["wants_job"] = False  # nobody assumes they want a job
                cases.append(({col.name: w}, expected))
        elif col.name == "employment_status":
            for code, w in _words(EMPLOYMENT_STATUS):
                cases.append(({col.name: w}, {"employment_status": code, "work_place": places.get(squash(w))}))
            for w in EMPLOYED_SOMEWHERE:
                cases.append(({col.name: w}, {"employment_status": "employed_local", "work_place": None}))
        elif col.name == "work_place":
            for code, w in _words(WORK_PLACE):
                status = "employed_local" if code in LOCAL_WORK_PLACES else "employed_away"
                cases.append(({col.name: w}, {"work_place": code, "employment_status": status}))
        elif col.choices is not None:
            cases += [({col.name: w}, {col.name: code}) for code, w in _words(col.choices)]
    # English as a clerk or another system writes it: any case
    variants = {
        "gender": {"M": "male", "F": "female", "Male": "male", "FEMALE": "female"},
        "wants_training": {"Y": True, "N": False, "Yes": True, "NO": False, "1": True, "0": False},
        "education": {"High School": "senior", "Junior-High": "junior"},
    }
    cases += [({col: w}, {col: v}) for col, words in variants.items() for w, v in words.items()]
    return cases


def test_every_word_of_the_laborer_vocabularies_is_stored_with_its_meaning(engine: Engine, tmp_path: Path) -> None:
    cases = _laborer_cases()
    rows = [{"laborer_id": f"L{i:04d}", **LABORER_BASE, **cells} for i, (cells, _) in enumerate(cases)]
    path = _write(tmp_path / "ledger.csv", "laborers", rows)
    summary = ingest_file("laborers", path, engine=engine)
    assert (summary.inserted, summary.rejected) == (len(rows), 0), summary.rejects[:5]
    stored = load_laborers(engine).set_index("laborer_id")
    wrong = []
    for i, (cells, expected) in enumerate(cases):
        got = stored.loc[f"L{i:04d}"]
        for column, value in expected.items():
            have = _plain(got[column])
            if have != value:
                wrong.append((cells, column, have, value))
    assert wrong == []


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # type and grade in one cell, in either order and either column, with or without 残疾
        ({"disability": "肢体残疾二级"}, ("severe", "physical", None)),
        ({"disability": "二级肢体残疾"}, ("severe", "physical", None)),
        ({"disability": "视力残疾（四级）"}, ("mild", "visual", None)),
        ({"disability_type": "智力3级"}, ("moderate", "intellectual", None)),
        ({"disability": "Physical grade 1"}, ("severe", "physical", None)),
        # type and grade in two columns
        ({"disability_type": "听力残疾", "disability": "四级"}, ("mild", "hearing", None)),
        # two types in one cell are 多重残疾
        ({"disability_type": "视力、肢体残疾"}, ("moderate", "multiple", None)),
        # health lists a disability (the national ledger's 健康状况), alone or with an illness
        ({"health": "残疾", "disability_type": "精神残疾"}, ("moderate", "mental", None)),
        ({"health": "长期慢性病、残疾", "disability": "四级"}, ("mild", None, "chronic")),
        ({"health": "患有大病,肢体残疾一级"}, ("severe", "physical", "serious")),
        ({"health": "患病"}, (None, None, "chronic")),
        ({"health": "体弱"}, (None, None, "weak")),
    ],
)
def test_disability_in_one_column_or_two_and_health_that_names_one(
    engine: Engine, tmp_path: Path, cells: dict[str, str], expected: tuple[object, ...]
) -> None:
    path = _write(tmp_path / "l.csv", "laborers", [{"laborer_id": "L1", **LABORER_BASE, **cells}])
    summary = ingest_file("laborers", path, engine=engine)
    assert summary.rejected == 0, summary.rejects
    row = load_laborers(engine).iloc[0]
    assert tuple(_plain(row[c]) for c in ("disability", "disability_type", "health")) == expected


@pytest.mark.parametrize(
    ("cells", "column", "fragment"),
    [
        ({"disability": "四级", "disability_type": "二级肢体"}, "disability", "two different disability grades"),
        ({"disability": "视力残疾", "disability_type": "肢体残疾"}, "disability_type", "two different"),
        ({"disability": "无", "disability_type": "肢体残疾"}, "disability", "says no disability"),
        ({"disability": "肢体不清楚"}, "disability", "unknown value"),
        ({"health": "健康、不详"}, "health", "unknown value"),
        ({"employment_status": "县内务工", "work_place": "省外"}, "work_place", "does not match"),
    ],
)
def test_contradictions_are_refused_with_the_column_named(
    engine: Engine, tmp_path: Path, cells: dict[str, str], column: str, fragment: str
) -> None:
    path = _write(tmp_path / "l.csv", "laborers", [{"laborer_id": "L1", **LABORER_BASE, **cells}])
    summary = ingest_file("laborers", path, engine=engine)
    assert summary.rejected == 1
    assert any(r.column == column and fragment in r.reason_en for r in summary.rejects), summary.rejects


def test_status_and_place_as_the_national_ledger_writes_them(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {"laborer_id": "L1", "employment_status": "乡镇内务工"},
        {"laborer_id": "L2", "employment_status": "县内务工"},
        {"laborer_id": "L3", "employment_status": "省内务工"},
        {"laborer_id": "L4", "employment_status": "省外务工"},
        {"laborer_id": "L5", "employment_status": "未务工"},
        {"laborer_id": "L6", "employment_status": "务工", "work_place": "省外"},
        {"laborer_id": "L7", "employment_status": "", "work_place": "县内"},
        {"laborer_id": "L8", "employment_status": "已就业"},
        {"laborer_id": "L9", "labour_capacity": "无劳动力"},
        {"laborer_id": "L10", "labour_capacity": "弱劳动力或半劳动力", "employment_status": "未务工"},
    ]
    path = _write(tmp_path / "l.csv", "laborers", [{**LABORER_BASE, **r} for r in rows])
    assert ingest_file("laborers", path, engine=engine).rejected == 0
    stored = load_laborers(engine).set_index("laborer_id")
    got = {
        i: (stored.loc[i, "employment_status"], _plain(stored.loc[i, "work_place"]), bool(stored.loc[i, "wants_job"]))
        for i in stored.index
    }
    assert got == {
        "L1": ("employed_local", "town", False),
        "L2": ("employed_local", "county", False),
        "L3": ("employed_away", "province", False),
        "L4": ("employed_away", "out_of_province", False),
        "L5": ("unemployed", None, True),
        "L6": ("employed_away", "out_of_province", False),
        "L7": ("employed_local", "county", False),
        "L8": ("employed_local", None, False),
        "L9": ("unable", None, False),
        "L10": ("unemployed", None, True),
    }
    # Households count members in work from the same statuses.
    from store import load_households

    household = load_households(engine).iloc[0]
    assert (household["members"], household["employed"]) == (10, 7)


VACANCY_BASE = {"employer_id": "E1", "kind": "企业", "title": "普工", "openings": "3", "county": "永寿县"}


def test_every_word_of_the_vacancy_and_placement_vocabularies(engine: Engine, tmp_path: Path) -> None:
    cases: list[tuple[dict[str, str], dict[str, object]]] = []
    for col in schema("vacancies"):
        if col.kind == "bool":
            cases += [({col.name: w}, {col.name: code == "true"}) for code, w in _words(BOOL)]
        elif col.choices is not None:
            cases += [({col.name: w}, {col.name: code}) for code, w in _words(col.choices)]
    # English as a clerk or another system writes it: any case, blank, hyphen or underscore
    variants = {
        "physical_demand": {"Light": "low", "HEAVY": "high", "light work": "low"},
        "hours": {
            "Full time": "full_time",
            "FULL-TIME": "full_time",
            "part-time": "part_time",
            "Part_Time": "part_time",
        },
        "lodging_provided": {"Y": True, "n": False, "YES": True, "No": False, "1": True, "0": False},
    }
    cases += [({col: w}, {col: v}) for col, words in variants.items() for w, v in words.items()]
    rows = [{"vacancy_id": f"V{i:04d}", **VACANCY_BASE, **cells} for i, (cells, _) in enumerate(cases)]
    summary = ingest_file("vacancies", _write(tmp_path / "v.csv", "vacancies", rows), engine=engine)
    assert (summary.inserted, summary.rejected) == (len(rows), 0), summary.rejects[:5]
    stored = load_vacancies(engine).set_index("vacancy_id")
    wrong = [
        (cells, column, stored.loc[f"V{i:04d}", column], value)
        for i, (cells, expected) in enumerate(cases)
        for column, value in expected.items()
        if stored.loc[f"V{i:04d}", column] != value
    ]
    assert wrong == []
    ingest_file(
        "laborers", _write(tmp_path / "l.csv", "laborers", [{"laborer_id": "L1", **LABORER_BASE}]), engine=engine
    )
    outcome_col = next(c for c in schema("placements") if c.name == "outcome")
    assert outcome_col.choices is not None
    outcomes = _words(outcome_col.choices)
    rows = [
        {"placement_id": f"P{i}", "laborer_id": "L1", "vacancy_id": "V0000", "outcome": w, "date": "2026-01-02"}
        for i, (_, w) in enumerate(outcomes)
    ]
    summary = ingest_file("placements", _write(tmp_path / "p.csv", "placements", rows), engine=engine)
    assert summary.rejected == 0, summary.rejects[:5]
    stored_p = load_placements(engine).set_index("placement_id")
    assert [stored_p.loc[f"P{i}", "outcome"] for i in range(len(outcomes))] == [code for code, _ in outcomes]


@pytest.mark.parametrize("kind", ["laborers", "vacancies", "placements"])
def test_the_contract_tables_list_every_accepted_word(kind: str) -> None:
    table = contract_markdown(kind)
    listed = {(cols, code): words for cols, code, words in accepted_words(kind)}
    for col in schema(kind):
        if col.choices is None:
            continue
        for code, words in col.choices.items():
            assert set(words) <= set(listed[(f"`{col.name}`", f"`{code}`")])
            for word in words:
                assert word in table, (col.name, word)
    if any(c.kind == "bool" for c in schema(kind)):
        for words in BOOL.values():
            assert all(w in table for w in words)


def test_no_word_means_two_things_in_one_vocabulary() -> None:
    from features.contract import vocab

    for name, table in vars(vocab).items():
        if not (name.isupper() and isinstance(table, dict)):
            continue
        seen: dict[str, str] = {}
        for code, words in table.items():
            for word in (code, *words):
                assert seen.setdefault(squash(word), code) == code, (name, word)


def test_a_vocabulary_is_flattened_once_read_only_and_never_handed_to_another_mapping() -> None:
    table = lookup_table(WORK_PLACE)
    assert lookup_table(WORK_PLACE) is table  # built once, not per parsed column
    with pytest.raises(TypeError):
        table["新词"] = "county"  # type: ignore[index]
    for n in range(50):  # short-lived mappings, whose ids may be reused, each get their own table
        other = {f"code{n}": (f"词{n}",)}
        assert dict(lookup_table(other)) == {f"code{n}": f"code{n}", f"词{n}": f"code{n}"}
