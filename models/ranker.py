"""The hire ranker: P(hire | person, post) from pair features, calibrated.

Two estimators share one interface (``fit`` / ``predict_proba`` / ``save`` /
``load``):

* :class:`HireRanker` — gradient-boosted trees (scikit-learn's
  ``HistGradientBoostingClassifier``) fitted on the weighted outcomes of the
  placement history (``matcher.training``), then calibrated with isotonic
  regression on a held-back slice of it against the hires, so that a score
  of 0.2 means about one hire in five. A thin history is blended with the
  prior (``prior_share``); a history without enough hires to calibrate on is
  calibrated against the responses instead (``probability_of_``).
* :class:`PriorRanker` — the documented prior for a county with no history
  (every county on its first day): a logistic score with hand-set weights on
  the same features. The weights encode what the source documents say a good
  match is — occupation and skill fit first, then nearness (the half-hour
  circle), wage against expectation, hours that fit care duties, and
  home-based kinds for people who cannot leave home. It is honest about what
  it is: ``is_prior`` is true and every recommendation made with it says so.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

from models.artifacts import read_manifest, write_manifest
from models.errors import ArtifactError, InputError
from models.forest import FlatForest

__all__ = ["HireRanker", "PriorRanker", "PRIOR_WEIGHTS", "load_ranker"]

FORMAT = 2  # 2: the linear first stage (coarse_) is saved with the trees

#: Weights of the prior's logistic score, per feature name (absent → 0).
PRIOR_WEIGHTS: dict[str, float] = {
    "cosine": 3.0,  # text and occupation closeness in the shared space
    "occupation_level": 2.0,  # same detailed occupation = +2
    "skill_cover": 1.5,
    "cert_missing": -2.0,  # a required certificate the person lacks
    "log_minutes": -0.6,  # each e-fold of travel time costs 0.6
    "same_village": 0.5,
    "same_town": 0.3,
    "out_of_province": -0.5,
    "wage_ratio": 0.8,
    "care_full_time": -1.2,  # full-time posts for people with care duties
    "care_flexible": 0.6,
    "home_kind_for_homebound": 1.5,  # 居家就业 for those who cannot leave home
    "training_needed_offered": 0.4,
    "training_wanted": 0.3,
    "employer_hire_rate": 2.0,
    "physical_gap": -0.7,
    "transport_far": 0.4,
}
PRIOR_BIAS = -4.0
#: Below this many rows the trees are evaluated on one thread.
SMALL_BATCH = 20_000
#: Up to this many rows the flat numpy evaluator (models/forest.py) is faster than scikit-learn's.
FLAT_BATCH = 2_000
#: Hires the held-back slice needs for the probabilities to be calibrated against hires.
MIN_CALIBRATION_HIRES = 10


@lru_cache(maxsize=1)
def _threads() -> ThreadpoolController:
    return ThreadpoolController()


class PriorRanker(BaseEstimator, ClassifierMixin):
    """Hand-set logistic prior over the pair features (no fitting data needed).

    Parameters
    ----------
    feature_names : tuple of str
        Column names of the feature matrices it will score.
    """

    is_prior = True

    def __init__(self, feature_names: tuple[str, ...] = ()) -> None:
        self.feature_names = feature_names

    def fit(self, X: np.ndarray | None = None, y: np.ndarray | None = None) -> PriorRanker:
        self.weights_ = np.array([PRIOR_WEIGHTS.get(f, 0.0) for f in self.feature_names], dtype=np.float32)
        self.bias_ = np.float32(PRIOR_BIAS)
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "weights_")
        return X @ self.weights_ + self.bias_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def coarse_score(self, X: np.ndarray) -> np.ndarray:
        """The first-stage score used to shortlist candidates (the prior is linear already)."""
        return self.decision_function(X)

    def save(self, directory: str | os.PathLike[str]) -> Path:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        write_manifest(
            path,
            "ranker",
            {"type": "prior", "feature_names": list(self.feature_names)},
            format_version=FORMAT,
            weights=PRIOR_WEIGHTS,
            bias=PRIOR_BIAS,
        )
        return path


class HireRanker(BaseEstimator, ClassifierMixin):
    """Gradient-boosted hire model with isotonic calibration.

    Parameters
    ----------
    feature_names : tuple of str
    max_iter : int, default 200
    learning_rate : float, default 0.08
    max_leaf_nodes : int, default 31
    max_depth : int, default 8
        Also bounds the flat evaluator's steps per row.
    calibration_share : float, default 0.2
        Share of the rows held back to fit the isotonic calibration.
    random_state : int, default 0
    prior_share : float, default 0.0
        Weight of the documented prior's log-odds in the score (0: the trees alone); a history of a
        few answers leans on the prior, a rich one on the trees.
    """

    is_prior = False

    def __init__(
        self,
        feature_names: tuple[str, ...] = (),
        max_iter: int = 200,
        learning_rate: float = 0.08,
        max_leaf_nodes: int = 31,
        max_depth: int = 8,
        calibration_share: float = 0.2,
        random_state: int = 0,
        prior_share: float = 0.0,
    ) -> None:
        self.feature_names = feature_names
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.calibration_share = calibration_share
        self.random_state = random_state
        self.prior_share = prior_share

    def fit(
        self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None, hired: np.ndarray | None = None
    ) -> HireRanker:
        """Fit the trees on ``(X, y)`` weighted by ``sample_weight``; calibrate against ``hired`` (the rows
        whose funnel reached a hire) when the held-back slice holds at least :data:`MIN_CALIBRATION_HIRES`
        of them, else against ``y``."""
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y).astype(int)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if X.ndim != 2 or len(X) != len(y) or (self.feature_names and X.shape[1] != len(self.feature_names)):
            raise InputError(
                f"feature matrix shape {X.shape} does not match {len(self.feature_names)} "
                f"features and {len(y)} labels / 特征矩阵形状不符"
            )
        if len(np.unique(y)) < 2:
            raise InputError(
                "the history holds only one outcome (all hired or none); cannot learn a ranker / "
                "对接记录中只有一种结果，无法训练排序模型"
            )
        hire = y.astype(bool) if hired is None else np.asarray(hired, dtype=bool)
        rng = np.random.default_rng(self.random_state)
        held = rng.random(len(y)) < self.calibration_share
        if held.sum() < 50 or len(np.unique(y[held])) < 2 or len(np.unique(y[~held])) < 2:
            held = np.zeros(len(y), dtype=bool)
        self.model_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            max_depth=self.max_depth,
            early_stopping=False,
            random_state=self.random_state,
        ).fit(X[~held], y[~held], sample_weight=w[~held])
        # A linear first stage: scores every candidate in microseconds, so that
        # only a shortlist per person goes through the trees (see coarse_score).
        self.coarse_ = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, C=1.0)).fit(
            X[~held], y[~held], logisticregression__sample_weight=w[~held]
        )
        self.calibrator_: IsotonicRegression | None = None
        self.probability_of_ = "response"
        if held.any():
            target = hire if hire[held].sum() >= MIN_CALIBRATION_HIRES else y.astype(bool)
            self.probability_of_ = "hire" if target is hire else "response"
            raw = self._raw(X[held])
            self.calibrator_ = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, target[held])
        self.classes_ = np.array([0, 1])
        self.n_train_ = int((~held).sum())
        self.positive_rate_ = float(y.mean())
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.predict_proba(X)[:, 1]

    def _prior(self) -> PriorRanker:
        prior = getattr(self, "_prior_ranker", None)
        if prior is None:
            prior = self._prior_ranker = PriorRanker(tuple(self.feature_names)).fit()
        return prior

    def _raw(self, X: np.ndarray) -> np.ndarray:
        """The trees' uncalibrated score of each row, blended with the prior by ``prior_share``."""
        if len(X) <= FLAT_BATCH:
            # scikit-learn pays a Python call per tree; the flat evaluator descends all trees at once.
            raw = self._flat().predict_proba1(X)
        elif len(X) < SMALL_BATCH:
            # OpenMP threads cost more than they give on a few thousand rows
            # (and fight the other process on a shared 2-core machine).
            with _threads().limit(limits=1, user_api="openmp"):
                raw = self.model_.predict_proba(X)[:, 1]
        else:
            raw = self.model_.predict_proba(X)[:, 1]
        if self.prior_share > 0:
            p = np.clip(raw, 1e-9, 1 - 1e-9)
            z = (1 - self.prior_share) * np.log(p / (1 - p)) + self.prior_share * self._prior().decision_function(X)
            raw = 1.0 / (1.0 + np.exp(-z))
        return raw

    def coarse_score(self, X: np.ndarray) -> np.ndarray:
        """Linear first-stage score (log-odds) of the same features; cheap enough for every candidate."""
        check_is_fitted(self, "coarse_")
        folded = getattr(self, "_coarse_folded", None)
        if folded is None or folded[0] is not self.coarse_:
            # The scaler folded into the weights: one product per row instead of three passes over X.
            scaler, logit = self.coarse_[0], self.coarse_[-1]
            w = logit.coef_.ravel() / scaler.scale_
            folded = (self.coarse_, w, float(logit.intercept_[0] - scaler.mean_ @ w))
            if self.prior_share > 0:
                prior = self._prior()
                w = (1 - self.prior_share) * folded[1] + self.prior_share * prior.weights_.astype(np.float64)
                folded = (self.coarse_, w, (1 - self.prior_share) * folded[2] + self.prior_share * float(prior.bias_))
            self._coarse_folded = folded
        return np.asarray(X, dtype=np.float64) @ folded[1] + folded[2]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = np.asarray(X, dtype=np.float32)
        raw = self._raw(X)
        if self.calibrator_ is not None:
            # Isotonic steps tie many pairs; a hair of the raw score keeps the order inside a step.
            # np.interp is the isotonic step function itself (clipped at both ends, as fitted with
            # out_of_bounds="clip"), without scikit-learn's per-call input checks.
            cal = self.calibrator_
            p = np.interp(raw, cal.X_thresholds_, cal.y_thresholds_) + 1e-6 * raw
        else:
            p = raw
        return np.column_stack([1 - p, p])

    def _flat(self) -> FlatForest:
        flat = getattr(self, "_flat_forest", None)
        if flat is None or flat[0] is not self.model_:
            flat = (self.model_, FlatForest(self.model_))
            self._flat_forest = flat
        return flat[1]

    def save(self, directory: str | os.PathLike[str]) -> Path:
        check_is_fitted(self, "model_")
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        joblib.dump(
            {"model": self.model_, "calibrator": self.calibrator_, "coarse": self.coarse_}, path / "ranker.joblib"
        )
        write_manifest(
            path,
            "ranker",
            {"type": "gbdt", **self.get_params(), "feature_names": list(self.feature_names)},
            format_version=FORMAT,
            n_train=self.n_train_,
            positive_rate=self.positive_rate_,
            probability_of=self.probability_of_,
        )
        return path


