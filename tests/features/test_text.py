"""Text normalisation of every free-text cell."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from features.text import normalize_text, split_list


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("河池市宜州區(qū)", "河池市宜州区"),  # pinyin residue of seed 001, Traditional
        ("精準（zhǔn）施策", "精准施策"),  # full-width brackets, tone marks
        ("電焊工", "电焊工"),
        ("ＡＢＣ１２３，", "ABC123,"),  # full-width → half-width
        ("  叉车　司机\t ", "叉车 司机"),  # ideographic space, tabs, edges
        ("陝西省乾縣", "陕西省乾县"),  # 乾 is a Simplified character in 乾县: kept
        ("Excel(2016)", "Excel(2016)"),  # parentheses after Latin text are content
        ("hao3(hao3)", "hao3(hao3)"),
    ],
)
def test_normalize_text(raw: str, clean: str) -> None:
    assert normalize_text(raw) == clean


@pytest.mark.parametrize("empty", [None, "", "   ", float("nan"), "\u3000"])
def test_empty_cells_are_none(empty: object) -> None:
    assert normalize_text(empty) is None


def test_split_list_takes_every_separator_and_dedupes() -> None:
    assert split_list("电焊、叉车，家政;育婴；厨师 电工,电焊") == ["电焊", "叉车", "家政", "育婴", "厨师", "电工"]
    assert split_list(["電焊", "叉车、厨师"]) == ["电焊", "叉车", "厨师"]
    assert split_list(None) == [] and split_list("  ") == []


@given(st.text(max_size=60))
def test_normalisation_never_raises_and_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert once is None or normalize_text(once) == once
    for item in split_list(text):
        assert item and item == item.strip()
