"""recompute_households: set-based rebuild from the laborers table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from store import load_households, recompute_households, upsert


def _members(make_laborer, household: str, statuses: list[str], poor: list[bool], start: int):
    return [
        make_laborer(
            start + k,
            household_id=household,
            employment_status=status,
            registered_poor=is_poor,
            town=f"{household}镇",
            county_code="520526",
            updated_at=datetime(2025, 1, 1 + k),
        )
        for k, (status, is_poor) in enumerate(zip(statuses, poor, strict=True))
    ]


def test_zero_employment_and_poverty_flags(migrated_engine: Engine, make_laborer) -> None:
    records = (
        _members(make_laborer, "HA", ["unemployed", "student", "retired"], [True, False, False], 0)
        + _members(make_laborer, "HB", ["unemployed", "employed_away"], [False, False], 10)
        + _members(
            make_laborer,
            "HC",
            ["employed_local", "self_employed", "public_welfare", "unemployed"],
            [False, False, False, True],
            20,
        )
        + [make_laborer(30, household_id=None)]  # no household: ignored
    )
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", records)
        assert recompute_households(conn, None) == 3

    df = load_households(migrated_engine).set_index("household_id")
    assert df.loc["HA", "members"] == 3 and df.loc["HA", "employed"] == 0
    assert bool(df.loc["HA", "zero_employment"]) and bool(df.loc["HA", "registered_poor"])
    assert df.loc["HB", "employed"] == 1 and not bool(df.loc["HB", "zero_employment"])
    assert not bool(df.loc["HB", "registered_poor"])
    assert df.loc["HC", "employed"] == 3 and bool(df.loc["HC", "registered_poor"])
    # Place of the member with the smallest laborer_id; latest member update.
    assert df.loc["HA", "town"] == "HA镇"
    assert df.loc["HC", "updated_at"] == datetime(2025, 1, 4)
    assert load_households(migrated_engine, county_codes=["999999"]).empty


def test_recompute_only_given_households(migrated_engine: Engine, make_laborer) -> None:
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", _members(make_laborer, "HA", ["unemployed"], [False], 0))
        upsert(conn, "laborers", _members(make_laborer, "HB", ["unemployed"], [False], 10))
        recompute_households(conn, None)
        # Both find work, but only HA is recomputed; HB keeps its old row.
        changed = [
            make_laborer(0, household_id="HA", employment_status="employed_local"),
            make_laborer(10, household_id="HB", employment_status="employed_local"),
        ]
        assert upsert(conn, "laborers", changed).updated == 2
        assert recompute_households(conn, ["HA"]) == 1
    df = load_households(migrated_engine).set_index("household_id")
    assert not bool(df.loc["HA", "zero_employment"])
    assert bool(df.loc["HB", "zero_employment"])


def test_household_without_members_is_removed(migrated_engine: Engine, make_laborer) -> None:
    with migrated_engine.begin() as conn:
        upsert(conn, "laborers", _members(make_laborer, "HA", ["unemployed"], [False], 0))
        recompute_households(conn, None)
        moved = make_laborer(0, household_id="HZ", updated_at=datetime(2025, 6, 1))
        upsert(conn, "laborers", [moved])
        assert recompute_households(conn, ["HA", "HZ"]) == 1
    assert load_households(migrated_engine)["household_id"].tolist() == ["HZ"]
