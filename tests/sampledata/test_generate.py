"""Determinism, files on disk, county choice, the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from sampledata import build_sample, generate
from sampledata.geography import build_geography, counties_needed, resolve_county
from service.cli_sample import sample as sample_command


def test_same_seed_same_files(tmp_path: Path) -> None:
    a = generate(laborers=800, vacancies=150, seed=5, out=tmp_path / "a")
    b = generate(laborers=800, vacancies=150, seed=5, out=tmp_path / "b")
    c = generate(laborers=800, vacancies=150, seed=6, out=tmp_path / "c")
    for name in ("laborers", "vacancies", "placements", "households"):
        assert a.files[name].read_bytes() == b.files[name].read_bytes(), name
    assert a.files["laborers"].read_bytes() != c.files["laborers"].read_bytes()
    assert a.rows["laborers"] == 800 and a.rows["vacancies"] == 150
    assert a.counties == ["陕西省咸阳市永寿县"]


def test_csv_round_trip(tmp_path: Path) -> None:
    summary = generate(laborers=500, vacancies=120, seed=1, out=tmp_path)
    people = pd.read_csv(summary.files["laborers"], dtype=str, keep_default_na=False)
    assert set(people["wants_job"]) <= {"true", "false"}
    assert people["id_number"].str.len().eq(18).all()
    assert (people["lat"] == "").mean() > 0.6
    posts = pd.read_csv(summary.files["vacancies"], dtype=str, keep_default_na=False)
    assert posts["occupation_code"].eq("").any()
    raw = summary.files["laborers"].read_text(encoding="utf-8")
    assert raw.startswith("laborer_id,name,id_number,")


def test_other_county_and_bad_county() -> None:
    s = build_sample(laborers=300, vacancies=80, seed=2, county="上栗县")
    assert set(s.laborers["county"]) == {"上栗县"}
    assert s.laborers["id_number"].str.startswith("360322").all()
    assert resolve_county("610426").name == "永寿县"
    with pytest.raises(ValueError, match="county"):
        build_sample(laborers=10, vacancies=5, county="不存在县")
    with pytest.raises(ValueError, match="laborers"):
        build_sample(laborers=0)


def test_large_ledgers_spread_over_neighbouring_counties() -> None:
    assert counties_needed(6000) == 1
    assert counties_needed(60_000) == 1
    assert counties_needed(1_000_000) == 20
    import numpy as np

    geo = build_geography(np.random.default_rng(0), 150_000)
    counties = geo.counties
    assert len(counties) == 3 and counties["county"].iloc[0] == "永寿县"
    assert (counties["province"] == "陕西省").all()
    assert counties["county"].is_unique
    assert geo.villages["county_idx"].nunique() == 3


def test_cli(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("sample")(sample_command)
    app.command("other")(lambda: None)
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["sample", "--laborers", "400", "--vacancies", "90", "--seed", "3", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "永寿县" in result.output and "laborers" in result.output
    assert (tmp_path / "placements.csv").exists()
    bad = runner.invoke(app, ["sample", "--county", "火星县", "--out", str(tmp_path)])
    assert bad.exit_code == 2
