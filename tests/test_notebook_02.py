"""``notebooks/02-nightly-run.ipynb`` runs headless on the sample county (about a minute)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbconvert.preprocessors import ExecutePreprocessor

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02-nightly-run.ipynb"


@pytest.mark.slow
def test_nightly_run_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The notebook makes its own temporary MATCHER_HOME; TMPDIR keeps it inside this test's directory.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    for name in ("MATCHER_HOME", "MATCHER_DATABASE_URL", "MATCHER_POLICY"):
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    ExecutePreprocessor(timeout=300, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(NOTEBOOK.parent)}})
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "recomputed" in text and "copied" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 5
    assert os.listdir(tmp_path)  # the notebook wrote under the test's TMPDIR
