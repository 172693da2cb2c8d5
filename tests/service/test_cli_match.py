"""``matcher train`` and ``matcher recommend`` end to end, through the real CLI app.

A module-scoped county is made, ingested and trained with the CLI itself
(``matcher sample``, ``matcher ingest``, ``matcher train``) into a temporary
``MATCHER_HOME`` with its own SQLite store. Bad input must give a bilingual
message naming what is wrong and what to do, a non-zero exit and no traceback.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

from service.cli import app
from store import dispose_engines, get_settings

runner = CliRunner()
CJK = re.compile(r"[\u4e00-\u9fff]")
REC_KEYS = {"vacancy_id", "title", "kind", "score", "step", "reasons"}
STEPS = {"village", "half_hour", "county", "province", "nationwide", "training", "safety_net"}


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


def point(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("MATCHER_HOME", str(home))
    monkeypatch.setenv("MATCHER_DATABASE_URL", f"sqlite:///{home / 'matcher.db'}")
    monkeypatch.delenv("MATCHER_POLICY", raising=False)
    get_settings.cache_clear()


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def refused(result: Result, *needles: str) -> str:
    """A user error: non-zero exit, Chinese and English, no traceback, every needle in the message."""
    text = result.output
    assert result.exit_code not in (0, None), text
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert CJK.search(text) and len(re.findall(r"\b[A-Za-z]{2,}\b", text)) >= 4, text
    for needle in needles:
        assert needle in text, (needle, text)
    return text


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A county made, ingested and trained with the CLI (no placement history: the prior ranker)."""
    home = tmp_path_factory.mktemp("cli_home")
    with pytest.MonkeyPatch.context() as mp:
        point(mp, home)
        ok(cli("sample", "--laborers", "1500", "--vacancies", "200", "--seed", "31", "--out", str(home / "sample")))
        ok(cli("migrate"))
        for kind in ("laborers", "vacancies"):
            ok(cli("ingest", kind, str(home / "sample" / f"{kind}.csv")))
        (home / "train.txt").write_text(ok(cli("train")).output, encoding="utf-8")
        yield home
    get_settings.cache_clear()


