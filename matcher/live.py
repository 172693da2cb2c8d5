"""Serve today's posts with a trained model: re-encode only what changed since training.

The vacancy list changes daily. A post added or edited after ``matcher train``
is encoded on load and put into the index in place (``VacancyIndex.update``);
a post deleted from the store leaves the index (``remove``); unchanged posts
reuse the vectors the index holds. No rebuild is needed until the next train.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.artifact import MatchModel
from matcher.prepare import Posts, prepare_posts

__all__ = ["live_posts", "POST_HASHES"]

POST_HASHES = "post_hashes.csv"


def save_post_hashes(model_dir: object, vacancies: pd.DataFrame) -> None:
    """Record which version of each post the index was built from."""
    vacancies[["vacancy_id", "content_hash"]].to_csv(model_dir / POST_HASHES, index=False)  # type: ignore[operator]


def live_posts(model: MatchModel, vacancies: pd.DataFrame) -> tuple[Posts, dict[str, int]]:
    """Posts of the store with vectors; returns ``(posts, {"reused", "encoded", "removed"})``."""
    posts = prepare_posts(vacancies)
    known = (
        pd.read_csv(model.path / POST_HASHES, dtype=str)
        if (model.path / POST_HASHES).exists()
        else pd.DataFrame({"vacancy_id": [], "content_hash": []})
    )
    trained = dict(zip(known["vacancy_id"], known["content_hash"], strict=True))
    current = posts.frame["content_hash"].astype(str).to_numpy()
    same = np.fromiter(
        (trained.get(v) == h and v in model.index for v, h in zip(posts.ids, current, strict=True)),
        dtype=bool,
        count=len(posts),
    )
    vectors = np.zeros((len(posts), model.encoder.dim_), dtype=np.float32)
    if same.any():
        vectors[same] = model.index.vectors(posts.ids[same].astype(str).tolist())
    changed = np.flatnonzero(~same)
    if len(changed):
        fresh = model.encoder.transform_vacancies(posts.frame.iloc[changed])
        vectors[changed] = fresh
        model.index.update(posts.ids[changed].astype(str).tolist(), fresh)
    gone = sorted(set(trained) - set(posts.ids.astype(str)))
    removed = model.index.remove(gone) if gone else 0
    posts.vectors = vectors
    return posts, {"reused": int(same.sum()), "encoded": len(changed), "removed": int(removed)}
