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

__all__ = ["report_tables", "ReportTables"]


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


def report_tables(run: RunDir, engine: Engine | None = None) -> tuple[ReportData, ReportTables]:
    """Compute every table of the report of ``run`` (no file is written).

    Parameters
    ----------
    run : RunDir
        A published run.
    engine : sqlalchemy.engine.Engine, optional
        The store the run was computed from (default: ``store.get_engine()``).
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
