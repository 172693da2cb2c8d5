"""Benchmark of matcher.index.VacancyIndex on 100,000 seeded synthetic vectors.

Run: ``.venv/bin/python tests/benchmarks/bench_index.py [--n 100000] [--dim 214]``

Prints build time, calibrated nprobe, single-query latency (warm, p50/p99),
batch throughput, recall@10 against exact search, filtered-search latency,
and the cost of single add/remove/update. The default dimension is the
encoder's default output width (96 text + 112 occupation + 6).
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np

from matcher.index import VacancyIndex


def clustered(n: int, dim: int, seed: int, cells: int = 400, spread: float = 0.6) -> np.ndarray:
    """Unit vectors around ``cells`` fixed centres (shared by every call), seeded noise."""
    centres = np.random.default_rng(777).standard_normal((cells, dim)).astype(np.float32)
    rng = np.random.default_rng(seed)
    x = centres[rng.integers(0, cells, n)]
    x = x + spread * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=214)
    parser.add_argument("--queries", type=int, default=2_000)
    args = parser.parse_args()
    n, dim = args.n, args.dim
    ids = [f"V{i:07d}" for i in range(n)]
    x = clustered(n, dim, seed=1)
    queries = clustered(args.queries, dim, seed=2)
    print(f"n={n} dim={dim} queries={len(queries)} faiss threads={faiss.omp_get_max_threads()}")

    started = time.perf_counter()
    index = VacancyIndex(dim).build(ids, x, calibration_queries=queries[:500])
    build_s = time.perf_counter() - started
    print(
        f"build: {build_s:.2f}s kind={index.kind} nlist={getattr(index._index, 'nlist', '-')}"
        f" nprobe={index.nprobe_} calibration recall@10={index.calibration_recall_}"
    )
    exact = VacancyIndex(dim, exact_threshold=n + 1).build(ids, x)

    held_out = queries[500:]
    truth = exact.search(held_out, 10).ids
    found = index.search(held_out, 10).ids
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    print(f"recall@10 (held-out queries vs exact): {recall:.4f}")

    for name, idx in (("ivf", index), ("exact", exact)):
        for q in queries[:50]:  # warm up
            idx.search(q, 10)
        times = []
        for q in queries[:1000]:
            t0 = time.perf_counter()
            idx.search(q, 10)
            times.append(time.perf_counter() - t0)
        ms = np.array(times) * 1e3
        t0 = time.perf_counter()
        idx.search(queries, 10)
        batch_s = time.perf_counter() - t0
        print(
            f"{name}: single query p50={np.percentile(ms, 50):.3f}ms "
            f"p99={np.percentile(ms, 99):.3f}ms; batch of {len(queries)}: "
            f"{len(queries) / batch_s:,.0f} queries/s"
        )

    rng = np.random.default_rng(3)
    for share in (0.0005, 0.01, 0.3):
        allowed = np.array(ids, dtype=object)[rng.choice(n, int(share * n), replace=False)]
        t0 = time.perf_counter()
        result = index.search(queries[:200], 10, allowed=allowed)
        per_q = (time.perf_counter() - t0) / 200 * 1e3
        full = np.mean([sum(v is not None for v in row) for row in result.ids])
        print(
            f"filtered search, {len(allowed)} allowed: {per_q:.3f}ms/query (batch of 200), {full:.1f} results per row"
        )

    new = clustered(100, dim, seed=4)
    t0 = time.perf_counter()
    for i in range(100):
        index.add([f"NEW{i}"], new[i])
    add_ms = (time.perf_counter() - t0) * 10
    t0 = time.perf_counter()
    for i in range(100):
        index.update([f"NEW{i}"], new[99 - i])
    update_ms = (time.perf_counter() - t0) * 10
    t0 = time.perf_counter()
    for i in range(100):
        index.remove([f"NEW{i}"])
    remove_ms = (time.perf_counter() - t0) * 10
    print(f"single add {add_ms:.2f}ms, update {update_ms:.2f}ms, remove {remove_ms:.2f}ms")


if __name__ == "__main__":
    main()
