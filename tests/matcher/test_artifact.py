"""The trained artifact (matcher/artifact.py) and serving today's posts with it (matcher/live.py).

A version directory with a manifest and ``LATEST``; loading round-trips; a
store without placement history trains the documented prior and says so; a
tampered manifest is refused with a clear message; posts edited after
training are re-encoded one by one and removed posts leave the index.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from matcher.artifact import FORMAT, load_model, train
from matcher.errors import MatcherError
from matcher.ingest import ingest_file
from matcher.lookup import Lookup
from matcher.reach import open_mask
from service.cli import app
from store import get_engine, load_laborers, load_vacancies, migrate
from store.schema import vacancies as vacancies_table
from tests.matcher.conftest import TODAY, County, env_home, point_env

runner = CliRunner()


def _seekers(engine: sa.Engine, n: int) -> list[str]:
    laborers = load_laborers(engine)
    return laborers.loc[laborers["wants_job"].fillna(False).astype(bool), "laborer_id"].tolist()[:n]


# ----------------------------------------------------------------------------- writing and loading


def test_train_writes_a_version_directory_and_latest(county: County) -> None:
    root = county.home / "artifacts"
    assert (root / "LATEST").read_text(encoding="utf-8").strip() == county.model_path.name
    assert county.model_path.parent == root
    for part in ("manifest.json", "encoder", "ranker", "index", "employers.json"):
        assert (county.model_path / part).exists(), part
    manifest = json.loads((county.model_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "match" and manifest["format"] == FORMAT
    assert manifest["data"] == {"laborers": 2500, "vacancies": 300}
    assert manifest["training"]["ranker"] == "gbdt"  # the sample has a placement history
    assert not (root / "LATEST.tmp").exists()


def test_load_model_round_trips(county_env: County) -> None:
    model = load_model(home=env_home())  # through LATEST under MATCHER_HOME
    assert model.path == county_env.model_path and not model.is_prior
    vacancies = load_vacancies(county_env.engine)
    assert sorted(model.index.ids.tolist()) == sorted(vacancies["vacancy_id"])
    ids = vacancies["vacancy_id"].tolist()[:50]
    # The reloaded encoder gives the vectors the index was built from at training time.
    fresh = model.encoder.transform_vacancies(vacancies.iloc[:50])
    np.testing.assert_allclose(model.index.vectors(ids), fresh, atol=1e-5)
    again = load_model(county_env.model_path)
    people = load_laborers(county_env.engine).iloc[:20]
    np.testing.assert_array_equal(again.encoder.transform_laborers(people), model.encoder.transform_laborers(people))


def test_no_placement_history_trains_the_prior_and_says_so(
    county: County, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_url = f"sqlite:///{tmp_path / 'matcher.db'}"
    engine = get_engine(db_url)
    migrate(engine)
    for kind in ("laborers", "vacancies"):
        ingest_file(kind, county.files[kind], engine=engine)
    point_env(monkeypatch, tmp_path, db_url)
    path = train(engine, out=tmp_path / "artifacts")
    model = load_model(home=tmp_path)
    assert model.path == path and model.is_prior
    assert model.manifest["training"]["ranker"] == "prior"
    assert "no outcome" in model.manifest["training"]["why_prior"]
    (result,) = Lookup(engine, model=model, today=TODAY).recommend(_seekers(engine, 1), k=5)
    payload = result.to_json()
    assert payload["prior"] is True
    assert all(any("先验" in r for r in rec["reasons"]) for rec in payload["recommendations"])
    engine.dispose()


# ----------------------------------------------------------------------------- refusing bad artifacts


def _tamper(model_dir: Path, **changes: object) -> None:
    path = model_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(changes)
    path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("change", [{"format": FORMAT + 1}, {"kind": "encoder"}])
def test_tampered_manifest_is_refused(county_copy: County, change: dict[str, object]) -> None:
    _tamper(county_copy.model_path, **change)
    with pytest.raises(MatcherError) as caught:
        load_model(home=env_home())
    assert "matcher train" in caught.value.message_zh and "matcher train" in caught.value.message_en
    field, value = next(iter(change.items()))
    assert str(value) in caught.value.message_en, caught.value.message_en

    result = runner.invoke(app, ["recommend", _seekers(county_copy.engine, 1)[0]])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "matcher train" in result.output and "错误" in result.output and "error" in result.output


def test_missing_manifest_is_refused(county_copy: County) -> None:
    (county_copy.model_path / "manifest.json").unlink()
    with pytest.raises(MatcherError, match="matcher train"):
        load_model(home=env_home())


def test_features_changed_since_training_is_refused(county_copy: County) -> None:
    path = county_copy.model_path / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["settings"]["features"] = manifest["settings"]["features"][:-1]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(MatcherError, match="features"):
        load_model(home=env_home())


# ----------------------------------------------------------------------------- serving live posts


def test_unchanged_store_reuses_every_vector(county: County) -> None:
    lookup = Lookup(county.engine, model=load_model(county.model_path), today=TODAY)
    assert lookup.refresh == {"reused": 300, "encoded": 0, "removed": 0}


def test_an_edited_post_is_re_encoded_alone(county_copy: County, tmp_path: Path) -> None:
    raw = pd.read_csv(county_copy.files["vacancies"], dtype=str, keep_default_na=False)
    row = raw[raw["kind"] == "enterprise"].iloc[[0]].copy()
    vid = row["vacancy_id"].iat[0]
    row["title"] = "电子商务客服专员"
    row["description"] = "网店客服，线上接单，回复顾客咨询"
    row["updated_at"] = pd.Timestamp.now().strftime("%Y-%m-%d %H:%M:%S")
    path = tmp_path / "edit.csv"
    row.to_csv(path, index=False)
    assert ingest_file("vacancies", path, engine=county_copy.engine).updated == 1

    before = load_model(home=env_home()).index.vectors([vid])
    lookup = Lookup(county_copy.engine, today=TODAY, home=county_copy.home)
    assert lookup.refresh == {"reused": 299, "encoded": 1, "removed": 0}
    now = lookup.model.index.vectors([vid])
    expected = lookup.model.encoder.transform_vacancies(load_vacancies(county_copy.engine, ids=[vid]))
    np.testing.assert_allclose(now, expected, atol=1e-5)
    assert not np.allclose(now, before)
    # A new lookup (next request, next day) sees the same: one post differs from the artifact.
    again = Lookup(county_copy.engine, today=TODAY, home=county_copy.home)
    assert again.refresh == {"reused": 299, "encoded": 1, "removed": 0}


def test_a_removed_post_never_comes_back(county_copy: County) -> None:
    engine = county_copy.engine
    vacancies = load_vacancies(engine)
    candidates = vacancies[(vacancies["status"] == "open") & (vacancies["kind"] == "enterprise")]
    vid = candidates["vacancy_id"].iat[0]
    vector = load_model(home=env_home()).index.vectors([vid])
    with engine.begin() as conn:
        conn.execute(sa.delete(vacancies_table).where(vacancies_table.c.vacancy_id == vid))

    lookup = Lookup(engine, today=TODAY, home=county_copy.home)
    assert lookup.refresh == {"reused": 299, "encoded": 0, "removed": 1}
    assert vid not in lookup.model.index and vid not in set(lookup.posts.ids)
    hits = lookup.model.index.search(vector, 20)
    assert vid not in set(hits.ids[0])
    results = lookup.recommend(_seekers(engine, 400), k=10)
    assert all(r.vacancy_id != vid for res in results for r in res.recommendations)
    # Serving again with the same loaded model (the API keeps it) must not bring it back.
    again = Lookup(engine, model=lookup.model, today=TODAY)
    assert vid not in again.model.index
    assert again.refresh["encoded"] == 0


def test_posts_without_dates_serve_as_open_ended(county_copy: County, tmp_path: Path) -> None:
    """start_date and end_date are optional columns: a list without them must still be served."""
    raw = pd.read_csv(county_copy.files["vacancies"], dtype=str, keep_default_na=False)
    undated = raw[raw["status"] == "open"].iloc[:30].copy()
    undated["start_date"] = ""
    undated["end_date"] = ""
    undated["updated_at"] = pd.Timestamp.now().strftime("%Y-%m-%d %H:%M:%S")
    path = tmp_path / "undated.csv"
    undated.to_csv(path, index=False)
    assert ingest_file("vacancies", path, engine=county_copy.engine).updated == 30

    lookup = Lookup(county_copy.engine, today=TODAY, home=county_copy.home)
    assert lookup.refresh["encoded"] == 30
    open_ids = set(lookup.posts.ids[open_mask(lookup.posts, TODAY)])
    assert set(undated["vacancy_id"]) <= open_ids
