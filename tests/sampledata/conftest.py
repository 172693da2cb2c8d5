"""Small seeded samples shared by the sampledata tests."""

from __future__ import annotations

import pytest

from sampledata import SampleCounty, build_sample


@pytest.fixture(scope="session")
def sample() -> SampleCounty:
    """12,000 laborers and 1,500 posts in 永寿县 (enough for 2 public-welfare posts per village)."""
    return build_sample(laborers=12_000, vacancies=1_500, seed=3)


@pytest.fixture(scope="session")
def small() -> SampleCounty:
    """A small default-shaped sample."""
    return build_sample(laborers=1_500, vacancies=200, seed=11)
