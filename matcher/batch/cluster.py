"""Compute a batch's partitions on a Dask distributed cluster.

``matcher batch --scheduler tcp://host:8786`` connects to a running cluster;
``--workers N`` starts a :class:`distributed.LocalCluster` of ``N`` single-threaded
worker processes for the duration of the run. Either way the driver (the only
process that sees ``MATCHER_HOME`` and the store) ships everything a worker
needs, so no shared filesystem is assumed:

* once per worker — one :class:`WorkerPayload`, broadcast with
  ``client.scatter(..., broadcast=True)``: the artifact directory packed as an
  in-memory tar, the vacancies frame of the run, the run's day and the policy as
  plain data (``Policy.to_dict()``). The first task on a worker unpacks the tar
  into the worker's local directory and builds its :class:`BatchContext` there;
  later tasks reuse it from a module-level cache keyed by the payload's digest;
* once per partition — the county's people to compute and their households.

Results come back to the driver in the order of ``work``, as they are needed,
so the runner writes (and can later ``--resume``) partition by partition while
the cluster keeps at most a few partitions ahead of it. Partitions with nobody
to recompute are answered on the driver without a task. The client (and the
local cluster) are closed at the end, and each worker's context is dropped.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sys
import tarfile
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from matcher.batch.engine import BatchContext, PartitionOutput
from matcher.errors import MatcherError

if TYPE_CHECKING:
    from matcher.batch.runner import BatchOptions

__all__ = ["WorkerPayload", "compute_on_dask", "pack_directory", "worker_versions"]

#: Libraries whose versions must agree between driver and workers: the artifact is
#: read with them (joblib-pickled scikit-learn objects, faiss indexes, numpy arrays).
VERSIONED = ("jobmatch-fupin", "numpy", "pandas", "scikit-learn", "faiss-cpu", "dask", "distributed")

_contexts: dict[str, tuple[BatchContext, Path]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class WorkerPayload:
    """What every worker receives once: artifact, posts, day and policy (all plain data)."""

    key: str
    artifact_name: str
    artifact_tar: bytes
    vacancies: pd.DataFrame
    today: str
    policy: dict[str, Any]


def pack_directory(path: Path) -> bytes:
    """The directory ``path`` as an uncompressed tar in memory, its files under ``path.name/``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(path, arcname=path.name)
    return buffer.getvalue()


def _payload(context: BatchContext) -> WorkerPayload:
    model_dir = Path(context.model.path)
    tar = pack_directory(model_dir)
    vacancies = context.posts.frame
    policy = context.policy.to_dict()
    digest = hashlib.sha256(tar)
    digest.update(pd.util.hash_pandas_object(vacancies[["vacancy_id", "content_hash"]], index=False).to_numpy())
    digest.update(context.today.isoformat().encode())
    digest.update(json.dumps(policy, sort_keys=True, default=str).encode())
    return WorkerPayload(
        f"{model_dir.name}-{digest.hexdigest()[:16]}", model_dir.name, tar, vacancies, context.today.isoformat(), policy
    )


def _worker_context(payload: WorkerPayload) -> BatchContext:
    """This worker's context for ``payload``: built on first use, then cached; older ones dropped."""
    import datetime as dt

    with _lock:
        hit = _contexts.get(payload.key)
        if hit is not None:
            return hit[0]
        for key in list(_contexts):
            _drop(key)
        try:
            from distributed import get_worker

            base = Path(get_worker().local_directory)
        except (ImportError, ValueError):
            base = Path(tempfile.gettempdir())
        target = Path(tempfile.mkdtemp(prefix=f"matcher-{payload.key}-", dir=base))
        with tarfile.open(fileobj=io.BytesIO(payload.artifact_tar), mode="r") as tar:
            tar.extractall(target, filter="data")
        context = BatchContext(
            str(target / payload.artifact_name), payload.vacancies, dt.date.fromisoformat(payload.today), payload.policy
        )
        _contexts[payload.key] = (context, target)
        return context


def _drop(key: str) -> bool:
    entry = _contexts.pop(key, None)
    if entry is None:
        return False
    shutil.rmtree(entry[1], ignore_errors=True)
    return True


def _release(key: str) -> bool:
    """Run on every worker at the end: free the model and remove its unpacked copy."""
    with _lock:
        return _drop(key)


def _partition_task(
    payload: WorkerPayload, county: str, laborers: pd.DataFrame, households: pd.DataFrame, k: int, block: int
) -> PartitionOutput:
    return _worker_context(payload).run_partition(county, laborers, households, k, block)


