"""The Dask path: a LocalCluster of two worker processes gives the single-process results."""

from __future__ import annotations

import pytest

from matcher.batch.cluster import pack_directory, worker_versions
from tests.matcher.batch.conftest import BatchCounty, assert_same_results, batch, latest_run


def test_local_cluster_equals_single_process(batch_copy: BatchCounty) -> None:
    pytest.importorskip("distributed")
    run = batch(batch_copy.engine, full=True, workers=2)
    assert run.record["status"] == "complete"
    assert run.record["options"]["workers"] == 2
    assert_same_results(run, latest_run(run_id=batch_copy.baseline))


def test_artifact_travels_as_one_tar(batch_env: BatchCounty) -> None:
    import io
    import tarfile

    model_dir = sorted(p for p in (batch_env.home / "artifacts").iterdir() if p.is_dir())[-1]
    with tarfile.open(fileobj=io.BytesIO(pack_directory(model_dir))) as tar:
        names = tar.getnames()
    assert f"{model_dir.name}/manifest.json" in names
    assert all(n == model_dir.name or n.startswith(f"{model_dir.name}/") for n in names)
    assert worker_versions()["python"].count(".") == 1
