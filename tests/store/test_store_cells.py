"""Formula neutralisation (store/cells.py): property-tested over arbitrary text."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from store.cells import is_formula_like, safe_frame, safe_text


@given(st.text())
def test_no_safe_text_reads_as_a_formula(text: str) -> None:
    out = safe_text(text)
    assert not is_formula_like(out)
    assert out == text or out == "'" + text


def test_known_payloads_are_quoted() -> None:
    for payload in ('=HYPERLINK("http://x","a")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1"):
        assert safe_text(payload).startswith("'"), payload
    assert safe_text("张三") == "张三"


def test_frame_numbers_stay_numbers() -> None:
    frame = pd.DataFrame({"=name": ["=1+1", "李四"], "n": [-3, 4]})
    out = safe_frame(frame)
    assert list(out.columns) == ["'=name", "n"]
    assert out["'=name"].tolist() == ["'=1+1", "李四"]
    assert out["n"].tolist() == [-3, 4]
