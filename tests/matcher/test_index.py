"""VacancyIndex on seeded synthetic data (a checkerboard of clusters), exact search as truth."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matcher.index import VacancyIndex
from models.errors import ArtifactError

DIM = 32


def checkerboard(n: int, seed: int, cells: int = 64, spread: float = 0.35) -> np.ndarray:
    """Unit vectors around ``cells`` centres laid out like a checkerboard on the first axes.

    Centres are ±1 patterns on 6 axes (a 2^6 checkerboard) plus a random part
    drawn from a fixed seed, so every call shares the same clusters (posts and
    people of the same trades); ``seed`` draws which cell and the noise.
    """
    signs = ((np.arange(cells)[:, None] >> np.arange(6)) & 1) * 2.0 - 1.0
    rest = np.random.default_rng(12345).standard_normal((cells, DIM - 6))
    centres = np.hstack([signs, rest]).astype(np.float32)
    rng = np.random.default_rng(seed)
    x = centres[rng.integers(0, cells, n)] + spread * rng.standard_normal((n, DIM))
    x = x.astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def keys(n: int, start: int = 0) -> list[str]:
    return [f"V{i:06d}" for i in range(start, start + n)]


@pytest.fixture(scope="module")
def big() -> tuple[list[str], np.ndarray, np.ndarray]:
    return keys(30_000), checkerboard(30_000, seed=1), checkerboard(300, seed=2)


@pytest.fixture(scope="module")
def ivf(big: tuple[list[str], np.ndarray, np.ndarray]) -> VacancyIndex:
    ids, x, _ = big
    return VacancyIndex(DIM).build(ids, x)


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def test_ivf_recall_at_10_against_exact(big, ivf: VacancyIndex) -> None:
    ids, x, queries = big
    exact = VacancyIndex(DIM, exact_threshold=10**9).build(ids, x)
    assert ivf.kind == "ivf" and exact.kind == "flat"
    truth = exact.search(queries, 10).ids
    found = ivf.search(queries, 10).ids
    assert recall_at(found, truth) >= 0.95


def test_small_index_is_exact_and_matches_brute_force() -> None:
    x = checkerboard(500, seed=3)
    q = checkerboard(5, seed=4)
    index = VacancyIndex(DIM).build(keys(500), x)
    scores, ids = index.search(q, 10)
    brute = np.argsort(-(q @ x.T), axis=1)[:, :10]
    assert index.kind == "flat"
    assert ids.tolist() == [[f"V{i:06d}" for i in row] for row in brute]
    np.testing.assert_allclose(scores, np.take_along_axis(q @ x.T, brute, axis=1), rtol=1e-5)


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_add_remove_update_visible_without_rebuild(kind: str) -> None:
    n = 25_000
    x = checkerboard(n, seed=5)
    index = VacancyIndex(DIM, exact_threshold=20_000 if kind == "ivf" else 10**9)
    index.build(keys(n), x)
    assert index.kind == kind
    probe = checkerboard(1, seed=6)
    # add: a vector equal to the query must come first
    index.add(["NEW"], probe)
    assert index.search(probe, 3).ids[0, 0] == "NEW"
    # update: move it far away; it must no longer come first
    index.update(["NEW"], -probe)
    assert "NEW" not in index.search(probe, 10).ids[0]
    index.update(["NEW"], probe)
    assert index.search(probe, 1).ids[0, 0] == "NEW"
    # remove: never returned again, not even through a filter or a subset
    top = list(index.search(probe, 5).ids[0])
    assert index.remove(top) == 5
    assert index.remove(top) == 0
    again = index.search(probe, 50)
    assert not set(top) & set(again.ids[0])
    assert index.search(probe, 5, allowed=np.array(top)).ids[0].tolist() == [None] * 5
    assert index.search_subset(probe, top, 5).ids[0].tolist() == [None] * 5
    assert len(index) == n + 1 - 5


def test_ids_are_never_reused() -> None:
    x = checkerboard(10, seed=7)
    index = VacancyIndex(DIM).build(keys(10), x)
    first = index._store.ints["V000003"]
    index.remove(["V000003"])
    index.add(["V999999"], x[3:4])
    assert len(set(index._store.ints.values())) == len(index._store.ints)
    assert index._store.ints["V999999"] > first
    index.build(keys(10, start=5), checkerboard(10, seed=8))  # rebuild keeps known integers
    assert index._store.ints["V000005"] == 5
    assert "V000000" not in index and "V000014" in index


@pytest.mark.parametrize("size", [1, 3, 50, 9_000])
def test_allowed_filter_returns_only_allowed_and_fills_up(ivf: VacancyIndex, big, size) -> None:
    ids, x, queries = big
    rng = np.random.default_rng(size)
    allowed = np.array(ids, dtype=object)[rng.choice(len(ids), size, replace=False)]
    scores, found = ivf.search(queries[:20], 10, allowed=allowed)
    want = min(10, size)
    for row in found:
        got = [v for v in row if v is not None]
        assert len(got) == want
        assert set(got) <= set(allowed)
    assert np.isneginf(scores[:, want:]).all()
    # the filtered result is the exact top among the allowed ones
    exact = ivf.search_subset(queries[:20], list(allowed), 10)
    assert recall_at(found[:, :want], exact.ids[:, :want]) >= 0.95


def test_allowed_per_query_and_unknown_ids(ivf: VacancyIndex, big) -> None:
    ids, _, queries = big
    per_query = [np.array([ids[0], ids[1]]), np.array(["nope"]), np.array(ids[:5000])]
    result = ivf.search(queries[:3], 4, allowed=per_query)
    assert set(result.ids[0][:2]) == {ids[0], ids[1]} and result.ids[0][2] is None
    assert result.ids[1].tolist() == [None] * 4
    assert set(result.ids[2]) <= set(ids[:5000])
    assert ivf.search(queries[:2], 4, allowed=np.array([], dtype=str)).ids.tolist() == [[None] * 4] * 2


def test_search_subset_is_exact(ivf: VacancyIndex, big) -> None:
    ids, x, queries = big
    subset = ids[100:400]
    result = ivf.search_subset(queries[0], subset, 5)
    sims = queries[0] @ x[100:400].T
    best = np.argsort(-sims)[:5]
    assert result.ids[0].tolist() == [subset[i] for i in best]
    np.testing.assert_allclose(result.scores[0], sims[best], rtol=1e-5)


def test_save_load_round_trip(tmp_path, ivf: VacancyIndex, big) -> None:
    _, _, queries = big
    ivf.save(tmp_path / "idx")
    loaded = VacancyIndex.load(tmp_path / "idx")
    assert loaded.kind == "ivf" and loaded.nprobe_ == ivf.nprobe_ and len(loaded) == len(ivf)
    before, after = ivf.search(queries, 10), loaded.search(queries, 10)
    assert after.ids.tolist() == before.ids.tolist()
    np.testing.assert_array_equal(after.scores, before.scores)
    loaded.add(["LATE"], queries[:1])  # the id map continues after load
    assert loaded.search(queries[:1], 1).ids[0, 0] == "LATE"


def test_load_refuses_other_format(tmp_path) -> None:
    index = VacancyIndex(DIM).build(keys(10), checkerboard(10, seed=9))
    index.save(tmp_path / "idx")
    path = tmp_path / "idx" / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    manifest["format"] = 2
    path.write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(ArtifactError, match="has format 2, this program reads format 1"):
        VacancyIndex.load(tmp_path / "idx")


def test_bad_input_is_refused() -> None:
    index = VacancyIndex(DIM).build(keys(10), checkerboard(10, seed=10))
    with pytest.raises(ValueError, match="expected shape"):
        index.search(np.zeros((1, DIM + 1), dtype=np.float32), 3)
    with pytest.raises(ValueError, match="already indexed"):
        index.add(["V000001"], checkerboard(1, seed=11))
    with pytest.raises(ValueError, match="duplicate"):
        index.build(["a", "a"], checkerboard(2, seed=12))
    empty = VacancyIndex(DIM)
    assert empty.search(np.ones(DIM, dtype=np.float32), 2).ids.tolist() == [[None, None]]
