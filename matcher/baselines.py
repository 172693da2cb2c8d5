"""Baseline orderings and ranking metrics for the offline evaluation (:mod:`matcher.evaluate`).

Each baseline scores candidate pairs ``(people[pi], posts[pj])``: higher is
better. None of them sees the ranker, the encoder or the pair features; the
evaluation (:mod:`matcher.evaluate`) hands every method the same eligible
candidates, so the methods differ only in how they order them.

* popularity: people who turned to each post (applied or further) in the
  training history;
* same-town popularity: the same among training people of the person's own
  town, ties broken by overall popularity;
* same place, then most applied (a peer that scored well on real job
  histories): the person's own village first, then town, then county, then
  the rest, each tier ordered by popularity;
* TF-IDF of profile and history plus place (the other strong real-data
  peer): the TF-IDF cosine between a post and the person's text together
  with the texts of the posts in their own history, plus a boost for the
  same village, town and county;
* BM25 (``bm25s``) and TF-IDF cosine (scikit-learn, character n-grams, no
  SVD) between a person's text (skills, job intentions, certificates) and a
  post's text (title, required skills, description).

Metrics (one relevant post per person): the target's rank among the
person's candidates with ties broken by a shared random key (never in the
target's favour), recall@k, nDCG@10, their expectation under a random
order, and a calibration table.
"""

from __future__ import annotations

from collections.abc import Iterable

import bm25s
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher.evidence import Evidence
from matcher.prepare import People, Posts
from matcher.reach import PairGeo

__all__ = [
    "person_texts",
    "post_texts",
    "bigrams",
    "popularity",
    "town_popularity",
    "bm25_scores",
    "tfidf_cosine",
    "place_then_popular",
    "tfidf_history_location",
    "PLACE_BOOST",
    "METRICS",
    "TOP",
    "target_ranks",
    "ranking_metrics",
    "random_expected",
    "top_k",
    "calibration_table",
]

METRICS: tuple[str, ...] = ("recall@3", "recall@10", "ndcg@10")
#: The place boost of the TF-IDF peer for the same village, town and county (added up: same village 0.3).
PLACE_BOOST: tuple[float, float, float] = (0.1, 0.1, 0.1)
TOP = 10


def _items(value: object) -> list[str]:
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v).strip() for v in value if isinstance(v, str) and v.strip()]
    if isinstance(value, str) and value.strip():
        return [value.strip()]
    return []


def person_texts(frame: pd.DataFrame) -> list[list[str]]:
    """Text items of each person: skills, job intentions, certificates (as written in the ledger)."""
    cols = [c for c in ("skills", "job_intention", "certificates") if c in frame.columns]
    rows = zip(*(frame[c].tolist() for c in cols), strict=True) if cols else iter(())
    out = [[item for cell in row for item in _items(cell)] for row in rows]
    return out if cols else [[] for _ in range(len(frame))]


def post_texts(frame: pd.DataFrame) -> list[list[str]]:
    """Text items of each post: title, required skills, description."""
    cols = [c for c in ("title", "required_skills", "description") if c in frame.columns]
    rows = zip(*(frame[c].tolist() for c in cols), strict=True)
    return [[item for cell in row for item in _items(cell)] for row in rows]


def bigrams(items: Iterable[str]) -> list[str]:
    """Character bigrams inside each item (never across items); a one-character item stays whole."""
    out: list[str] = []
    for item in items:
        chars = "".join(item.split())
        if len(chars) == 1:
            out.append(chars)
        out.extend(chars[k : k + 2] for k in range(len(chars) - 1))
    return out


def popularity(n_posts: int, pj_hired: np.ndarray) -> np.ndarray:
    """Hires per post, shape (n_posts,), from the post positions of the training hires."""
    return np.bincount(np.asarray(pj_hired, dtype=np.int64), minlength=n_posts).astype(np.float64)


def town_popularity(
    people: People,
    n_posts: int,
    pi_hired: np.ndarray,
    pj_hired: np.ndarray,
    pi: np.ndarray,
    pj: np.ndarray,
) -> np.ndarray:
    """Hires of post ``pj`` among training people of the town of ``pi``, ties broken by overall hires.

    Returns an array of shape (n_pairs,): the same-town count plus the
    overall count scaled below one, so overall popularity only orders posts
    with equal same-town counts.
    """
    overall = popularity(n_posts, pj_hired)
    tie = overall[pj] / (overall.max() + 1.0)
    if len(pi_hired) == 0:
        return tie
    keys = people.town[pi_hired].astype(np.int64) * n_posts + pj_hired
    uniq, counts = np.unique(keys, return_counts=True)
    query = people.town[pi].astype(np.int64) * n_posts + pj
    at = np.minimum(np.searchsorted(uniq, query), len(uniq) - 1)
    # A person without a resolved town (code 0) has no same-town neighbours.
    local = np.where((uniq[at] == query) & (people.town[pi] > 0), counts[at], 0)
    return local + tie


