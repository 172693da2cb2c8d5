"""The notebooks run headless on the sample data (``jupyter nbconvert --execute``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["01-matching-quality.ipynb"])
def test_notebook_executes(name: str, tmp_path: Path) -> None:
    copy = tmp_path / name
    shutil.copy2(NOTEBOOKS / name, copy)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--inplace",
            "--ExecutePreprocessor.timeout=600",
            str(copy),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=NOTEBOOKS.parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    import nbformat

    executed = nbformat.read(copy, as_version=4)
    errors = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, errors
    text = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "full pipeline" in text and "recall@10" in text
