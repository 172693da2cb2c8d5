"""The page templates' own words: Chinese labels, never a code or statistics jargon a caseworker cannot read.

What a template shows comes from two places: its literal text (checked here, every template) and
the values it fills in, which go through the ``word`` filter (``service/web/labels.py``) and are
checked on rendered pages by the page tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).resolve().parents[3] / "service" / "web" / "templates").glob("*.html"))
#: Codes and jargon (the same list the export scan uses), and any snake_case word.
JARGON = re.compile(
    r"\b(?:home_based|workshop_home|workshop_factory|workshop_base|public_welfare|online|tfidf|gini|p99|"
    r"exposure\w*|top-k|shortfall|flag)\b|\b[a-z]+(?:_[a-z0-9]+)+\b",
    re.IGNORECASE,
)


def shown_text(template: str) -> str:
    """The literal text a template puts on the page: Jinja blocks, tags, attributes and scripts removed."""
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", template, flags=re.DOTALL)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.DOTALL)
    return re.sub(r"<[^>]*>", "\n", text)


def test_there_are_templates() -> None:
    assert len(TEMPLATES) >= 10


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_a_template_shows_no_code_or_jargon(path: Path) -> None:
    lines = [line.strip() for line in shown_text(path.read_text(encoding="utf-8")).splitlines() if line.strip()]
    bad = [line for line in lines if JARGON.search(line)]
    assert bad == [], bad


def test_the_scan_finds_a_code() -> None:
    assert JARGON.search(shown_text("<dd>{{ x }} home_based</dd>"))
    jinja = "<dd>{{ r.kind|word('kind') }}{% if d.relation != 'online' %}x{% endif %}</dd>"
    assert not JARGON.search(shown_text(jinja))
