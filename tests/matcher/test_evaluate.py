"""Offline evaluation on a small sample county: every method and metric, honest baselines, bad stores."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from matcher.baselines import METRICS, random_expected, ranking_metrics, target_ranks
from matcher.errors import MatcherError
from matcher.evaluate import BASELINES, METHODS, EvaluationReport, evaluate_store
from matcher.ingest import ingest_file
from sampledata import generate
from service.cli_evaluate import evaluate
from store import get_engine, get_settings, migrate


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("evaluate")
    return dict(generate(laborers=3000, vacancies=300, seed=11, out=out / "sample").files)


def _store(path: Path, files: dict[str, Path], kinds: tuple[str, ...]) -> Engine:
    engine = get_engine(f"sqlite:///{path}")
    migrate(engine)
    for kind in kinds:
        taken = ingest_file(kind, files[kind], engine=engine)
        assert taken.rejected == 0, taken.line()
    return engine


@pytest.fixture(scope="module")
def store_path(sample: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "x.db"
    _store(path, sample, ("laborers", "vacancies", "placements")).dispose()
    return path


@pytest.fixture(scope="module")
def report(store_path: Path) -> EvaluationReport:
    return evaluate_store(get_engine(f"sqlite:///{store_path}"), seed=0)


def test_report_has_every_method_and_metric(report: EvaluationReport) -> None:
    assert list(report.table.index) == list(METHODS)
    assert set(METRICS) | {"people"} <= set(report.table.columns)
    values = report.table[list(METRICS)].to_numpy()
    assert np.all((values >= 0) & (values <= 1))
    assert report.people > 50
    assert (report.table["people"] == report.people).all()
    # recall@3 ≤ recall@10, and nDCG@10 lies between recall@10 / log2(11) and recall@10.
    t = report.table
    assert (t["recall@3"] <= t["recall@10"]).all()
    assert (t["ndcg@10"] <= t["recall@10"] + 1e-12).all()
    assert (t["ndcg@10"] >= t["recall@10"] / math.log2(11) - 1e-12).all()


def test_random_is_near_its_expected_value(report: EvaluationReport) -> None:
    for metric in ("recall@10", "ndcg@10"):
        expected = report.random_expected[metric]
        got = report.table.loc["random", metric]
        spread = math.sqrt(max(expected * (1 - expected), 1e-4) / report.people)
        assert abs(got - expected) <= 4 * spread, (metric, got, expected)


def test_full_pipeline_is_at_least_random(report: EvaluationReport) -> None:
    r = report.table["recall@10"]
    assert r["full pipeline"] >= r["random"]
    assert set(BASELINES) < set(METHODS)


def test_misses_constraints_and_calibration(report: EvaluationReport) -> None:
    assert report.violations == 0
    assert sum(report.miss_reasons.values()) == report.misses < report.people
    # Nobody scores a post that was never a candidate: recall is capped by the hit share.
    assert report.table["recall@10"].max() <= 1 - report.misses / report.people + 1e-12
    calib = report.calibration
    assert list(calib["decile"]) == list(range(1, 11))
    assert calib[["mean_predicted", "observed_rate"]].stack().between(0, 1).all()
    assert calib["mean_predicted"].is_monotonic_increasing
    assert 0 <= report.calibration_error <= 1
    assert set(report.rankers) <= {"gbdt", "prior"} and report.rankers


def test_report_prints_and_serialises(report: EvaluationReport) -> None:
    text = report.format()
    for name in (*METHODS, *METRICS, "calibration", "violations"):
        assert name in text
    data = json.loads(json.dumps(report.to_json(), ensure_ascii=False))
    assert set(data["table"]) == set(METHODS)
    assert data["people"] == report.people


def test_max_people_limits_the_sample(store_path: Path) -> None:
    small = evaluate_store(get_engine(f"sqlite:///{store_path}"), seed=1, max_people=20, folds=2)
    assert small.people == 20
    assert (small.table["people"] == 20).all()


def test_ranks_and_metrics_on_a_known_answer() -> None:
    # Two people: person 0 has three candidates, the target (index 1) is second by score;
    # person 1's target is absent from its candidates.
    score = np.array([0.9, 0.5, 0.1, 0.3, 0.2])
    group = np.array([0, 0, 0, 1, 1])
    target = np.array([False, True, False, False, False])
    ranks = target_ranks(score, group, target, np.zeros(5), 2)
    assert ranks[0] == 2 and np.isinf(ranks[1])
    m = ranking_metrics(ranks)
    assert m["recall@3"] == 0.5 and m["recall@10"] == 0.5
    assert m["ndcg@10"] == pytest.approx(0.5 / math.log2(3))
    # Ties are broken by the tie-breaker, not in the target's favour.
    tied = target_ranks(
        np.ones(3), np.zeros(3, dtype=np.int64), np.array([False, True, False]), np.array([0.9, 0.1, 0.5]), 1
    )
    assert tied[0] == 3
    expected = random_expected(np.array([4, 20]), np.array([True, False]))
    assert expected["recall@3"] == pytest.approx(0.5 * 3 / 4)
    assert expected["recall@10"] == pytest.approx(0.5)


def test_empty_store_names_what_is_missing(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    migrate(engine)
    with pytest.raises(MatcherError) as err:
        evaluate_store(engine)
    assert "laborers" in err.value.message_en and "劳动力" in err.value.message_zh


def test_store_without_placements_or_hires(sample: dict[str, Path], tmp_path: Path) -> None:
    engine = _store(tmp_path / "no_history.db", sample, ("laborers", "vacancies"))
    with pytest.raises(MatcherError) as err:
        evaluate_store(engine)
    assert "placement" in err.value.message_en and "对接记录" in err.value.message_zh
    rows = pd.read_csv(sample["placements"], dtype=str)
    pushes = tmp_path / "pushes.csv"
    rows[rows["outcome"] == "recommended"].head(200).to_csv(pushes, index=False)
    assert ingest_file("placements", pushes, engine=engine).rejected == 0
    with pytest.raises(MatcherError) as err:
        evaluate_store(engine)
    assert "no application" in err.value.message_en and "投递" in err.value.message_zh
    no_hires = tmp_path / "no_hires.csv"
    rows[rows["outcome"].isin(["applied", "rejected"])].head(200).to_csv(no_hires, index=False)
    assert ingest_file("placements", no_hires, engine=engine).rejected == 0
    with pytest.raises(MatcherError) as err:
        evaluate_store(engine, target="hired")
    assert "no hire" in err.value.message_en and "录用" in err.value.message_zh


def test_cli_prints_the_table(report: EvaluationReport, store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The command is a thin wrapper: hand it the module's report and check what it passes and prints.
    import matcher.evaluate

    calls: list[dict[str, object]] = []

    def fake(engine: Engine, **kwargs: object) -> EvaluationReport:
        calls.append({"url": str(engine.url), **kwargs})
        return report

    monkeypatch.setattr(matcher.evaluate, "evaluate_store", fake)
    monkeypatch.setenv("MATCHER_DATABASE_URL", f"sqlite:///{store_path}")
    get_settings.cache_clear()
    app = typer.Typer()
    app.command()(evaluate)
    runner = CliRunner()
    try:
        result = runner.invoke(app, ["--max-people", "15", "--folds", "2", "--seed", "3"])
        assert result.exit_code == 0, result.output
        assert calls[-1] == {
            "url": f"sqlite:///{store_path}",
            "seed": 3,
            "max_people": 15,
            "folds": 2,
            "target": "turned",
        }
        lines = result.output.splitlines()
        table = [line for line in lines if line.startswith("full pipeline") and "beats" not in line]
        assert len(table) == 1 and len(table[0].split()) == 2 + len(METRICS) + 1  # methods side by side
        for name in ("BM25", "TF-IDF cosine", "recall@10", "ndcg@10"):
            assert name in result.output
        result = runner.invoke(app, ["--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["people"] == report.people
        assert calls[-1]["max_people"] is None and calls[-1]["seed"] == 0
        assert runner.invoke(app, ["--max-people", "0"]).exit_code == 2
    finally:
        get_settings.cache_clear()
