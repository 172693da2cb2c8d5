"""The contract tables of docs/data-contract.md are generated from the code; this keeps them from drifting.
The README names the two commands and links the reference pages it relies on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from features.contract import SCHEMAS, contract_markdown

README = Path(__file__).resolve().parents[1] / "README.md"
CONTRACT = README.parent / "docs" / "data-contract.md"


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_contract_table_matches_the_code(kind: str) -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    block = re.search(rf"<!-- contract:{kind} -->\n(.*?)\n<!-- /contract:{kind} -->", text, re.S)
    assert block, f"docs/data-contract.md lacks the contract block for {kind}"
    assert block.group(1) == contract_markdown(kind), (
        f"the contract table for {kind} is out of date: regenerate it with `matcher contract {kind}`"
    )


def test_every_page_the_readme_links_exists() -> None:
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)#]+)", text)  # pages and the screenshots they show
    assert "docs/data-contract.md" in links
    missing = [link for link in links if not (README.parent / link).is_file()]
    assert not missing, f"README links pages that do not exist: {missing}"


def test_readme_names_the_two_commands_and_ci_calls_the_test_one() -> None:
    text = README.read_text(encoding="utf-8")
    assert "bash scripts/main.sh" in text and "bash scripts/test.sh" in text
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test.sh" in ci