@pytest.fixture
def env(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    point(monkeypatch, home)
    yield home
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def seekers(home: Path) -> list[str]:
    laborers = pd.read_csv(home / "sample" / "laborers.csv", dtype=str)
    return laborers.loc[laborers["wants_job"] == "true", "laborer_id"].tolist()


def check_payload(payload: dict[str, Any], laborer_id: str) -> None:
    assert set(payload) >= {"laborer_id", "flags", "recommendations", "shortfall"}
    assert payload["laborer_id"] == laborer_id
    for flag in payload["flags"]:
        assert set(flag) >= {"kind", "reasons"} and flag["reasons"]
        assert all(CJK.search(r) for r in flag["reasons"])
    recs = payload["recommendations"]
    for rec in recs:
        assert set(rec) == REC_KEYS
        assert rec["step"] in STEPS and 0.0 <= rec["score"] <= 1.0 and rec["reasons"]
    assert len({r["vacancy_id"] for r in recs}) == len(recs)
    if len(recs) < 3:
        assert payload["shortfall"] is not None and CJK.search(payload["shortfall"]["reason"])
    else:
        assert payload["shortfall"] is None


# ----------------------------------------------------------------------------- happy paths


def test_recommend_json_shape(env: Path, seekers: list[str]) -> None:
    for laborer_id in seekers[:8]:
        payload = json.loads(ok(cli("recommend", laborer_id, "--json")).stdout)
        check_payload(payload, laborer_id)
        assert len(payload["recommendations"]) <= 10


def test_recommend_k(env: Path, seekers: list[str]) -> None:
    payload = json.loads(ok(cli("recommend", seekers[0], "--json", "--k", "3")).stdout)
    assert len(payload["recommendations"]) <= 3
    check_payload(payload, seekers[0])


def test_recommend_text(env: Path, seekers: list[str]) -> None:
    out = ok(cli("recommend", seekers[1])).stdout
    assert f"== 劳动力 {seekers[1]}" in out
    assert re.search(r"^\s+1\. .+ \[\w+\]", out, re.M) or "缺口：" in out


def test_recommend_profile_with_chinese_keys(env: Path, tmp_path: Path) -> None:
    person = {
        "年龄": 45,
        "性别": "女",
        "所在县": "永寿县",
        "所在乡镇": "马坊镇",
        "技能": ["缝纫", "手工编织"],
        "外出意愿": "乡镇内",
        "就业意愿": "是",
        "文化程度": "初中",
    }
    path = tmp_path / "person.json"
    path.write_text(json.dumps(person, ensure_ascii=False), encoding="utf-8")
    payload = json.loads(ok(cli("recommend", "--profile", str(path), "--json")).stdout)
    check_payload(payload, payload["laborer_id"])
    assert payload["recommendations"], payload
    assert {r["step"] for r in payload["recommendations"]} <= {"village", "half_hour", "training", "safety_net"}


# ----------------------------------------------------------------------------- bad input


def test_unknown_laborer_id(env: Path) -> None:
    refused(cli("recommend", "L9999999"), "L9999999", "台账")


def test_neither_id_nor_profile(env: Path) -> None:
    refused(cli("recommend"), "--profile")


@pytest.mark.parametrize(("missing", "named"), [("所在县", "county"), ("年龄", "age")])
def test_profile_missing_a_required_field(env: Path, tmp_path: Path, missing: str, named: str) -> None:
    person = {"年龄": 45, "所在县": "永寿县", "技能": "缝纫", "外出意愿": "县内"}
    del person[missing]
    path = tmp_path / "person.json"
    path.write_text(json.dumps(person, ensure_ascii=False), encoding="utf-8")
    refused(cli("recommend", "--profile", str(path)), named)


def test_profile_not_json(env: Path, tmp_path: Path) -> None:
    path = tmp_path / "person.json"
    path.write_text("年龄: 45", encoding="utf-8")
    refused(cli("recommend", "--profile", str(path)), str(path))


def test_profile_file_missing(env: Path, tmp_path: Path) -> None:
    refused(cli("recommend", "--profile", str(tmp_path / "nobody.json")), "nobody.json")


def test_no_trained_model(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seekers: list[str]) -> None:
    monkeypatch.setenv("MATCHER_HOME", str(tmp_path))  # no artifacts here; the store is the county's
    monkeypatch.setenv("MATCHER_DATABASE_URL", f"sqlite:///{home / 'matcher.db'}")
    get_settings.cache_clear()
    refused(cli("recommend", seekers[0]), "matcher train")
    get_settings.cache_clear()


def test_train_on_an_empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    point(monkeypatch, tmp_path)
    ok(cli("migrate"))
    refused(cli("train"), "matcher ingest vacancies")
    get_settings.cache_clear()
    dispose_engines()


def test_train_without_placement_history_says_prior(home: Path) -> None:
    trained = (home / "train.txt").read_text(encoding="utf-8")
    assert "model version" in trained
    assert "先验" in trained and "prior" in trained


def test_recommend_with_the_prior_says_so(env: Path, seekers: list[str]) -> None:
    payload = json.loads(ok(cli("recommend", seekers[0], "--json")).stdout)
    assert payload["prior"] is True
    check_payload(payload, seekers[0])
    assert "先验" in ok(cli("recommend", seekers[0])).stdout


def test_no_open_posts(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seekers: list[str]) -> None:
    """A trained model, but every post of the store has since been closed: a clear refusal."""
    with sqlite3.connect(home / "matcher.db") as src, sqlite3.connect(tmp_path / "matcher.db") as dst:
        src.backup(dst)
    shutil.copytree(home / "artifacts", tmp_path / "artifacts")
    point(monkeypatch, tmp_path)
    posts = pd.read_csv(home / "sample" / "vacancies.csv", dtype=str, keep_default_na=False)
    posts["status"] = "closed"
    posts["updated_at"] = pd.Timestamp.now().strftime("%Y-%m-%d %H:%M:%S")
    posts.to_csv(tmp_path / "closed.csv", index=False)
    ok(cli("ingest", "vacancies", str(tmp_path / "closed.csv")))
    refused(cli("recommend", seekers[0]), "没有在招岗位", "no open posts")
    get_settings.cache_clear()
    dispose_engines()
