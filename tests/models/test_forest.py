"""The flat forest evaluator (models/forest.py) gives scikit-learn's scores, with and without missing values."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from models.forest import FlatForest


@pytest.fixture(scope="module")
def fitted() -> tuple[HistGradientBoostingClassifier, np.ndarray]:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3000, 8)).astype(np.float32)
    X[rng.random(X.shape) < 0.05] = np.nan
    y = ((np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) * X[:, 2] ** 2 + rng.normal(size=3000)) > 0.5).astype(int)
    model = HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=31, random_state=0).fit(X, y)
    return model, X


def test_flat_forest_equals_scikit_learn_on_finite_rows(fitted) -> None:  # type: ignore[no-untyped-def]
    model, X = fitted
    finite = np.nan_to_num(X[:500])
    # Values exactly at a split threshold go left in both.
    finite[:50, 0] = model._predictors[0][0].nodes["num_threshold"][0]
    expected = model.predict_proba(finite)[:, 1]
    np.testing.assert_allclose(FlatForest(model).predict_proba1(finite), expected, rtol=1e-12, atol=1e-12)


def test_flat_forest_equals_scikit_learn_with_missing_values(fitted) -> None:  # type: ignore[no-untyped-def]
    model, X = fitted
    rows = X[:500]
    assert np.isnan(rows).any()
    np.testing.assert_allclose(
        FlatForest(model).predict_proba1(rows), model.predict_proba(rows)[:, 1], rtol=1e-12, atol=1e-12
    )