def worker_versions() -> dict[str, str]:
    """Python and library versions of this process (compared between driver and workers)."""
    found = {"python": f"{sys.version_info.major}.{sys.version_info.minor}"}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def _connect(options: BatchOptions) -> tuple[Any, Any]:
    """``(client, cluster_or_None)``: a client of the scheduler, or of a local cluster started here."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise MatcherError(
            'running on Dask needs dask.distributed: pip install "dask[distributed]"',
            '在 Dask 上运行需要安装 dask.distributed：pip install "dask[distributed]"',
        ) from None
    if options.scheduler:
        try:
            return Client(options.scheduler, timeout="30s"), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise MatcherError(
                f"--scheduler {options.scheduler!r}: cannot reach a Dask scheduler there ({exc.__class__.__name__}); "
                "expected the address dask-scheduler prints, such as tcp://10.0.0.5:8786",
                f"--scheduler「{options.scheduler}」：无法连接 Dask 调度器，应为 dask-scheduler 打印的地址，"
                "如 tcp://10.0.0.5:8786",
            ) from None
    cluster = LocalCluster(
        n_workers=int(options.workers or 1), threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster), cluster


def _check_workers(client: Any) -> int:
    """Refuse workers whose Python or libraries differ from the driver's; returns the worker count."""
    client.wait_for_workers(1, timeout=120)
    mine = worker_versions()
    try:
        theirs = client.run(worker_versions)
    except Exception as exc:  # an unpicklable reference means the package is missing on a worker
        raise MatcherError(
            f"a Dask worker cannot run the matcher ({exc.__class__.__name__}: {exc}); install the "
            "same jobmatch-fupin version on every worker",
            "Dask 工作节点无法运行匹配程序，请在每个工作节点安装相同版本的 jobmatch-fupin",
        ) from None
    for address, versions in theirs.items():
        differ = {name: (versions.get(name), mine[name]) for name in mine if versions.get(name) != mine[name]}
        if differ:
            shown = ", ".join(f"{name} {w} (driver {d})" for name, (w, d) in differ.items())
            raise MatcherError(
                f"Dask worker {address} differs from the driver: {shown}; install the same versions on every worker",
                f"Dask 工作节点 {address} 的版本与主节点不同：{shown}；请在所有节点安装相同版本",
            )
    return len(theirs)


def compute_on_dask(
    context: BatchContext,
    work: list[tuple[str, pd.DataFrame, pd.DataFrame]],
    households: pd.DataFrame,
    options: BatchOptions,
) -> Iterator[PartitionOutput]:
    """Partition outputs for ``work`` (``(county, laborers_to_compute, all_members)``), in its order.

    Parameters
    ----------
    context : BatchContext
        The driver's context; its artifact directory, posts frame, day and policy are shipped.
    work : list of (str, pandas.DataFrame, pandas.DataFrame)
        Partitions to compute.
    households : pandas.DataFrame
        Households of the run (each task receives only its people's households).
    options : BatchOptions
        ``scheduler`` or ``workers``, ``candidates`` (list length) and ``block``.

    Yields
    ------
    PartitionOutput
        One per item of ``work``, in that order; the cluster runs a few partitions ahead.
    """
    if not any(len(sub) for _, sub, _ in work):
        for county, sub, _ in work:
            yield context.run_partition(county, sub, households, options.candidates, options.block)
        return
    client, cluster = _connect(options)
    payload_key = None
    try:
        workers = _check_workers(client)
        payload = _payload(context)
        payload_key = payload.key
        [shipped] = client.scatter([payload], broadcast=True, hash=False)
        ahead = max(4, 3 * workers)
        pending: deque[tuple[str, pd.DataFrame, Any]] = deque()
        queue = deque(enumerate(work))

        def submit() -> None:
            while queue and len(pending) < ahead:
                n, (county, sub, _) = queue.popleft()
                if not len(sub):
                    pending.append((county, sub, None))
                    continue
                homes = households[households["household_id"].isin(sub["household_id"])]
                future = client.submit(
                    _partition_task,
                    shipped,
                    county,
                    sub,
                    homes,
                    options.candidates,
                    options.block,
                    key=f"matcher-partition-{payload.key}-{n}-{county}",
                    priority=len(work) - n,
                    retries=1,
                )
                pending.append((county, sub, future))

        submit()
        while pending:
            county, sub, future = pending.popleft()
            if future is None:
                out = context.run_partition(county, sub, households, options.candidates, options.block)
            else:
                out = future.result()
                future.release()
            submit()
            yield out
    finally:
        if payload_key is not None:
            try:
                client.run(_release, payload_key)
            except Exception:  # a worker that died has freed its memory anyway
                pass
        client.close()
        if cluster is not None:
            cluster.close()
