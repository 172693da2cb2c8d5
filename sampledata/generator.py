"""Assemble a sample county and write its four CSV files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.contract.vocab import EMPLOYED_STATUSES
from features.taxonomy import DEFAULT_TAXONOMY_PATH
from sampledata.catalog import OCCUPATIONS
from sampledata.geography import Geography, build_geography
from sampledata.history import History, simulate_history
from sampledata.laborers import make_ledger
from sampledata.vacancies import make_posts

__all__ = [
    "AS_OF",
    "LABORER_COLUMNS",
    "VACANCY_COLUMNS",
    "PLACEMENT_COLUMNS",
    "HOUSEHOLD_COLUMNS",
    "SampleCounty",
    "SampleSummary",
    "build_sample",
    "write_sample",
    "generate",
    "check_occupation_codes",
]

#: The ledger's reference date: ages are completed years on this day, history ends here.
#: The sample's "today": the ledger is current, its two years of history end today,
#: and its posts are open now (a sample dated in the past would show every post expired).
AS_OF = dt.date.today()
#: The shipped occupational classification (features/data/occupations/csco2022.csv).
OCCUPATIONS_CSV = DEFAULT_TAXONOMY_PATH

LABORER_COLUMNS: tuple[str, ...] = (
    "laborer_id",
    "name",
    "id_number",
    "phone",
    "gender",
    "age",
    "birth_date",
    "household_id",
    "province",
    "city",
    "county",
    "town",
    "village",
    "lat",
    "lon",
    "education",
    "disability",
    "health",
    "skills",
    "certificates",
    "job_intention",
    "wants_job",
    "wants_training",
    "wants_business",
    "training_interest",
    "mobility",
    "care_duties",
    "employment_status",
    "expected_wage",
    "registered_poor",
    "updated_at",
)
VACANCY_COLUMNS: tuple[str, ...] = (
    "vacancy_id",
    "employer_id",
    "employer_name",
    "kind",
    "title",
    "occupation_code",
    "description",
    "required_skills",
    "required_certificates",
    "openings",
    "province",
    "city",
    "county",
    "town",
    "village",
    "lat",
    "lon",
    "wage_min",
    "wage_max",
    "wage_unit",
    "hours",
    "age_min",
    "age_max",
    "physical_demand",
    "training_provided",
    "transport_provided",
    "lodging_provided",
    "start_date",
    "end_date",
    "status",
    "updated_at",
)
PLACEMENT_COLUMNS: tuple[str, ...] = (
    "placement_id",
    "laborer_id",
    "vacancy_id",
    "outcome",
    "date",
    "source",
)
HOUSEHOLD_COLUMNS: tuple[str, ...] = (
    "household_id",
    "province",
    "city",
    "county",
    "town",
    "village",
    "members",
    "registered_poor",
    "zero_employment",
    "head_laborer_id",
)
_STATUS_OF_SLOT = {"far": "employed_away", "pw": "public_welfare"}


@dataclass(frozen=True)
class SampleCounty:
    """A generated sample with its hidden truth.

    ``laborers`` and ``vacancies`` keep hidden columns (prefixed ``_``: true
    occupation, exact home, capacity …); :meth:`public` drops them.
    ``history.pairs`` holds the hidden utilities of every funnel.
    """

    geography: Geography
    laborers: pd.DataFrame
    vacancies: pd.DataFrame
    households: pd.DataFrame
    history: History
    seed: int

    @property
    def placements(self) -> pd.DataFrame:
        """The placement rows as written."""
        return self.history.placements

    def public(self, name: str) -> pd.DataFrame:
        """One table as written to CSV: laborers, vacancies, placements or households."""
        columns = {
            "laborers": LABORER_COLUMNS,
            "vacancies": VACANCY_COLUMNS,
            "placements": PLACEMENT_COLUMNS,
            "households": HOUSEHOLD_COLUMNS,
        }
        if name not in columns:
            raise ValueError(f"table={name!r}: allowed {', '.join(columns)} / 未知表名")
        frame = self.placements if name == "placements" else getattr(self, name)
        return frame.loc[:, list(columns[name])]


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`generate` wrote."""

    files: dict[str, Path]
    rows: dict[str, int]
    counties: list[str]


