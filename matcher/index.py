"""The vacancy vector index: nearest posts for a batch of person vectors, under a filter.

Vectors come from :class:`models.encoder.PersonPostEncoder` (L2-normalised,
so the inner product is the cosine). Below ``exact_threshold`` vectors the
index is exact (``IndexIDMap2(IndexFlatIP)``); above it, an inverted file
(``IndexIVFFlat``, inner product, ``nlist ≈ 4·√n`` spherical k-means
cells) whose ``nprobe`` is calibrated at build time so that recall@10
against exact search reaches ``target_recall`` on a query sample.

Ids. Vacancy ids are strings; faiss wants int64. Each new string gets the
next integer and keeps it for the life of the index, across rebuilds, saves
and removals: an integer is never handed to another vacancy, so a stale
integer can never point at the wrong post.

Vectors. A float32 copy of every live vector is kept next to the faiss
index. It serves exact scoring on small candidate sets (``search_subset``
and restrictive ``allowed`` filters) and rebuilds, without needing the IVF
direct map.

Filters. ``allowed`` restricts the candidates of a search. Small allowed sets
(up to ``subset_threshold``) are scored exactly; larger ones go through
faiss with an ``IDSelectorBatch``/``IDSelectorBitmap`` in the search
parameters, with ``nprobe`` raised in proportion to how selective the filter
is. Any row that still comes back with fewer than ``min(k, n_allowed)``
results is re-scored exactly on the allowed set, so a restrictive filter
never silently empties a result list while allowed posts exist.

Changes. ``add``, ``remove`` and ``update`` take effect immediately without a
rebuild. IVF cells are not re-trained by them; the nightly batch rebuilds.
An index built exact stays exact until the next ``build`` even if ``add``
takes it past the threshold. Not safe for concurrent writers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import faiss
import numpy as np

from matcher.index_store import VectorStore, as_keys, as_matrix, empty_result, is_flat_keys
from models.artifacts import read_manifest, write_manifest
from models.errors import ArtifactError

__all__ = ["VacancyIndex", "SearchResult"]

FORMAT_VERSION = 1
KIND = "vacancy_index"
# faiss's type stubs miss the keyword constructors of its Python wrapper
# (SearchParametersIVF(sel=..., nprobe=...)) and its numpy overloads.
_faiss: Any = faiss
_NPROBE_STEPS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)


class SearchResult(NamedTuple):
    """Result of a search: row ``i`` answers query ``i``, best first.

    scores : ndarray of float32, shape (n, k)
        Inner products; ``-inf`` where there is no result.
    ids : ndarray of object, shape (n, k)
        Vacancy ids; ``None`` where there is no result.
    """

    scores: np.ndarray
    ids: np.ndarray


class Selection(NamedTuple):
    """Allowed vacancies as the index's sorted internal ids (see :meth:`VacancyIndex.select`).

    ``bitmap`` is the dense faiss filter of the same ids, built once with the selection
    instead of on every search.
    """

    ints: np.ndarray
    bitmap: np.ndarray | None = None


def _bitmap(sel: np.ndarray, n: int) -> np.ndarray:
    bitmap = np.zeros((n + 7) // 8, dtype=np.uint8)
    np.bitwise_or.at(bitmap, sel >> 3, (1 << (sel & 7)).astype(np.uint8))
    return bitmap


class VacancyIndex:
    """Vector index of vacancies keyed by ``vacancy_id``.

    Parameters
    ----------
    dim : int
        Vector dimension.
    exact_threshold : int, default 20_000
        Below this many vectors ``build`` makes an exact flat index, above it an IVF.
    target_recall : float, default 0.95
        Recall@10 against exact search that the IVF ``nprobe`` calibration
        must reach (on its sample, with a 0.02 safety margin).
    nlist : int or None, default None
        IVF cells; ``None`` means ``4·√n`` (at most ``n / 39`` so that k-means
        has enough points per cell).
    nprobe : int or None, default None
        Fixed IVF ``nprobe``; ``None`` calibrates it at build time.
    subset_threshold : int, default 4096
        Allowed sets up to this size are scored exactly instead of through faiss.
    seed : int, default 0
        Seed of k-means and of the calibration sample.
    """

    def __init__(
        self,
        dim: int,
        *,
        exact_threshold: int = 20_000,
        target_recall: float = 0.95,
        nlist: int | None = None,
        nprobe: int | None = None,
        subset_threshold: int = 4096,
        seed: int = 0,
    ) -> None:
        if dim <= 0:
            raise ValueError(f"dim: got {dim}; allowed: a positive integer / 维度必须为正整数")
        self.dim = int(dim)
        self.exact_threshold = int(exact_threshold)
        self.target_recall = float(target_recall)
        self.nlist = nlist
        self.nprobe = nprobe
        self.subset_threshold = int(subset_threshold)
        self.seed = int(seed)
        self._store = VectorStore(self.dim)
        self._index: Any = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        self.kind = "flat"
        self.nprobe_ = 1
        self.calibration_recall_: float | None = None

    # ------------------------------------------------------------------ ids
    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, vacancy_id: object) -> bool:
        return vacancy_id in self._store

    @property
    def ids(self) -> np.ndarray:
        """Live vacancy ids, shape (len(self),), object array in int-id order."""
        return np.asarray(self._store.keys, dtype=object)[self._store.alive[: len(self._store.keys)]]

    # --------------------------------------------------------------- building
    def build(self, ids: Sequence[str], vectors: np.ndarray, *, calibration_queries: Any = None) -> VacancyIndex:
        """Replace the contents with ``vectors`` (shape (n, dim)) keyed by ``ids``.

        Known ids keep their integers. ``calibration_queries`` (shape (q, dim),
        e.g. a sample of laborer vectors) tunes the IVF ``nprobe``; without
        them a sample of the indexed vectors is used. Returns ``self``.
        """
        keys = as_keys(ids)
        x = as_matrix(vectors, self.dim, "vectors")
        if len(keys) != len(x):
            raise ValueError(f"ids: {len(keys)} ids for {len(x)} vectors / 编号与向量数量不一致")
        if len(set(keys)) != len(keys):
            raise ValueError("ids: duplicate vacancy_id in build / 岗位编号重复")
        ints = self._store.assign(keys)
        self._store.alive[:] = False
        self._store.alive[ints] = True
        self._store.vectors[ints] = x
        n = len(keys)
        if n < self.exact_threshold:
            self.kind, self.nprobe_, self.calibration_recall_ = "flat", 1, 1.0
            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
            self._index.add_with_ids(x, ints)
            return self
        nlist = self.nlist or max(1, min(int(4 * math.sqrt(n)), n // 39))
        quantizer = faiss.IndexFlatIP(self.dim)
        index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.spherical = True
        index.cp.seed = self.seed
        # k-means on a sample of 40 points per cell and 10 rounds: the cells only
        # need to be good enough for nprobe calibration to reach the recall target.
        index.cp.niter = 10
        index.cp.max_points_per_centroid = 40
        index.train(x)
        index.add_with_ids(x, ints)
        self._index, self.kind = index, "ivf"
        self._calibrate(x, calibration_queries)
        return self

    def _calibrate(self, x: np.ndarray, queries: Any) -> None:
        if self.nprobe is not None:
            self.nprobe_, self.calibration_recall_ = int(self.nprobe), None
            return
        rng = np.random.default_rng(self.seed)
        alive = np.flatnonzero(self._store.alive)
        k = 10
        if queries is None:
            # Indexed vectors as queries, their own hit left out of truth and result:
            # a self-match sits in the query's own cell and would flatter the recall.
            pick = rng.choice(len(alive), size=min(1000, len(alive)), replace=False)
            q, own = self._store.vectors[alive[pick]], alive[pick][:, None]
        else:
            q = as_matrix(queries, self.dim, "calibration_queries")[:2000]
            own = np.full((len(q), 1), -2, dtype=np.int64)
        truth = _drop_own(self._store.exact(q, alive, k + 1)[1], own, k)
        nlist = self._index.nlist
        goal = min(1.0, self.target_recall + 0.02)
        for step in (*(s for s in _NPROBE_STEPS if s < nlist), nlist):
            params = _faiss.SearchParametersIVF(nprobe=step)
            found = _drop_own(self._index.search(q, k + 1, params=params)[1], own, k)
            recall = _recall(found, truth)
            if recall >= goal:
                break
        self.nprobe_, self.calibration_recall_ = int(step), float(recall)

    def copy(self) -> VacancyIndex:
        """An independent copy: a server edits the copy and swaps it in, while requests read the old one."""
        import copy as _copy

        other = _copy.copy(self)
        other._store = _copy.deepcopy(self._store)
        other._index = faiss.clone_index(self._index)
        return other

    def add(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Add new vacancies; an id already in the index is refused (use ``update``)."""
        keys = as_keys(ids)
        x = as_matrix(vectors, self.dim, "vectors")
        if len(keys) != len(x) or len(set(keys)) != len(keys):
            raise ValueError("ids: must be unique and one per vector / 岗位编号须唯一且与向量一一对应")
        present = [k for k in keys if k in self]
        if present:
            raise ValueError(f"vacancy_id: {present[:3]} already indexed; use update / 岗位已在索引中，请用 update")
        ints = self._store.assign(keys)
        self._store.vectors[ints] = x
        self._store.alive[ints] = True
        self._index.add_with_ids(x, ints)

    def remove(self, ids: Sequence[str]) -> int:
        """Remove vacancies; unknown or already removed ids are ignored. Returns how many went."""
        ints = self._store.lookup(as_keys(ids))
        if len(ints):
            self._index.remove_ids(_faiss.IDSelectorBatch(ints))
            self._store.alive[ints] = False
        return len(ints)

    def update(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Replace the vectors of ``ids`` (adding those not yet indexed), without a rebuild."""
        keys = as_keys(ids)
        x = as_matrix(vectors, self.dim, "vectors")
        if len(keys) != len(x) or len(set(keys)) != len(keys):
            raise ValueError("ids: must be unique and one per vector / 岗位编号须唯一且与向量一一对应")
        self.remove(keys)
        self.add(keys, x)

    # -------------------------------------------------------------- searching
    def search(
        self,
        queries: np.ndarray,
        k: int,
        allowed: np.ndarray | Sequence[np.ndarray] | Selection | None = None,
        nprobe: int | None = None,
    ) -> SearchResult:
        """Top-``k`` vacancies for each query.

        Parameters
        ----------
        queries : ndarray, shape (n, dim) or (dim,)
        k : int
        allowed : array of vacancy_id, or a sequence of n such arrays, or None
            Only these vacancies may be returned: one array for all queries,
            or one per query. Unknown and removed ids are ignored.
        nprobe : int, optional
            IVF cells to visit instead of the tuned ``nprobe_`` (a caller that
            only wants extra candidates may trade recall for speed).

        Returns
        -------
        SearchResult
            ``scores`` (n, k) float32 and ``ids`` (n, k) object, best first;
            a row is shorter than ``k`` (padded with ``-inf``/``None``) only
            when fewer than ``k`` allowed vacancies exist.
        """
        q = as_matrix(queries, self.dim, "queries")
        if k <= 0:
            raise ValueError(f"k: got {k}; allowed: a positive integer / k 必须为正整数")
        if allowed is None:
            scores, ints = self._search_all(q, k, nprobe)
        elif isinstance(allowed, Selection):
            scores, ints = self._search_allowed(q, k, allowed.ints, nprobe, allowed.bitmap)
        elif is_flat_keys(allowed):
            scores, ints = self._search_allowed(q, k, self._store.lookup(as_keys(allowed, "allowed")), nprobe)
        else:
            rows = list(allowed)  # type: ignore[arg-type]
            if len(rows) != len(q):
                raise ValueError(f"allowed: {len(rows)} lists for {len(q)} queries / 过滤列表数量与查询数不一致")
            scores = np.full((len(q), k), -np.inf, dtype=np.float32)
            ints = np.full((len(q), k), -1, dtype=np.int64)
            for r, row in enumerate(rows):
                sel = self._store.lookup(as_keys(row, "allowed"))
                scores[r], ints[r] = (a[0] for a in self._search_allowed(q[r : r + 1], k, sel, nprobe))
        scores[ints < 0] = -np.inf
        return SearchResult(scores, self._store.to_keys(ints))

    def select(self, ids: Sequence[str]) -> Selection:
        """A reusable filter for :meth:`search` (the id→int lookup is done once, not per query).

        Valid until the next add/remove/update of the index.
        """
        ints = self._store.lookup(as_keys(ids, "allowed"))
        dense = 8 * len(ints) > len(self._store.alive)
        return Selection(ints, _bitmap(ints, len(self._store.alive)) if dense else None)

    def int_ids(self, ids: Sequence[str]) -> np.ndarray:
        """The index's integer id of each of ``ids``, in their order; -1 for ids not indexed (or removed).

        With :meth:`selection` a caller builds filters from arrays (e.g. one province's open posts)
        without looking strings up again.
        """
        known = self._store.ints
        out = np.fromiter((known.get(k, -1) for k in ids), dtype=np.int64, count=len(ids))
        alive = out >= 0
        alive[alive] = self._store.alive[out[alive]]
        return np.where(alive, out, -1)

    def selection(self, ints: np.ndarray) -> Selection:
        """A filter for :meth:`search` from integer ids (:meth:`int_ids`; negative ones are dropped): the
        same as :meth:`select` of their vacancy ids, dense bitmap included."""
        ints = np.unique(np.asarray(ints, dtype=np.int64))
        ints = ints[ints >= 0]
        dense = 8 * len(ints) > len(self._store.alive)
        return Selection(ints, _bitmap(ints, len(self._store.alive)) if dense else None)

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of ``ids`` (shape (len(ids), dim)); unknown ids raise ``KeyError``."""
        ints = np.fromiter((self._store.ints[k] for k in as_keys(ids)), dtype=np.int64)
        return self._store.vectors[ints]

    def search_subset(self, query: np.ndarray, vacancy_ids: Sequence[str], k: int) -> SearchResult:
        """Exact top-``k`` of ``query`` (shape (dim,) or (n, dim)) among ``vacancy_ids`` only."""
        q = as_matrix(query, self.dim, "query")
        scores, ints = self._store.exact(q, self._store.lookup(as_keys(vacancy_ids)), k)
        return SearchResult(scores, self._store.to_keys(ints))

    def _search_all(self, q: np.ndarray, k: int, nprobe: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        n_alive = len(self)
        if n_alive == 0:
            return empty_result(len(q), k)
        if self.kind == "flat":
            return self._index.search(q, k)
        probe = min(self._index.nlist, nprobe or self.nprobe_)
        scores, ints = self._index.search(q, k, params=_faiss.SearchParametersIVF(nprobe=probe))
        return self._fill_short(q, k, scores, ints, np.flatnonzero(self._store.alive))

    def _search_allowed(
        self, q: np.ndarray, k: int, sel: np.ndarray, nprobe: int | None = None, bitmap: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if len(sel) == 0:
            return empty_result(len(q), k)
        if len(sel) <= max(self.subset_threshold, k):
            return self._store.exact(q, sel, k)
        if 8 * len(sel) > len(self._store.alive):  # dense filter: a bitmap is cheaper than a hash set
            bitmap = _bitmap(sel, len(self._store.alive)) if bitmap is None else bitmap
            selector = _faiss.IDSelectorBitmap(bitmap)
        else:
            selector = _faiss.IDSelectorBatch(sel)
        if self.kind == "flat":
            params = _faiss.SearchParameters(sel=selector)
        else:
            share = len(sel) / max(len(self), 1)
            probe = min(self._index.nlist, math.ceil((nprobe or self.nprobe_) / share))
            params = _faiss.SearchParametersIVF(sel=selector, nprobe=probe)
        scores, ints = self._index.search(q, k, params=params)
        return self._fill_short(q, k, scores, ints, sel)

    def _fill_short(
        self, q: np.ndarray, k: int, scores: np.ndarray, ints: np.ndarray, pool: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Re-score exactly on ``pool`` the rows that came back short."""
        short = np.flatnonzero((ints >= 0).sum(axis=1) < min(k, len(pool)))
        if len(short):
            scores[short], ints[short] = self._store.exact(q[short], pool, k)
        return scores, ints

    # -------------------------------------------------------------- artifacts
    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the index, id map and vectors to ``directory``; the manifest goes last."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        n_ids = len(self._store.keys)
        faiss.write_index(self._index, str(path / "index.faiss"))
        np.save(path / "id_keys.npy", np.asarray(self._store.keys, dtype=str), allow_pickle=False)
        np.save(path / "vectors.npy", self._store.vectors[:n_ids], allow_pickle=False)
        np.save(path / "alive.npy", self._store.alive[:n_ids], allow_pickle=False)
        settings = {
            "dim": self.dim,
            "exact_threshold": self.exact_threshold,
            "target_recall": self.target_recall,
            "nlist": self.nlist,
            "nprobe": self.nprobe,
            "subset_threshold": self.subset_threshold,
            "seed": self.seed,
        }
        write_manifest(
            path,
            KIND,
            settings,
            format_version=FORMAT_VERSION,
            index={"kind": self.kind, "nprobe": self.nprobe_},
            data={"n_vacancies": len(self), "n_ids_ever": n_ids},
            metrics={"calibration_recall_at_10": self.calibration_recall_},
        )
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> VacancyIndex:
        """Read an index written by :meth:`save`; a mismatch raises :class:`ArtifactError`."""
        path = Path(directory)
        manifest = read_manifest(path, KIND, FORMAT_VERSION)
        try:
            self = cls(**manifest["settings"])
            index = faiss.read_index(str(path / "index.faiss"))
            keys = np.load(path / "id_keys.npy", allow_pickle=False)
            vectors = np.load(path / "vectors.npy", allow_pickle=False)
            alive = np.load(path / "alive.npy", allow_pickle=False)
        except (OSError, KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ArtifactError(
                f"artifact at {path} is damaged ({exc}): run `matcher train` to rebuild / 索引文件损坏，请重新生成"
            ) from exc
        if index.d != self.dim or vectors.shape != (len(keys), self.dim) or len(alive) != len(keys):
            raise ArtifactError(f"artifact at {path}: files disagree on sizes / 索引文件大小不一致")
        if index.ntotal != int(alive.sum()):
            raise ArtifactError(
                f"artifact at {path}: index holds {index.ntotal} vectors, id map {int(alive.sum())}"
                f" / 索引与编号表不一致"
            )
        self._store.keys = [str(k) for k in keys]
        self._store.ints = {k: i for i, k in enumerate(self._store.keys)}
        self._store.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._store.alive = alive.astype(bool)
        self._index = index
        self.kind = manifest["index"]["kind"]
        self.nprobe_ = int(manifest["index"]["nprobe"])
        self.calibration_recall_ = manifest["metrics"].get("calibration_recall_at_10")
        return self


def _drop_own(ints: np.ndarray, own: np.ndarray, k: int) -> np.ndarray:
    """First ``k`` results per row other than the row's own id (shape (n, 1))."""
    order = np.argsort(ints == own, axis=1, kind="stable")
    return np.take_along_axis(ints, order, axis=1)[:, :k]


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the true neighbours (``truth`` >= 0) present in ``found``, row by row."""
    hits = sum(len(np.intersect1d(f[f >= 0], t[t >= 0])) for f, t in zip(found, truth, strict=True))
    total = int((truth >= 0).sum())
    return hits / total if total else 1.0
