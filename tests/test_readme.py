"""The README's contract tables are generated from the code; this keeps them from drifting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from features.contract import SCHEMAS, contract_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_readme_contract_table_matches_the_code(kind: str) -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(rf"<!-- contract:{kind} -->\n(.*?)\n<!-- /contract:{kind} -->", text, re.S)
    assert block, f"README lacks the contract block for {kind}"
    assert block.group(1) == contract_markdown(kind), (
        f"README contract table for {kind} is out of date: regenerate it with `matcher contract {kind}`"
    )


def test_readme_names_the_two_commands_and_ci_calls_the_test_one() -> None:
    text = README.read_text(encoding="utf-8")
    assert "bash scripts/main.sh" in text and "bash scripts/test.sh" in text
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test.sh" in ci
