"""What the morning report reads: a published run joined with the store's places, households and posts.

A run holds ids, suggestions, flags and shortfalls; the report needs the
people's town and village, their households (零就业家庭) and the posts'
occupations and openings. :func:`load_report_data` reads each once, with only
the columns it needs, into a :class:`ReportData`: one row per person served
(the run's ``people`` table), one per post the run saw (its ``posts.parquet``
snapshot joined with the store's vacancies).

The store may have moved on since the run (a laborer deleted, a post's
openings changed): a person missing from the store keeps the run's county and
an unknown town; posts take today's store row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from matcher.batch.runs import RunDir, read_table

__all__ = ["ReportData", "load_report_data", "SHORTFALL_CATEGORIES", "shortfall_category", "UNKNOWN_PLACE"]

#: Shortfall categories: key → (Chinese, English), in the order the report lists them.
SHORTFALL_CATEGORIES: dict[str, tuple[str, str]] = {
    "no_posts": ("可及范围内没有在招岗位", "no open post within reach"),
    "limits": ("可及岗位多因年龄或体力要求不符", "posts within reach closed by age or physical limits"),
    "few_posts": ("可及范围内在招岗位不足3个", "fewer than three open posts within reach"),
    "other": ("其他原因", "other reason"),
}
UNKNOWN_PLACE = "（未识别）"
_MOBILITY = re.compile(r"外出意愿为「(.+?)」")
_PEOPLE_COLUMNS = [
    "laborer_id",
    "household_id",
    "county",
    "county_code",
    "town",
    "town_code",
    "village",
    "village_code",
    "skills",
    "job_intention",
    "wants_training",
    "mobility",
]
_POST_COLUMNS = [
    "vacancy_id",
    "title",
    "kind",
    "occupation_code",
    "openings",
    "county",
    "county_code",
    "required_skills",
]


def shortfall_category(reason_en: str) -> str:
    """The category key of a shortfall reason (see :data:`SHORTFALL_CATEGORIES`)."""
    text = reason_en or ""
    if "no open posts" in text:
        return "no_posts"
    if "age or physical limits" in text:
        return "limits"
    if "all listed" in text:
        return "few_posts"
    return "other"


@dataclass
class ReportData:
    """A run's outputs joined with the store.

    Attributes
    ----------
    run : RunDir
    people : pandas.DataFrame, shape (n_served, ...)
        One row per person served: ids, place names and codes (unknown → ``（未识别）``),
        ``household_id``, ``skills``, ``job_intention``, ``wants_training``, ``n_suggestions``,
        ``shortfall`` (category key or None), ``shortfall_reason``, ``mobility_zh`` and one
        boolean column ``flag_<kind>`` per flag kind.
    flags : pandas.DataFrame
        The run's flags table (``laborer_id, kind, reasons, suggest, county_code``; JSON text).
    posts : pandas.DataFrame, shape (n_posts, ...)
        The posts the run saw: ``vacancy_id, suggestible`` and the store's ``title, kind,
        occupation_code, openings, county, county_code, required_skills``.
    households : pandas.DataFrame
        The zero-employment households of the people served: ``household_id, members, zero_employment``.
    """

    run: RunDir
    people: pd.DataFrame
    flags: pd.DataFrame
    posts: pd.DataFrame
    households: pd.DataFrame
    _occupations: list[list[str]] | None = field(default=None, repr=False)

    def occupations(self) -> list[list[str]]:
        """Level-4 occupation codes of each person's skills and job intentions (computed once)."""
        if self._occupations is None:
            from matcher.prepare import occupation_lists

            cells = [
                _list(s) + _list(j) for s, j in zip(self.people["skills"], self.people["job_intention"], strict=True)
            ]
            self._occupations = occupation_lists(cells)
        return self._occupations

    @property
    def k(self) -> int:
        """Suggestions per person the run was asked for."""
        return int(self.run.record.get("options", {}).get("k", 10))


def _select(engine: Engine, table: sa.Table, columns: list[str], where: list[Any]) -> pd.DataFrame:
    """A few columns of a table: the report reads 10 of the ledger's 40 columns for every job seeker."""
    query = sa.select(*[table.c[c] for c in columns]).where(*where)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    # Object columns: pandas' default string dtype makes isin() and merges on ids ~15x slower.
    return pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in zip(columns, values, strict=True)})