def check_occupation_codes(path: Path = OCCUPATIONS_CSV) -> None:
    """Fail if a catalogue code is not a detailed occupation of the shipped classification."""
    table = pd.read_csv(path, dtype=str, usecols=["level", "code"])
    known = set(table.loc[table["level"] == "4", "code"])
    missing = sorted({o.code for o in OCCUPATIONS} - known)
    if missing:
        raise ValueError(f"occupation codes {missing} are not level-4 codes of {path} / 职业代码不存在")


def _check_sizes(laborers: int, vacancies: int) -> None:
    if laborers < 1:
        raise ValueError(f"laborers={laborers}: must be at least 1 / 劳动力人数至少为1")
    if vacancies < 1:
        raise ValueError(f"vacancies={vacancies}: must be at least 1 / 岗位数至少为1")


def build_sample(laborers: int = 6000, vacancies: int = 600, seed: int = 7, county: str | None = None) -> SampleCounty:
    """Generate a sample county in memory.

    Parameters
    ----------
    laborers : int
        Size of the poor-laborer ledger (rows of ``laborers.csv``).
    vacancies : int
        Rows of ``vacancies.csv``; public-welfare posts take about two per village.
    seed : int
        Equal seeds give equal samples.
    county : str, optional
        Primary county (name such as ``永寿县`` or 6-digit code); default 永寿县.
        Above about 60,000 laborers the ledger spreads over the nearest rural
        counties of the same province, about 50,000 laborers each.
    """
    _check_sizes(laborers, vacancies)
    check_occupation_codes()
    rng = np.random.default_rng(seed)
    geo = build_geography(rng, laborers, county)
    people, households = make_ledger(rng, laborers, geo, AS_OF)
    posts = make_posts(rng, vacancies, geo, AS_OF)
    history = simulate_history(rng, people, posts, AS_OF)
    _apply_history(people, posts, history)
    employed = np.isin(people["employment_status"].to_numpy(), EMPLOYED_STATUSES)
    any_employed = np.bincount(people["_hh"].to_numpy(), weights=employed, minlength=len(households)) > 0
    households["zero_employment"] = ~any_employed
    return SampleCounty(geo, people, posts, households, history, seed)


def _apply_history(people: pd.DataFrame, posts: pd.DataFrame, history: History) -> None:
    """People whose funnel ends in a current job are recorded as working there."""
    pairs = history.pairs
    working = pairs[pairs["final"].isin(["hired", "retained_6m"])]
    slot = posts["_slot"].to_numpy()[working["vi"].to_numpy()]
    status = np.array([_STATUS_OF_SLOT.get(s, "employed_local") for s in slot], dtype=object)
    col = people.columns.get_loc("employment_status")
    people.iloc[working["li"].to_numpy(), col] = status


def write_sample(sample: SampleCounty, out: Path) -> SampleSummary:
    """Write ``laborers.csv``, ``vacancies.csv``, ``placements.csv``, ``households.csv`` (UTF-8)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files, rows = {}, {}
    for name in ("laborers", "vacancies", "placements", "households"):
        frame = sample.public(name)
        path = out / f"{name}.csv"
        bools = frame.select_dtypes(include="bool").columns
        frame = frame.astype({c: object for c in bools})
        for c in bools:
            frame[c] = np.where(frame[c].to_numpy(dtype=bool), "true", "false")
        frame.to_csv(path, index=False, encoding="utf-8", float_format="%.6f")
        files[name], rows[name] = path, len(frame)
    counties = [f"{r.province}{r.city}{r.county}" for r in sample.geography.counties.itertuples()]
    return SampleSummary(files, rows, counties)


def generate(
    laborers: int = 6000,
    vacancies: int = 600,
    seed: int = 7,
    out: Path = Path("var/sample"),
    county: str | None = None,
) -> SampleSummary:
    """Generate a sample county and write its CSV files into ``out``; see :func:`build_sample`."""
    return write_sample(build_sample(laborers, vacancies, seed, county), out)
