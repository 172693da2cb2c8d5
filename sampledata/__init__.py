"""A realistic synthetic poor county: ledger, posts, households and placement history.

The sample imitates a national-level poor county (default 永寿县, 陕西省咸阳市)
with real place names and coordinates from :mod:`features.geo`, real
occupation codes of the 2022 classification, the proportions of the seed
documents, and deliberately dirty clerk-written text. Placements come from a
hidden preference model (:mod:`sampledata.preferences`) that the matcher and
the learned models must never import.

Public API
----------
generate(laborers, vacancies, seed, out, county) -> SampleSummary
    Build a sample and write ``laborers.csv``, ``vacancies.csv``,
    ``placements.csv`` and ``households.csv``.
build_sample(laborers, vacancies, seed, county) -> SampleCounty
    The same in memory, with the hidden truth (for tests and evaluation).
write_sample(sample, out) -> SampleSummary
"""

from sampledata.generator import (
    AS_OF,
    HOUSEHOLD_COLUMNS,
    LABORER_COLUMNS,
    PLACEMENT_COLUMNS,
    VACANCY_COLUMNS,
    SampleCounty,
    SampleSummary,
    build_sample,
    generate,
    write_sample,
)

__all__ = [
    "AS_OF",
    "HOUSEHOLD_COLUMNS",
    "LABORER_COLUMNS",
    "PLACEMENT_COLUMNS",
    "VACANCY_COLUMNS",
    "SampleCounty",
    "SampleSummary",
    "build_sample",
    "generate",
    "write_sample",
]