def load_ranker(directory: str | os.PathLike[str], feature_names: tuple[str, ...]) -> HireRanker | PriorRanker:
    """Read a ranker directory; refuse one trained on other features."""
    manifest: dict[str, Any] = read_manifest(directory, "ranker", FORMAT)
    settings = manifest["settings"]
    if tuple(settings.get("feature_names", ())) != tuple(feature_names):
        raise ArtifactError(
            f"ranker at {directory} was trained on other features; run `matcher train` / "
            "排序模型的特征与当前程序不一致，请运行 `matcher train`"
        )
    if settings["type"] == "prior":
        return PriorRanker(feature_names).fit()
    parts = joblib.load(Path(directory) / "ranker.joblib")
    params = {
        k: settings[k]
        for k in (
            "max_iter",
            "learning_rate",
            "max_leaf_nodes",
            "max_depth",
            "calibration_share",
            "random_state",
            "prior_share",
        )
        if k in settings
    }
    ranker = HireRanker(feature_names, **params)
    ranker.model_, ranker.calibrator_, ranker.coarse_ = parts["model"], parts["calibrator"], parts["coarse"]
    ranker.classes_ = np.array([0, 1])
    ranker.n_train_ = int(manifest.get("n_train", 0))
    ranker.positive_rate_ = float(manifest.get("positive_rate", 0.0))
    ranker.probability_of_ = str(manifest.get("probability_of", "hire"))
    return ranker
