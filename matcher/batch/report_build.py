"""Every table of a published run's morning report, computed (no file is written).

:func:`report_tables` loads the run's :class:`~matcher.batch.report_data.ReportData`
and computes each table with :mod:`matcher.batch.report_tables`; the
workbook, CSV files and charts a person opens are written from them by
:mod:`service.render.report`.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
from sqlalchemy.engine import Engine

from matcher.batch import report_tables as tables
from matcher.batch.report_data import ReportData, load_report_data
from matcher.batch.runs import RunDir, read_table
from matcher.errors import MatcherError

__all__ = ["report_tables", "ReportTables", "for_county", "without_people"]


class ReportTables(NamedTuple):
    """The report's tables (see :mod:`matcher.batch.report_tables` for each one's columns)."""

    coverage_county: pd.DataFrame
    coverage_town: pd.DataFrame
    shortfalls: pd.DataFrame
    flags: pd.DataFrame
    flag_reasons: pd.DataFrame
    supply_demand: pd.DataFrame
    supply_demand_groups: pd.DataFrame
    training: pd.DataFrame
    zero_households: pd.DataFrame
    exposure: pd.DataFrame
    run_record: pd.DataFrame


def without_people(t: ReportTables) -> ReportTables:
    """The report with nothing that names a household or a person: the zero-employment households still
    without a suggestion become counts per village (the other tables are aggregates already)."""
    return t._replace(zero_households=tables.zero_households_by_village(t.zero_households))


def for_county(data: ReportData, county_code: str) -> ReportData:
    """The part of ``data`` that belongs to one county: its people, their flags and households, and the
    county's posts with the posts of no county (online work) that its people may be offered."""
    people = data.people[data.people["county_code"].astype(str) == county_code]
    posts = data.posts[(data.posts["county_code"].astype(str) == county_code) | data.posts["county_code"].isna()]
    return ReportData(
        data.run,
        people,
        data.flags[data.flags["laborer_id"].isin(people["laborer_id"])],
        posts,
        data.households[data.households["household_id"].isin(people["household_id"])],
    )


def report_tables(
    run: RunDir, engine: Engine | None = None, county_code: str | None = None
) -> tuple[ReportData, ReportTables]:
    """Compute every table of the report of ``run`` (no file is written).

    Parameters
    ----------
    run : RunDir
        A published run.
    engine : sqlalchemy.engine.Engine, optional
        The store the run was computed from (default: ``store.get_engine()``).
    county_code : str, optional
        Only this county's people and posts (a county's key): every table, its ``全部`` rows
        included, then holds that county alone.
    """
    if run.partial or run.record.get("status") != "complete":
        raise MatcherError(
            f"run {run.run_id} is not published (status {run.record.get('status')!r}); report a complete run",
            f"批处理 {run.run_id} 尚未完成发布，只能对已完成的批次生成晨报",
        )
    if engine is None:
        from store import get_engine

        engine = get_engine()
    data = load_report_data(run, engine)
    cand = read_table(run, "candidates", columns=["laborer_id", "vacancy_id", "score"])
    sugg = read_table(run, "suggestions", columns=["laborer_id", "vacancy_id"])
    if county_code is not None:
        data = for_county(data, county_code)
        cand = cand[cand["laborer_id"].isin(data.people["laborer_id"])]
        sugg = sugg[sugg["laborer_id"].isin(data.people["laborer_id"])]
    return data, ReportTables(
        coverage_county=tables.coverage(data, "county"),
        coverage_town=tables.coverage(data, "town"),
        shortfalls=tables.shortfall_reasons(data),
        flags=tables.flags_by_kind(data),
        flag_reasons=tables.flag_reasons(data),
        supply_demand=tables.supply_demand(data, 4),
        supply_demand_groups=tables.supply_demand(data, 2),
        training=tables.training_courses(data),
        zero_households=tables.zero_households(data),
        exposure=tables.exposure(data, cand, sugg),
        run_record=tables.run_record(run.record),
    )
