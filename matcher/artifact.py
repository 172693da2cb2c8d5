"""Train and load the matching artifact: encoder, ranker, index and employer statistics.

``train`` writes one versioned directory under ``$MATCHER_HOME/artifacts``::

    artifacts/20261121T081500Z/
        manifest.json      kind "match", format, counts, prior or learned, metrics
        encoder/           models.encoder.PersonPostEncoder
        ranker/            models.ranker.HireRanker or PriorRanker
        index/             matcher.index.VacancyIndex over all posts
        employers.json     smoothed employer hire rates from the history
    artifacts/LATEST       the version readers use

The directory is written completely before ``LATEST`` moves to it (one
rename), so readers never see a half-written version.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from matcher.errors import MatcherError, ModelMissingError
from matcher.index import VacancyIndex
from matcher.pairs import FEATURES, EmployerStats, PairSkills
from matcher.prepare import People, Posts, prepare_people, prepare_posts
from matcher.training import fit_employers, interactions, learned_from, training_table
from models.artifacts import read_manifest, write_manifest
from models.encoder import PersonPostEncoder
from models.errors import ArtifactError
from models.ranker import HireRanker, PriorRanker, load_ranker

__all__ = ["MatchModel", "train", "load_model", "artifacts_dir", "latest_version", "latest_path", "PRIOR_STRENGTH"]

FORMAT = 1
#: The prior's weight in the score is PRIOR_STRENGTH / (PRIOR_STRENGTH + the history's positive weight):
#: a county with a handful of applications leans on the prior, one with thousands on what it learned.
PRIOR_STRENGTH = 30.0


def artifacts_dir(home: Path) -> Path:
    """Where the model versions of the data directory ``home`` live."""
    return Path(home) / "artifacts"


def latest_version(home: Path) -> str | None:
    """The version ``LATEST`` names under ``home`` (None: no model trained yet)."""
    pointer = artifacts_dir(home) / "LATEST"
    try:
        return pointer.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


@dataclass
class MatchModel:
    """A loaded artifact version."""

    path: Path
    encoder: PersonPostEncoder
    ranker: Any
    index: VacancyIndex
    employers: EmployerStats
    manifest: dict[str, Any]

    @property
    def is_prior(self) -> bool:
        return bool(getattr(self.ranker, "is_prior", False))


def _encode(encoder: PersonPostEncoder, people: People, posts: Posts) -> None:
    people.vectors = encoder.transform_laborers(people.frame)
    posts.vectors = encoder.transform_vacancies(posts.frame)


def fit_ranker(
    people: People, posts: Posts, placements: pd.DataFrame, *, seed: int = 0
) -> tuple[Any, EmployerStats, dict[str, Any]]:
    """Employer statistics and the ranker from a placement history (the prior only when it holds no answer).

    Every outcome is learned from (:mod:`matcher.training`); the returned ``info`` says exactly what:
    the funnels by furthest stage, the training rows, the prior's share and what the probabilities mean.
    """
    history = interactions(placements, people, posts)
    employers = fit_employers(history, people, posts)
    hires = int(history["hired"].sum()) if len(history) else 0
    info: dict[str, Any] = {"history_pairs": int(len(history)), "history_hires": hires}
    positive = float(history["w_pos"].sum()) if len(history) else 0.0
    if positive <= 0:
        info["ranker"] = "prior"
        info["why_prior"] = (
            f"no outcome in the placement history ({len(placements)} rows) names a laborer and a post of the "
            "store; using the documented prior weights"
            if len(history) == 0
            else f"the {len(history)} funnels of the placement history hold no recommendation, application "
            "or hire, only refusals; using the documented prior weights"
        )
        return PriorRanker(FEATURES).fit(), employers, info
    skills = PairSkills.build(people, posts)
    table = training_table(people, posts, history, skills, employers, seed=seed)
    share = round(PRIOR_STRENGTH / (PRIOR_STRENGTH + positive), 4)
    ranker = HireRanker(FEATURES, random_state=seed, prior_share=share).fit(
        table.X, table.y, sample_weight=table.weight, hired=table.hired
    )
    info.update(
        ranker="gbdt",
        learned_from=learned_from(history),
        training_rows=int(len(table.y)),
        training_positives=int(table.y.sum()),
        positive_weight=round(positive, 2),
        prior_share=share,
        probability_of=ranker.probability_of_,
    )
    return ranker, employers, info


def train(engine: Engine, *, home: Path | None = None, out: Path | None = None, seed: int = 0) -> Path:
    """Fit encoder, ranker and index from the store; write a new artifact version and point LATEST at it.

    ``out``: the artifacts directory to write into; default ``home / "artifacts"`` (one of them is needed).
    """
    if out is None and home is None:
        raise TypeError("train() needs the data directory (home=) or the artifacts directory (out=)")
    from store import load_households, load_laborers, load_placements, load_vacancies

    laborers = load_laborers(engine)
    vacancies = load_vacancies(engine)
    if vacancies.empty:
        raise MatcherError(
            "the store has no posts; ingest a vacancy list first (`matcher ingest vacancies FILE`)",
            "库中没有岗位，请先导入岗位清单（matcher ingest vacancies 文件）",
        )
    if laborers.empty:
        raise MatcherError(
            "the store has no laborers; ingest a ledger first (`matcher ingest laborers FILE`)",
            "库中没有劳动力，请先导入劳动力台账（matcher ingest laborers 文件）",
        )
    people = prepare_people(laborers, load_households(engine))
    posts = prepare_posts(vacancies)
    encoder = PersonPostEncoder(random_state=seed).fit(people.frame, posts.frame)
    _encode(encoder, people, posts)
    index = VacancyIndex(encoder.dim_, seed=seed).build(
        posts.ids.astype(str).tolist(),
        posts.vectors,
        calibration_queries=people.vectors[np.random.default_rng(seed).permutation(len(people))[:2000]],
    )
    ranker, employers, info = fit_ranker(people, posts, load_placements(engine), seed=seed)
    from matcher.live import save_post_hashes

    version = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    root = out if out is not None else artifacts_dir(home)  # type: ignore[arg-type]
    path = root / version
    path.mkdir(parents=True, exist_ok=False)
    encoder.save(path / "encoder")
    ranker.save(path / "ranker")
    index.save(path / "index")
    save_post_hashes(path, vacancies)
    (path / "employers.json").write_text(json.dumps(employers.to_json(), ensure_ascii=False), encoding="utf-8")
    write_manifest(
        path,
        "match",
        {"seed": seed, "features": list(FEATURES)},
        format_version=FORMAT,
        version=version,
        data={"laborers": len(people), "vacancies": len(posts)},
        training=info,
    )
    tmp = root / "LATEST.tmp"
    tmp.write_text(version, encoding="utf-8")
    tmp.replace(root / "LATEST")
    return path


def latest_path(home: Path) -> Path:
    """The directory of the version ``LATEST`` names under ``home`` ("not ready" when none was trained)."""
    version = latest_version(home)
    if version is None:
        root = artifacts_dir(home)
        raise ModelMissingError(
            f"no trained model under {root}; run `matcher train` first",
            f"{root} 下没有训练好的模型，请先运行 `matcher train`",
        )
    return artifacts_dir(home) / version


def load_model(path: Path | None = None, *, home: Path | None = None) -> MatchModel:
    """Load an artifact version: ``path``, or the one ``LATEST`` names under the data directory ``home``.

    Refuses a foreign or stale one (:class:`~matcher.errors.ModelMissingError`, "not ready").
    """
    if path is None:
        if home is None:
            raise TypeError("load_model() needs an artifact path or the data directory (home=)")
        path = latest_path(home)
    try:
        manifest = read_manifest(path, "match", FORMAT)
    except ArtifactError as exc:
        raise ModelMissingError(
            f"{_english(exc)}; run `matcher train` to rebuild", "模型文件不可用，请运行 `matcher train` 重新生成"
        ) from None
    if list(manifest["settings"].get("features", [])) != list(FEATURES):
        raise ModelMissingError(
            f"model at {path} was trained with other features; run `matcher train`",
            f"{path} 的模型与当前程序的特征不一致，请运行 `matcher train`",
        )
    try:
        encoder = PersonPostEncoder.load(path / "encoder")
        ranker = load_ranker(path / "ranker", FEATURES)
        index = VacancyIndex.load(path / "index")
    except ArtifactError as exc:
        raise ModelMissingError(
            f"{_english(exc)}; run `matcher train` to rebuild", "模型文件不可用，请运行 `matcher train` 重新生成"
        ) from None
    employers = EmployerStats.from_json(json.loads((path / "employers.json").read_text(encoding="utf-8")))
    return MatchModel(path, encoder, ranker, index, employers, manifest)


def _english(exc: Exception) -> str:
    """The English part of a bilingual artifact message ("english / 中文")."""
    text = getattr(exc, "message_en", None) or str(exc)
    return text.split(" / ")[0].rstrip("; ")