def bm25_scores(people: People, posts: Posts, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """BM25 (``bm25s``, Lucene variant) of each post's text for the person's text as query; shape (n_pairs,)."""
    corpus = [bigrams(d) for d in post_texts(posts.frame)]
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    vocab = retriever.vocab_dict
    docs = person_texts(people.frame)
    out = np.zeros(len(pi), dtype=np.float64)
    order = np.argsort(pi, kind="stable")
    bounds = np.flatnonzero(np.diff(pi[order])) + 1
    cache: dict[tuple[str, ...], np.ndarray] = {}
    for group in np.split(order, bounds):
        if len(group) == 0:
            continue
        tokens = tuple(t for t in bigrams(docs[int(pi[group[0]])]) if t in vocab)
        if not tokens:
            continue  # nothing to match: every post scores 0
        scores = cache.get(tokens)
        if scores is None:
            scores = cache[tokens] = np.asarray(retriever.get_scores(list(tokens)), dtype=np.float64)
        out[group] = scores[pj[group]]
    return out


def tfidf_cosine(people: People, posts: Posts, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """Cosine of character 1–3-gram TF-IDF vectors (fitted on both sides, no SVD); shape (n_pairs,)."""
    return _tfidf(person_texts(people.frame), post_texts(posts.frame), pi, pj)


def _tfidf(person_items: list[list[str]], post_items: list[list[str]], pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """Cosine of character 1–3-gram TF-IDF vectors of the people's and the posts' text items, per pair."""
    person_docs = [" ".join(d) for d in person_items]
    post_docs = [" ".join(d) for d in post_items]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, dtype=np.float32)
    vectorizer.fit(person_docs + post_docs)
    if len(pi) == 0:
        return np.zeros(0)
    a = vectorizer.transform(person_docs).tocsr()
    b = vectorizer.transform(post_docs).tocsr()
    return np.asarray(a[pi].multiply(b[pj]).sum(axis=1), dtype=np.float64).ravel()


def place_then_popular(popular: np.ndarray, pj: np.ndarray, geo: PairGeo) -> np.ndarray:
    """Own village, then town, then county, then the rest; inside a tier the post most turned to first."""
    tier = geo.same_village.astype(np.float64) + geo.same_town + geo.same_county
    return tier * (popular.max(initial=0.0) + 1.0) + popular[pj]


def tfidf_history_location(people: People, posts: Posts, evidence: Evidence, cand: object) -> np.ndarray:
    """TF-IDF cosine of each post with the person's text plus the texts of their history's posts, plus
    :data:`PLACE_BOOST`; ``cand``: pairs with ``pi``, ``pj`` and ``geo`` (a :class:`matcher.candidates.Candidates`).
    """
    pi, pj, geo = cand.pi, cand.pj, cand.geo  # type: ignore[attr-defined]
    person_items = person_texts(people.frame)
    post_items = post_texts(posts.frame)
    for i in np.flatnonzero(evidence.counts()):
        for j in evidence.pj[evidence.indptr[i] : evidence.indptr[i + 1]]:
            person_items[i] = person_items[i] + post_items[int(j)]
    cos = _tfidf(person_items, post_items, pi, pj)
    v, t, c = PLACE_BOOST
    return cos + v * geo.same_village + t * geo.same_town + c * geo.same_county


def target_ranks(
    score: np.ndarray, group: np.ndarray, is_target: np.ndarray, tiebreak: np.ndarray, n: int
) -> np.ndarray:
    """1-based rank of each person's target among their candidates (ties by ``tiebreak``); inf when absent."""
    at = np.full(n, -1, dtype=np.int64)
    at[group[is_target]] = np.flatnonzero(is_target)
    rank = np.full(n, np.inf)
    if len(score) == 0:
        return rank
    ref = at[group]
    ok = ref >= 0
    st, tt = score[np.maximum(ref, 0)], tiebreak[np.maximum(ref, 0)]
    ahead = ok & ((score > st) | ((score == st) & (tiebreak > tt)))
    counted = 1.0 + np.bincount(group, weights=ahead.astype(np.float64), minlength=n)
    return np.where(at >= 0, counted, np.inf)


def ranking_metrics(rank: np.ndarray) -> dict[str, float]:
    if len(rank) == 0:
        return {m: 0.0 for m in METRICS}
    gain = np.where(rank <= TOP, 1.0 / np.log2(np.minimum(rank, TOP) + 1.0), 0.0)
    return {
        "recall@3": float(np.mean(rank <= 3)),
        "recall@10": float(np.mean(rank <= 10)),
        "ndcg@10": float(gain.mean()),
    }


def random_expected(counts: np.ndarray, present: np.ndarray) -> dict[str, float]:
    """Expected metrics of a uniformly random order (a miss scores 0)."""
    if len(counts) == 0:
        return {m: 0.0 for m in METRICS}
    c = np.maximum(counts, 1)
    disc = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, TOP + 2)))])
    return {
        "recall@3": float(np.mean(present * np.minimum(3, c) / c)),
        "recall@10": float(np.mean(present * np.minimum(10, c) / c)),
        "ndcg@10": float(np.mean(present * disc[np.minimum(TOP, c)] / c)),
    }


def top_k(score: np.ndarray, group: np.ndarray, tiebreak: np.ndarray, k: int) -> np.ndarray:
    """Indices of each group's ``k`` best pairs (``group`` sorted ascending)."""
    order = np.lexsort((-tiebreak, -score, group))
    g = group[order]
    first = np.searchsorted(g, g)
    return order[np.arange(len(order)) - first < k]


def calibration_table(p: np.ndarray, y: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Mean prediction and observed hire rate in equal-count deciles of the prediction."""
    rows = []
    for d, part in enumerate(np.array_split(np.argsort(p, kind="stable"), bins), 1):
        if len(part):
            rows.append(
                {
                    "decile": d,
                    "pairs": len(part),
                    "mean_predicted": float(p[part].mean()),
                    "observed_rate": float(y[part].mean()),
                }
            )
    return pd.DataFrame(rows, columns=["decile", "pairs", "mean_predicted", "observed_rate"])
