"""One batch run at a time: the run lock names its holder, dies with it, and killed runs are closed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from matcher.batch.runs import LOCK_NAME, RunBusyError, RunDir, runs_root
from matcher.errors import MatcherError
from store import load_batch_runs, record_batch_run
from store.runs import close_stale_batch_runs
from tests.matcher.batch.conftest import BatchCounty, batch

REPO = Path(__file__).resolve().parents[3]
HOLD = """
import sys, time
from pathlib import Path
from matcher.batch.runs import run_lock
with run_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(600)
"""


def _holder(root: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held", (
        proc.stderr.read() if proc.stderr else ""
    )
    return proc


def _dead_partial(root: Path, run_id: str) -> Path:
    """A run directory as ``kill -9`` leaves it: ``.partial``, its record still says running."""
    path = root / f"{run_id}.partial"
    path.mkdir(parents=True)
    record = {"run_id": run_id, "status": "running", "started_at": "2026-01-01T00:00:00", "options": {}, "errors": []}
    (path / "run.json").write_text(json.dumps(record), encoding="utf-8")
    return path


def test_a_second_run_is_refused_naming_the_holder_and_goes_once_the_holder_dies(batch_copy: BatchCounty) -> None:
    root = runs_root(batch_copy.home)
    live = _dead_partial(root, "R20260101T000000000001")  # the holder's run, as far as anyone can see
    proc = _holder(root)
    try:
        with pytest.raises(RunBusyError) as caught:
            batch(batch_copy.engine)
        assert caught.value.holder["pid"] == proc.pid
        assert str(proc.pid) in caught.value.message_zh and str(proc.pid) in caught.value.message_en
        assert caught.value.category == "conflict"
        assert live.exists(), "a refused run removed the live run's partial directory"
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # however it dies, the kernel drops its lock
        proc.wait()
    run = batch(batch_copy.engine)
    assert run.record["status"] == "complete"
    assert not live.exists()  # removed by the run that holds the lock …
    runs = load_batch_runs(batch_copy.engine).set_index("run_id")
    assert runs.loc["R20260101T000000000001", "status"] == "failed"  # … after it was closed as failed
    assert runs.loc[run.run_id, "status"] == "complete"
    assert (root / LOCK_NAME).read_text(encoding="utf-8") == ""  # released: nobody named


def test_stale_running_rows_of_this_data_directory_are_closed(batch_copy: BatchCounty, tmp_path: Path) -> None:
    root = runs_root(batch_copy.home)
    import datetime as dt

    started = dt.datetime(2026, 1, 1)
    record_batch_run(batch_copy.engine, run_id="Rmine", status="running", started_at=started, path=str(root / "Rmine"))
    other = tmp_path / "other_home" / "runs" / "Rtheirs"
    record_batch_run(batch_copy.engine, run_id="Rtheirs", status="running", started_at=started, path=str(other))
    assert close_stale_batch_runs(batch_copy.engine, root) == 1
    runs = load_batch_runs(batch_copy.engine).set_index("run_id")
    assert runs.loc["Rmine", "status"] == "failed" and runs.loc["Rtheirs", "status"] == "running"


def test_publish_refuses_a_run_missing_a_planned_county(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    path = root / "R1.partial"
    (path / "people" / "county_code=610426").mkdir(parents=True)
    (path / "people" / "county_code=610426" / "part.parquet").write_bytes(b"x")
    run = RunDir("R1", path, {"run_id": "R1", "status": "running", "planned": ["610426", "610424"]})
    with pytest.raises(MatcherError) as caught:
        run.publish(root)
    assert "610424" in str(caught.value)
    assert path.exists() and not (root / "LATEST").exists() and not (root / "R1").exists()


def test_the_lock_is_free_again_after_a_failed_run(batch_copy: BatchCounty, monkeypatch: pytest.MonkeyPatch) -> None:
    import matcher.batch.runner as runner

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    with monkeypatch.context() as patch:
        patch.setattr(runner, "finish", boom)
        with pytest.raises(RuntimeError):
            batch(batch_copy.engine)
    assert (runs_root(batch_copy.home) / LOCK_NAME).read_text(encoding="utf-8") == ""
    assert batch(batch_copy.engine).record["status"] == "complete"  # not refused: the failed run let go