def _store_people(engine: Engine, ids: list[str], counties: list[str]) -> pd.DataFrame:
    from store.schema import laborers

    wanted = set(ids)
    frame = (
        _select(
            engine, laborers, _PEOPLE_COLUMNS, [laborers.c.wants_job.is_(True), laborers.c.county_code.in_(counties)]
        )
        if counties
        else None
    )
    if frame is None or len(frame) == 0:
        frame = pd.DataFrame(columns=_PEOPLE_COLUMNS)
    frame = frame[frame["laborer_id"].isin(wanted)]
    missing = sorted(wanted - set(frame["laborer_id"]))
    # A person who moved county or no longer wants a job since the run, or whose county is unknown.
    for start in range(0, len(missing), 10_000):
        more = _select(engine, laborers, _PEOPLE_COLUMNS, [laborers.c.laborer_id.in_(missing[start : start + 10_000])])
        frame = pd.concat([frame, more], ignore_index=True)
    return frame.rename(columns={"county_code": "store_county_code"})


def _zero_households(engine: Engine, wanted: set[str]) -> pd.DataFrame:
    from store.schema import households

    columns = ["household_id", "members", "zero_employment"]
    frame = _select(engine, households, columns, [households.c.zero_employment.is_(True)])
    frame = frame[frame["household_id"].isin(wanted)].reset_index(drop=True)
    frame["zero_employment"] = frame["zero_employment"].fillna(False).astype(bool)
    return frame


def _list(value: Any) -> list[str]:
    return list(value) if isinstance(value, list | tuple | np.ndarray) else []


def load_report_data(run: RunDir, engine: Engine) -> ReportData:
    """Read a published run and the store rows it refers to.

    Parameters
    ----------
    run : RunDir
        A published run (``matcher.batch.runs.latest_run``).
    engine : sqlalchemy.engine.Engine
        The store the run was computed from.
    """
    from store import load_vacancies

    people = read_table(run, "people", columns=["laborer_id"])
    people["laborer_id"] = people["laborer_id"].astype(object)
    people["county_code"] = people["county_code"].astype(str).astype(object)
    ids = people["laborer_id"].astype(str).tolist()
    counties = sorted(c for c in people["county_code"].unique().tolist() if c != "000000")
    store = _store_people(engine, ids, counties)
    people = people.merge(store, on="laborer_id", how="left")
    for name, code in (("county", "county_code"), ("town", "town_code"), ("village", "village_code")):
        people[name] = people[name].fillna(UNKNOWN_PLACE).astype(object)
        if code != "county_code":
            people[code] = people[code].fillna("").astype(object)
    people = people.drop(columns=["store_county_code"])
    people["household_id"] = people["household_id"].fillna("").astype(object)
    people["wants_training"] = people["wants_training"].fillna(False).astype(bool)
    people = people.reset_index(drop=True)

    sugg = read_table(run, "suggestions", columns=["laborer_id"])
    counts = sugg.groupby("laborer_id").size() if len(sugg) else pd.Series(dtype=np.int64)
    people["n_suggestions"] = people["laborer_id"].map(counts).fillna(0).astype(np.int64)

    short = read_table(run, "shortfalls", columns=["laborer_id", "reason", "reason_en"]).drop_duplicates("laborer_id")
    short_cat = dict(zip(short["laborer_id"], map(shortfall_category, short["reason_en"].fillna("")), strict=True))
    people["shortfall"] = people["laborer_id"].map(short_cat)
    people["shortfall_reason"] = people["laborer_id"].map(dict(zip(short["laborer_id"], short["reason"], strict=True)))
    mob = short["reason"].fillna("").str.extract(_MOBILITY, expand=False).fillna("")
    people["mobility_zh"] = people["laborer_id"].map(dict(zip(short["laborer_id"], mob, strict=True)))

    flags = read_table(run, "flags", columns=["laborer_id", "kind", "reasons", "suggest"]).astype(object)
    from matcher.flags import FLAG_KINDS

    for kind in FLAG_KINDS:
        holders = set(flags.loc[flags["kind"] == kind, "laborer_id"]) if len(flags) else set()
        people[f"flag_{kind}"] = people["laborer_id"].isin(holders)

    snapshot_path = run.path / "posts.parquet"
    snapshot = (
        pd.read_parquet(snapshot_path, columns=["vacancy_id", "suggestible"])
        if snapshot_path.exists()
        else pd.DataFrame({"vacancy_id": pd.Series(dtype=object), "suggestible": pd.Series(dtype=bool)})
    )
    store_posts = load_vacancies(engine)[_POST_COLUMNS]
    posts = snapshot.merge(store_posts, on="vacancy_id", how="left")
    posts["openings"] = pd.to_numeric(posts["openings"], errors="coerce").fillna(0).astype(np.int64)
    posts["suggestible"] = posts["suggestible"].fillna(False).astype(bool)

    households = _zero_households(engine, set(people["household_id"]) - {""})
    return ReportData(run, people, flags, posts, households)
