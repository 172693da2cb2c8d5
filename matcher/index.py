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

from models.artifacts import read_manifest, write_manifest
from models.errors import ArtifactError

__all__ = ["VacancyIndex", "SearchResult"]

FORMAT_VERSION = 1
KIND = "vacancy_index"
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


def _as_matrix(vectors: Any, dim: int, name: str) -> np.ndarray:
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(
            f"{name}: expected shape (n, {dim}), got {np.shape(vectors)} / 向量维度应为 {dim}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinity / 向量含有非数值")
    return np.ascontiguousarray(arr)


def _as_keys(ids: Any, name: str = "vacancy_id") -> list[str]:
    keys = [ids] if isinstance(ids, str) else list(ids)
    for key in keys:
        if not isinstance(key, str) or not key:
            raise ValueError(
                f"{name}: got {key!r}; allowed: non-empty text / 岗位编号必须为非空文本"
            )
    return keys


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
        self._keys: list[str] = []  # int id -> vacancy_id, append-only
        self._ints: dict[str, int] = {}
        self._key_table: np.ndarray | None = None  # cached object array of _keys + [None]
        self._vectors = np.zeros((0, self.dim), dtype=np.float32)  # row = int id
        self._alive = np.zeros(0, dtype=bool)
        self._index: faiss.Index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        self.kind = "flat"
        self.nprobe_ = 1
        self.calibration_recall_: float | None = None

    # ------------------------------------------------------------------ ids
    def __len__(self) -> int:
        return int(self._alive.sum())

    def __contains__(self, vacancy_id: object) -> bool:
        i = self._ints.get(vacancy_id) if isinstance(vacancy_id, str) else None
        return i is not None and bool(self._alive[i])

    @property
    def ids(self) -> np.ndarray:
        """Live vacancy ids, shape (len(self),), object array in int-id order."""
        return np.asarray(self._keys, dtype=object)[self._alive]

    def _assign(self, keys: list[str]) -> np.ndarray:
        """Int ids for ``keys``, minting new ones (never reusing) for unseen keys."""
        out = np.empty(len(keys), dtype=np.int64)
        for n, key in enumerate(keys):
            i = self._ints.get(key)
            if i is None:
                i = len(self._keys)
                self._ints[key] = i
                self._keys.append(key)
            out[n] = i
        grow = len(self._keys) - len(self._alive)
        if grow > 0:
            cap = max(len(self._keys), 2 * len(self._alive))
            vectors = np.zeros((cap, self.dim), dtype=np.float32)
            vectors[: len(self._vectors)] = self._vectors
            alive = np.zeros(cap, dtype=bool)
            alive[: len(self._alive)] = self._alive
            self._vectors, self._alive = vectors, alive
        return out

    def _lookup(self, keys: Sequence[str]) -> np.ndarray:
        """Int ids of the live vacancies among ``keys`` (unknown or removed ones dropped)."""
        found = [self._ints.get(k, -1) for k in keys]
        arr = np.asarray(found, dtype=np.int64)
        arr = arr[arr >= 0]
        return np.unique(arr[self._alive[arr]])

    def _to_keys(self, ints: np.ndarray) -> np.ndarray:
        if self._key_table is None or len(self._key_table) != len(self._keys) + 1:
            self._key_table = np.asarray([*self._keys, None], dtype=object)
        return self._key_table[np.where(ints >= 0, ints, len(self._keys))]

    # --------------------------------------------------------------- building
    def build(
        self, ids: Sequence[str], vectors: np.ndarray, *, calibration_queries: Any = None
    ) -> VacancyIndex:
        """Replace the contents with ``vectors`` (shape (n, dim)) keyed by ``ids``.

        Known ids keep their integers. ``calibration_queries`` (shape (q, dim),
        e.g. a sample of laborer vectors) tunes the IVF ``nprobe``; without
        them a sample of the indexed vectors is used. Returns ``self``.
        """
        keys = _as_keys(ids)
        x = _as_matrix(vectors, self.dim, "vectors")
        if len(keys) != len(x):
            raise ValueError(f"ids: {len(keys)} ids for {len(x)} vectors / 编号与向量数量不一致")
        if len(set(keys)) != len(keys):
            raise ValueError("ids: duplicate vacancy_id in build / 岗位编号重复")
        ints = self._assign(keys)
        self._alive[:] = False
        self._alive[ints] = True
        self._vectors[ints] = x
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
        index.cp.niter = 12
        index.cp.max_points_per_centroid = 64  # k-means on a sample: 64 points per cell is plenty
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
        alive = np.flatnonzero(self._alive)
        k = 10
        if queries is None:
            # Indexed vectors as queries, their own hit left out of truth and result:
            # a self-match sits in the query's own cell and would flatter the recall.
            pick = rng.choice(len(alive), size=min(1000, len(alive)), replace=False)
            q, own = self._vectors[alive[pick]], alive[pick][:, None]
        else:
            q = _as_matrix(queries, self.dim, "calibration_queries")[:2000]
            own = np.full((len(q), 1), -2, dtype=np.int64)
        truth = _drop_own(self._exact(q, alive, k + 1)[1], own, k)
        nlist = self._index.nlist
        goal = min(1.0, self.target_recall + 0.02)
        for step in (*(s for s in _NPROBE_STEPS if s < nlist), nlist):
            params = faiss.SearchParametersIVF(nprobe=step)
            found = _drop_own(self._index.search(q, k + 1, params=params)[1], own, k)
            recall = _recall(found, truth)
            if recall >= goal:
                break
        self.nprobe_, self.calibration_recall_ = int(step), float(recall)

    def add(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Add new vacancies; an id already in the index is refused (use ``update``)."""
        keys = _as_keys(ids)
        x = _as_matrix(vectors, self.dim, "vectors")
        if len(keys) != len(x) or len(set(keys)) != len(keys):
            raise ValueError(
                "ids: must be unique and one per vector / 岗位编号须唯一且与向量一一对应"
            )
        present = [k for k in keys if k in self]
        if present:
            raise ValueError(
                f"vacancy_id: {present[:3]} already indexed; use update"
                " / 岗位已在索引中，请用 update"
            )
        ints = self._assign(keys)
        self._vectors[ints] = x
        self._alive[ints] = True
        self._index.add_with_ids(x, ints)

    def remove(self, ids: Sequence[str]) -> int:
        """Remove vacancies; unknown or already removed ids are ignored. Returns how many went."""
        ints = self._lookup(_as_keys(ids))
        if len(ints):
            self._index.remove_ids(faiss.IDSelectorBatch(ints))
            self._alive[ints] = False
        return len(ints)

    def update(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Replace the vectors of ``ids`` (adding those not yet indexed), without a rebuild."""
        keys = _as_keys(ids)
        x = _as_matrix(vectors, self.dim, "vectors")
        if len(keys) != len(x) or len(set(keys)) != len(keys):
            raise ValueError(
                "ids: must be unique and one per vector / 岗位编号须唯一且与向量一一对应"
            )
        self.remove(keys)
        self.add(keys, x)

    # -------------------------------------------------------------- searching
    def search(
        self,
        queries: np.ndarray,
        k: int,
        allowed: np.ndarray | Sequence[np.ndarray] | None = None,
    ) -> SearchResult:
        """Top-``k`` vacancies for each query.

        Parameters
        ----------
        queries : ndarray, shape (n, dim) or (dim,)
        k : int
        allowed : array of vacancy_id, or a sequence of n such arrays, or None
            Only these vacancies may be returned: one array for all queries,
            or one per query. Unknown and removed ids are ignored.

        Returns
        -------
        SearchResult
            ``scores`` (n, k) float32 and ``ids`` (n, k) object, best first;
            a row is shorter than ``k`` (padded with ``-inf``/``None``) only
            when fewer than ``k`` allowed vacancies exist.
        """
        q = _as_matrix(queries, self.dim, "queries")
        if k <= 0:
            raise ValueError(f"k: got {k}; allowed: a positive integer / k 必须为正整数")
        if allowed is None:
            scores, ints = self._search_all(q, k)
        elif _is_flat_keys(allowed):
            scores, ints = self._search_allowed(q, k, self._lookup(_as_keys(allowed, "allowed")))
        else:
            rows = list(allowed)  # type: ignore[arg-type]
            if len(rows) != len(q):
                raise ValueError(
                    f"allowed: {len(rows)} lists for {len(q)} queries / 过滤列表数量与查询数不一致"
                )
            scores = np.full((len(q), k), -np.inf, dtype=np.float32)
            ints = np.full((len(q), k), -1, dtype=np.int64)
            for r, row in enumerate(rows):
                sel = self._lookup(_as_keys(row, "allowed"))
                scores[r], ints[r] = (a[0] for a in self._search_allowed(q[r : r + 1], k, sel))
        scores[ints < 0] = -np.inf
        return SearchResult(scores, self._to_keys(ints))

    def search_subset(self, query: np.ndarray, vacancy_ids: Sequence[str], k: int) -> SearchResult:
        """Exact top-``k`` of ``query`` (shape (dim,) or (n, dim)) among ``vacancy_ids`` only."""
        q = _as_matrix(query, self.dim, "query")
        scores, ints = self._exact(q, self._lookup(_as_keys(vacancy_ids)), k)
        return SearchResult(scores, self._to_keys(ints))

    def _search_all(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        n_alive = len(self)
        if n_alive == 0:
            return _empty(len(q), k)
        if self.kind == "flat":
            return self._index.search(q, k)
        scores, ints = self._index.search(
            q, k, params=faiss.SearchParametersIVF(nprobe=self.nprobe_)
        )
        return self._fill_short(q, k, scores, ints, np.flatnonzero(self._alive))

    def _search_allowed(
        self, q: np.ndarray, k: int, sel: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if len(sel) == 0:
            return _empty(len(q), k)
        if len(sel) <= max(self.subset_threshold, k):
            return self._exact(q, sel, k)
        if 8 * len(sel) > len(self._alive):  # dense filter: a bitmap is cheaper than a hash set
            bitmap = np.zeros((len(self._alive) + 7) // 8, dtype=np.uint8)
            np.bitwise_or.at(bitmap, sel >> 3, (1 << (sel & 7)).astype(np.uint8))
            selector = faiss.IDSelectorBitmap(bitmap)
        else:
            selector = faiss.IDSelectorBatch(sel)
        if self.kind == "flat":
            params: faiss.SearchParameters = faiss.SearchParameters(sel=selector)
        else:
            share = len(sel) / max(len(self), 1)
            nprobe = min(self._index.nlist, math.ceil(self.nprobe_ / share))
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        scores, ints = self._index.search(q, k, params=params)
        return self._fill_short(q, k, scores, ints, sel)

    def _fill_short(
        self, q: np.ndarray, k: int, scores: np.ndarray, ints: np.ndarray, pool: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Re-score exactly on ``pool`` the rows that came back short."""
        short = np.flatnonzero((ints >= 0).sum(axis=1) < min(k, len(pool)))
        if len(short):
            scores[short], ints[short] = self._exact(q[short], pool, k)
        return scores, ints

    def _exact(self, q: np.ndarray, pool: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k by inner product over the int ids in ``pool``."""
        scores, ints = _empty(len(q), k)
        if len(pool) == 0:
            return scores, ints
        kk = min(k, len(pool))
        vectors = self._vectors[pool]
        step = max(1, (1 << 24) // len(pool))  # bound the (rows, pool) score block to 64 MB
        for start in range(0, len(q), step):
            sims = q[start : start + step] @ vectors.T
            if kk < len(pool):
                top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
            else:
                top = np.broadcast_to(np.arange(len(pool)), sims.shape)
            top_scores = np.take_along_axis(sims, top, axis=1)
            order = np.argsort(-top_scores, axis=1, kind="stable")
            rows = slice(start, start + len(sims))
            scores[rows, :kk] = np.take_along_axis(top_scores, order, axis=1)
            ints[rows, :kk] = pool[np.take_along_axis(top, order, axis=1)]
        return scores, ints

    # -------------------------------------------------------------- artifacts
    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the index, id map and vectors to ``directory``; the manifest goes last."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        n_ids = len(self._keys)
        faiss.write_index(self._index, str(path / "index.faiss"))
        np.save(path / "id_keys.npy", np.asarray(self._keys, dtype=str), allow_pickle=False)
        np.save(path / "vectors.npy", self._vectors[:n_ids], allow_pickle=False)
        np.save(path / "alive.npy", self._alive[:n_ids], allow_pickle=False)
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
                f"artifact at {path} is damaged ({exc}): run `matcher train` to rebuild"
                f" / 索引文件损坏，请重新生成"
            ) from exc
        if index.d != self.dim or vectors.shape != (len(keys), self.dim) or len(alive) != len(keys):
            raise ArtifactError(f"artifact at {path}: files disagree on sizes / 索引文件大小不一致")
        if index.ntotal != int(alive.sum()):
            raise ArtifactError(
                f"artifact at {path}: index holds {index.ntotal} vectors, id map {int(alive.sum())}"
                f" / 索引与编号表不一致"
            )
        self._keys = [str(k) for k in keys]
        self._ints = {k: i for i, k in enumerate(self._keys)}
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._alive = alive.astype(bool)
        self._index = index
        self.kind = manifest["index"]["kind"]
        self.nprobe_ = int(manifest["index"]["nprobe"])
        self.calibration_recall_ = manifest["metrics"].get("calibration_recall_at_10")
        return self


def _is_flat_keys(allowed: Any) -> bool:
    """True when ``allowed`` is one collection of ids (not one collection per query)."""
    if isinstance(allowed, np.ndarray):
        return allowed.ndim == 1 and (
            allowed.dtype.kind == "U" or all(isinstance(a, str) for a in allowed[:1])
        )
    return isinstance(allowed, (list, tuple, set, frozenset)) and all(
        isinstance(a, str) for a in allowed
    )


def _empty(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((n, k), -np.inf, dtype=np.float32), np.full((n, k), -1, dtype=np.int64)


def _drop_own(ints: np.ndarray, own: np.ndarray, k: int) -> np.ndarray:
    """First ``k`` results per row other than the row's own id (shape (n, 1))."""
    order = np.argsort(ints == own, axis=1, kind="stable")
    return np.take_along_axis(ints, order, axis=1)[:, :k]


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the true neighbours (``truth`` >= 0) present in ``found``, row by row."""
    hits = sum(len(np.intersect1d(f[f >= 0], t[t >= 0])) for f, t in zip(found, truth, strict=True))
    total = int((truth >= 0).sum())
    return hits / total if total else 1.0
