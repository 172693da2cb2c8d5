"""Atomic publish: kill -9 and a full disk mid-run leave the previous run served; --resume skips finished work."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from matcher.batch.engine import BatchContext
from matcher.batch.runs import RunDir, read_table
from tests.matcher.batch.conftest import COUNTIES, BatchCounty, assert_same_results, batch, latest_run, results

REPO = Path(__file__).resolve().parents[3]
#: ``matcher batch --full --no-congestion`` whose partitions after the first sleep, so a kill lands mid-run.
SLOW_BATCH = """
import sys, time
import matcher.batch.engine as engine
original = engine.BatchContext.run_partition
calls = []
def slow(self, *args, **kwargs):
    if calls:
        time.sleep(120)
    calls.append(1)
    return original(self, *args, **kwargs)
engine.BatchContext.run_partition = slow
from service.cli import main
sys.argv = ["matcher", "batch", "--full", "--no-congestion"]
main()
"""


def _snapshot(run: RunDir) -> dict[str, pd.DataFrame]:
    return results(run)


def _recommend_latest(laborer_id: str) -> dict[str, object]:
    from service.cli import app

    out = CliRunner().invoke(app, ["recommend", laborer_id, "--from-run", "latest", "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def _wait_for(predicate, seconds: float, proc: subprocess.Popen) -> None:  # type: ignore[no-untyped-def,type-arg]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            detail = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"batch ended early with {proc.returncode}: {detail}")
        time.sleep(0.2)
    raise AssertionError("the batch never wrote its first partition")


def test_kill_9_mid_run_keeps_the_previous_run_and_the_next_run_starts_clean(batch_copy: BatchCounty) -> None:
    before = latest_run()
    assert before.run_id == batch_copy.baseline
    frames = _snapshot(before)
    person = read_table(before, "suggestions")["laborer_id"].iloc[0]
    served = _recommend_latest(person)
    env = {**os.environ, "MATCHER_HOME": str(batch_copy.home), "MATCHER_DATABASE_URL": batch_copy.db_url}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_BATCH], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:

        def first_partition_written() -> bool:
            return any(
                p.is_dir() and any((p / "people").glob("county_code=*/part.parquet"))
                for p in batch_copy.runs.glob("*.partial")
            )

        _wait_for(first_partition_written, 120, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    [stale] = list(batch_copy.runs.glob("*.partial"))
    assert json.loads((stale / "run.json").read_text(encoding="utf-8"))["status"] == "running"
    # Readers still see the previous run, whole.
    assert (batch_copy.runs / "LATEST").read_text(encoding="utf-8").strip() == before.run_id
    after = latest_run()
    assert after.record["status"] == "complete"
    for part, frame in _snapshot(after).items():
        pd.testing.assert_frame_equal(frame, frames[part])
    assert _recommend_latest(person) == served
    # The next run removes the stale directory and publishes.
    fresh = batch(batch_copy.engine, full=True)
    assert not stale.exists() and not list(batch_copy.runs.glob("*.partial"))
    assert latest_run().run_id == fresh.run_id != before.run_id
    assert fresh.record["status"] == "complete"
    assert _recommend_latest(person)["run_id"] == fresh.run_id


def test_full_disk_mid_run_keeps_the_previous_run_and_records_the_failure(
    batch_copy: BatchCounty, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = latest_run()
    frames = _snapshot(before)
    original = RunDir.write_table  # every partition file goes through it
    written: list[str] = []

    def full_disk(self: RunDir, part: str, county: str, table: pa.Table) -> None:
        if len(written) >= 5:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.part_path(part, county)))
        written.append(part)
        original(self, part, county, table)

    monkeypatch.setattr(RunDir, "write_table", full_disk)
    with pytest.raises(OSError) as caught:
        batch(batch_copy.engine, full=True)
    assert caught.value.errno == errno.ENOSPC
    assert latest_run().run_id == before.run_id
    for part, frame in _snapshot(latest_run()).items():
        pd.testing.assert_frame_equal(frame, frames[part])
    [failed] = list(batch_copy.runs.glob("*.partial"))
    record = json.loads((failed / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "failed"
    assert any("OSError" in e and "No space left" in e for e in record["errors"]), record["errors"]


def test_resume_continues_a_partial_run_and_skips_finished_partitions(
    batch_copy: BatchCounty, monkeypatch: pytest.MonkeyPatch
) -> None:
    original_write = RunDir.write_table

    def fail_on_second_county(self: RunDir, part: str, county: str, table: pa.Table) -> None:
        if county == COUNTIES[1]:
            raise OSError(errno.ENOSPC, "disk full (test)")
        original_write(self, part, county, table)

    with monkeypatch.context() as mp:
        mp.setattr(RunDir, "write_table", fail_on_second_county)
        with pytest.raises(OSError):
            batch(batch_copy.engine, full=True)
    [partial] = list(batch_copy.runs.glob("*.partial"))
    run_id = partial.name.removesuffix(".partial")
    assert RunDir(run_id, partial).done_partitions() == {COUNTIES[0]}

    computed: list[str] = []
    original_partition = BatchContext.run_partition

    def spy(self: BatchContext, county: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        computed.append(county)
        return original_partition(self, county, *args, **kwargs)

    monkeypatch.setattr(BatchContext, "run_partition", spy)
    resumed = batch(batch_copy.engine, full=True, resume=run_id)
    assert computed == list(COUNTIES[1:])
    assert resumed.run_id == run_id and latest_run().run_id == run_id
    assert resumed.record["status"] == "complete" and resumed.record["resumed_at"]
    assert not partial.exists()
    assert_same_results(resumed, latest_run(run_id=batch_copy.baseline))


def test_background_writes_keep_their_order_and_stop_at_the_first_failure() -> None:
    """Partition files are written by a background thread: in the order handed over, and nothing after a
    failed write (a county whose candidates failed never gets its ``people`` file, so it is not done)."""
    from matcher.batch.runs import BackgroundWrites

    done: list[str] = []

    def write(name: str) -> None:
        if name == "candidates of 2":
            raise OSError(errno.ENOSPC, "disk full (test)")
        done.append(name)

    writes = BackgroundWrites()
    names = [f"{part} of {county}" for county in (1, 2, 3) for part in ("candidates", "flags", "people")]
    with pytest.raises(OSError, match="disk full"):
        for name in names:
            writes.submit(write, name)
        writes.wait()
    writes.close()
    assert done == names[:3]
