"""A vectorised evaluator of a fitted ``HistGradientBoostingClassifier`` for small inputs.

scikit-learn evaluates its trees one Python call per tree, which costs a few
milliseconds per call for 200 trees however few rows are scored — more than
the whole rest of a caseworker's lookup. Here every tree's nodes are laid
end to end in flat arrays and all (row, tree) pairs descend together, one
numpy step per tree level. Results equal scikit-learn's (a test checks);
numerical features only (the ranker has no categorical ones).
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

__all__ = ["FlatForest"]


class FlatForest:
    """Flat node arrays of a binary ``HistGradientBoostingClassifier``."""

    def __init__(self, model: HistGradientBoostingClassifier) -> None:
        trees = [predictors[0] for predictors in model._predictors]
        if any(t.nodes["is_categorical"].any() for t in trees):
            raise ValueError("categorical splits are not supported / 不支持类别型切分")
        sizes = np.array([len(t.nodes) for t in trees], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        nodes = np.concatenate([t.nodes for t in trees])
        base = np.repeat(offsets, sizes)
        self.roots = offsets
        self.feature = nodes["feature_idx"].astype(np.int64)
        self.threshold = nodes["num_threshold"].astype(np.float64)
        self.missing_left = nodes["missing_go_to_left"].astype(bool)
        self.left = nodes["left"].astype(np.int64) + base
        self.right = nodes["right"].astype(np.int64) + base
        self.leaf = nodes["is_leaf"].astype(bool)
        self.value = nodes["value"].astype(np.float64)
        self.depth = int(nodes["depth"].max()) + 1
        self.baseline = float(np.asarray(model._baseline_prediction).ravel()[0])
        # The fast walk: a leaf points to itself whichever way a row goes (threshold +inf, so it
        # always "goes left"), and both children sit side by side: child = children[2*node + right].
        index = np.arange(len(nodes), dtype=np.int64)
        self.walk_threshold = np.where(self.leaf, np.inf, self.threshold)
        self.walk_feature = np.where(self.leaf, 0, self.feature)
        self.children = np.column_stack(
            [np.where(self.leaf, index, self.left), np.where(self.leaf, index, self.right)]
        ).ravel()

    def raw(self, X: np.ndarray) -> np.ndarray:
        """Raw scores (log-odds), shape (n,)."""
        X = np.asarray(X, dtype=np.float64)
        if np.isnan(X).any():
            return self._raw_missing(X)
        n, d = X.shape
        flat = X.ravel()
        base = (np.arange(n, dtype=np.int64) * d)[:, None]
        node = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
        for _ in range(self.depth):
            right = flat[base + self.walk_feature[node]] > self.walk_threshold[node]
            node = self.children[2 * node + right]
        return self.value[node].sum(axis=1) + self.baseline

    def _raw_missing(self, X: np.ndarray) -> np.ndarray:
        """The same walk for rows with missing values (they follow each split's ``missing_go_to_left``)."""
        n = len(X)
        node = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self.depth):
            leaf = self.leaf[node]
            if leaf.all():
                break
            x = X[rows, self.feature[node]]
            go_left = np.where(np.isnan(x), self.missing_left[node], x <= self.threshold[node])
            node = np.where(leaf, node, np.where(go_left, self.left[node], self.right[node]))
        return self.value[node].sum(axis=1) + self.baseline

    def predict_proba1(self, X: np.ndarray) -> np.ndarray:
        """P(class 1), shape (n,)."""
        return 1.0 / (1.0 + np.exp(-self.raw(X)))
