"""Batch runs: the list, one run's record and its morning report tables (aggregates only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder

from service.api.deps import ALL_ROLES, PERSON_ROLES, AppDep, role_dep
from service.api.schemas import ErrorBody, RunOut
from store.errors import AppError, NotFoundError

router = APIRouter(tags=["runs"], responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}})

Anyone = role_dep(*ALL_ROLES)


def _frame_json(frame: Any) -> list[dict[str, Any]]:
    frame = frame.astype(object).where(frame.notna(), None)
    return jsonable_encoder(frame.to_dict(orient="records"))


def _run(application: Any, run_id: str) -> Any:
    from matcher.batch.runs import latest_run

    if run_id in (".", "..") or not all(c.isalnum() or c in "_.-" for c in run_id):
        raise NotFoundError(
            f"no run {run_id}", f"没有批处理 {run_id}", field="run_id", value=run_id, code="run_not_found"
        )
    try:
        return latest_run(application.runs, run_id)
    except AppError as exc:
        raise NotFoundError(
            exc.message_en, exc.message_zh, field="run_id", value=run_id, code="run_not_found"
        ) from None


@router.get("/runs", response_model=list[RunOut])
def list_runs(application: AppDep, principal: Anyone) -> list[dict[str, Any]]:
    """Every batch run recorded in the store, newest first."""
    from store import load_batch_runs

    return _frame_json(load_batch_runs(application.engine))


@router.get("/runs/{run_id}", response_model=RunOut)
def get_run(run_id: str, application: AppDep, principal: Anyone) -> dict[str, Any]:
    """One published run's record (``latest``: the one served)."""
    run = _run(application, run_id)
    return jsonable_encoder({**run.record, "run_id": run.run_id})


@router.get("/runs/{run_id}/report")
def run_report(run_id: str, application: AppDep, principal: Anyone) -> dict[str, Any]:
    """The morning report's tables of a published run, as JSON records per table (and each table's
    columns, which an empty table's records cannot show): a county's key gets its
    county's people and posts alone (its ``全部`` rows are the county's totals), an admin the whole run.
    A ``readonly`` key, which never reads a person, gets the zero-employment households as counts per
    village instead of one row per household. Computed once per run and county, then answered from memory."""
    from service.report_cache import report_tables_of

    run = _run(application, run_id)
    tables = report_tables_of(application, run, principal.county_code, people=principal.role in PERSON_ROLES)
    frames = tables._asdict()
    return {
        "run_id": run.run_id,
        "tables": {name: _frame_json(t) for name, t in frames.items()},
        "columns": {name: [str(c) for c in t.columns] for name, t in frames.items()},  # an empty table's too
    }
