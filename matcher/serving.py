"""Today's posts under a loaded model, assembled once and swapped whole.

:func:`assemble` is the one place a recommender is put together from a model,
the store's vacancies, the policy and today's date: the CLI lookup, the
nightly batch (:class:`matcher.batch.engine.BatchContext`) and the service
all call it. A server keeps a :class:`Serving` snapshot that requests read
without locks; a change builds a new snapshot beside it and swaps the
reference (:meth:`Serving.without`, :func:`assemble` on a copied index), so a
request never sees a half-updated index or post table.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from matcher.artifact import MatchModel
from matcher.errors import NoOpenPostsError
from matcher.live import live_posts
from matcher.policy import Policy
from matcher.prepare import Posts
from matcher.reach import open_mask
from matcher.recommend import Recommender

__all__ = ["assemble", "Serving"]


def assemble(
    model: MatchModel, vacancies: pd.DataFrame, policy: Policy, today: dt.date, *, own_index: bool = False
) -> tuple[MatchModel, Posts, Recommender, dict[str, int]]:
    """A recommender over ``vacancies`` (posts changed since training re-encoded).

    Parameters
    ----------
    model : MatchModel
    vacancies : pandas.DataFrame
        The store's vacancies (``store.load_vacancies``).
    policy : Policy
    today : datetime.date
    own_index : bool
        Edit a copy of the model's index (a server, whose requests may be reading the original);
        False edits it in place (a batch run or a one-off command, which own the model).

    Returns
    -------
    (model, posts, recommender, refresh)
        ``model`` with the index actually used; ``refresh`` counts reused, encoded and removed posts.

    Raises
    ------
    NoOpenPostsError
        No post is open today ("not ready": ingest a current vacancy list).
    """
    if own_index:
        model = dataclasses.replace(model, index=model.index.copy())
    posts, refresh = live_posts(model, vacancies)
    posts.starts_within = policy.posts.starts_within_days
    if not open_mask(posts, today).any():
        raise NoOpenPostsError(
            "the store has no open posts today (all closed, expired or filled); ingest a current vacancy list",
            "库中今天没有在招岗位（均已关闭、过期或招满），请导入最新的岗位清单",
            field="vacancies",
        )
    recommender = Recommender(posts, model.ranker, model.employers, model.index, policy, today)
    return model, posts, recommender, refresh


#: Attributes :mod:`matcher.candidates`, :mod:`matcher.similarity` and :mod:`matcher.reach` cache on a ``Posts``
#: object that depend only on the posts' places, kinds and vectors (never on openings or status).
_PLACE_AND_VECTOR_CACHES = ("_neighbourhoods", "_vectors_grid", "_units")


class Serving(NamedTuple):
    """One immutable snapshot a server answers from.

    Attributes
    ----------
    model : MatchModel
    posts : Posts
    recommender : Recommender
    version : str
        The model version (its directory name).
    seq : int
        The store's change sequence the posts reflect.
    today : datetime.date
    withheld : frozenset of str
        Posts closed, deleted or changed after the posts were loaded: not suggested until the
        next full build has re-read (and re-encoded) them.
    built_at : float
        ``time.monotonic()`` of the last full build.
    """

    model: MatchModel
    posts: Posts
    recommender: Recommender
    version: str
    seq: int
    today: dt.date
    withheld: frozenset[str]
    built_at: float

    def without(self, vacancy_ids: Iterable[str], seq: int) -> Serving:
        """A new snapshot in which ``vacancy_ids`` are no longer open (this one is left untouched).

        Cheap (arrays copied, nothing re-encoded): the posts' ``open`` flags are copied with those
        rows cleared, and a shallow copy of the recommender gets the new posts and open set.
        """
        withheld = self.withheld | frozenset(str(v) for v in vacancy_ids)
        rows = self.posts.rows_of(sorted(withheld))
        rows = rows[rows >= 0]
        open_flags = self.posts.open.copy()
        open_flags[rows] = False
        return self._with_posts(dataclasses.replace(self.posts, open=open_flags), withheld, seq)

    def patched(self, updates: dict[str, tuple[int, bool]], seq: int) -> Serving:
        """A new snapshot with the openings and status of posts changed in nothing else
        (``{vacancy_id: (openings, status is open)}``); this one is left untouched.

        The posts' vectors, scores and places stay as they are, so nothing is re-encoded: only
        ``openings`` and the ``open`` flags are copied with those rows set. A withheld post stays
        withheld (its match fields changed since the snapshot read it).
        """
        rows = self.posts.rows_of(list(updates))
        openings, open_flags = self.posts.openings.copy(), self.posts.open.copy()
        for row, (vacancy_id, (count, is_open)) in zip(rows, updates.items(), strict=True):
            if row >= 0:
                openings[row] = count
                open_flags[row] = is_open and vacancy_id not in self.withheld
        return self._with_posts(dataclasses.replace(self.posts, openings=openings, open=open_flags), self.withheld, seq)

    def _with_posts(self, posts: Posts, withheld: frozenset[str], seq: int) -> Serving:
        """This snapshot with ``posts`` (the same posts, other openings or open flags) and a shallow copy
        of the recommender reading them. What was derived from the posts' places, vectors and frame
        alone (the k-d tree of neighbourhoods, the vectors on the integer grid, the unit vectors of the
        places, the frame's columns as arrays, the id index, the explanations' post facts) is carried
        over: none of it holds openings or open flags, and rebuilding it for every write of an opening
        cost a live answer 100+ ms and the next answers from the run a few milliseconds each."""
        for attr in _PLACE_AND_VECTOR_CACHES:
            cached = getattr(self.posts, attr, None)
            if cached is not None:
                setattr(posts, attr, cached)
        with self.posts._lock:  # noqa: SLF001 - the new posts are private until returned
            posts._columns = dict(self.posts._columns)  # noqa: SLF001
            posts._index = self.posts._index  # noqa: SLF001
        rec = copy.copy(self.recommender)
        rec.posts = posts
        rec._facts = self.recommender._facts.carried(posts)  # noqa: SLF001
        rec._open = open_mask(posts, self.today)  # noqa: SLF001 - the copy is private until returned
        if np.array_equal(rec._open, self.recommender._open):  # noqa: SLF001
            # the same flags: the same array, so the index filter built from them (if it was) still holds;
            # else the filter is built when a list computed afresh first needs it (Recommender.open_filter)
            rec._open = self.recommender._open  # noqa: SLF001
        return self._replace(posts=posts, recommender=rec, withheld=withheld, seq=seq)

    def open_ids(self) -> np.ndarray:
        """Ids of the posts that can be suggested today."""
        return self.posts.ids[open_mask(self.posts, self.today)]

    def describe(self) -> dict[str, Any]:
        """What the health route shows."""
        return {
            "model_version": self.version,
            "prior": self.model.is_prior,
            "ranker": "prior" if self.model.is_prior else "gbdt",
            "probability_of": getattr(self.model.ranker, "probability_of_", "hire"),
            "learned_from": dict(self.model.manifest.get("training", {}).get("learned_from", {})),
            "posts": len(self.posts),
            "open_posts": int(open_mask(self.posts, self.today).sum()),
            "index_size": len(self.model.index),
            "change_seq": self.seq,
            "withheld": len(self.withheld),
            "today": self.today.isoformat(),
        }
