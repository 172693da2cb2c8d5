"""Fixtures of the rendering tests: the trained sample county of ``tests/matcher/conftest.py`` and a published run.

``published`` copies the county's store and artifact into a private data directory and runs
``run_batch`` once per module.
"""

from __future__ import annotations

from tests.matcher.conftest import (  # noqa: F401 - the trained sample county and its published run, reused
    Published,
    county,
    county_copy,
    published,
)
