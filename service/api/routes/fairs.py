"""Job fairs of the caller's county: list, create, build the shortlist, download it as a workbook."""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from service.api.deps import AppDep, Principal, mark_audit, role_dep
from service.api.schemas import ErrorBody
from store.errors import InputError, NotFoundError

router = APIRouter(tags=["fairs"], responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}})

Manager = role_dep("admin", "organizer")
_KEEP = 16
_lock = threading.Lock()


class FairIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    date: dt.date
    place: str = Field(min_length=1, max_length=200)
    county: str | None = Field(None, description="6-digit county code; default: the key's county")
    vacancy_ids: list[str] | None = Field(None, description="the fair's posts; default: every open post of the county")


class FairOut(BaseModel):
    fair_id: str
    name: str
    date: dt.date
    place: str
    county_code: str
    posts: int | None = None
    openings: int | None = None
    invitations: int | None = None


class ShortlistOut(BaseModel):
    fair_id: str
    posts: int
    invitations: int
    candidates: int
    booths: list[dict[str, Any]]


def _fair(application: Any, principal: Principal, fair_id: str) -> Any:
    from matcher.fair.model import load_fair

    try:
        fair = load_fair(application.engine, fair_id)
    except InputError:
        fair = None
    if fair is None or (principal.county_code is not None and fair.county_code != principal.county_code):
        raise NotFoundError(
            f"no job fair with id {fair_id}",
            f"没有编号为 {fair_id} 的招聘会",
            field="fair_id",
            value=fair_id,
            code="fair_not_found",
        )
    return fair


def _cache(request: Request) -> OrderedDict[str, Any]:
    """The last shortlists built by this worker (made by ``create_app``; bounded, used under ``_lock``)."""
    return request.app.state.shortlists


def _build(request: Request, application: Any, fair_id: str) -> Any:
    from matcher.fair.shortlist import build_shortlist

    shortlist = build_shortlist(application.engine, fair_id, home=application.home)
    cache = _cache(request)
    with _lock:
        cache[fair_id] = shortlist
        while len(cache) > _KEEP:
            cache.popitem(last=False)
    return shortlist


@router.get("/fairs", response_model=list[FairOut])
def list_fairs(application: AppDep, principal: Manager) -> list[dict[str, Any]]:
    """The fairs of the caller's county, newest first."""
    from matcher.fair.model import list_fairs as stored

    frame = stored(application.engine)
    if principal.county_code is not None:
        frame = frame.loc[frame["county_code"] == principal.county_code]
    return jsonable_encoder(frame.astype(object).where(frame.notna(), None).to_dict(orient="records"))


@router.post("/fairs", response_model=FairOut, status_code=201)
def create_fair(body: FairIn, application: AppDep, principal: Manager) -> dict[str, Any]:
    """Create a fair in the caller's county."""
    from matcher.fair.model import create_fair as create

    county = body.county or principal.county_code
    if principal.county_code is not None and county != principal.county_code:
        raise InputError(
            "a fair must be in the key's county",
            "招聘会须在本密钥所属县",
            field="county",
            value=body.county,
            allowed=principal.county_code,
        )
    fair = create(
        application.engine,
        name=body.name,
        date=body.date,
        place=body.place,
        vacancy_ids=body.vacancy_ids,
        county=None if body.vacancy_ids else county,
        within=principal.county_code,  # a county's key: its own posts, its own county's fair
    )
    return {
        "fair_id": fair.fair_id,
        "name": fair.name,
        "date": fair.date,
        "place": fair.place,
        "county_code": fair.county_code,
        "posts": len(fair.vacancy_ids),
    }


@router.post("/fairs/{fair_id}/shortlist", response_model=ShortlistOut)
def build(fair_id: str, request: Request, application: AppDep, principal: Manager) -> dict[str, Any]:
    """Compute and store the fair's invitations; answers the booths (no personal data)."""
    _fair(application, principal, fair_id)
    mark_audit(request, "shortlist")
    sl = _build(request, application, fair_id)
    booths = sl.booths.astype(object).where(sl.booths.notna(), None)
    return {
        "fair_id": fair_id,
        "posts": len(sl.booths),
        "invitations": len(sl.invitations),
        "candidates": int(sl.candidates),
        "booths": jsonable_encoder(booths.to_dict(orient="records")),
    }


@router.get(
    "/fairs/{fair_id}/shortlist.xlsx",
    response_class=FileResponse,
    responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
)
def shortlist_workbook(fair_id: str, request: Request, application: AppDep, principal: Manager) -> FileResponse:
    """The shortlist workbook (personal fields masked without the pii right)."""
    from service.render.fair_export import write_workbook

    _fair(application, principal, fair_id)
    mark_audit(request, "export")
    with _lock:
        sl = _cache(request).get(fair_id)
    sl = sl or _build(request, application, fair_id)
    tmp = tempfile.TemporaryDirectory(prefix="matcher-fair-")
    path = write_workbook(sl, Path(tmp.name) / f"{fair_id}.xlsx", with_pii=principal.pii)
    return FileResponse(
        path,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"{fair_id}.xlsx",
        background=BackgroundTask(tmp.cleanup),
    )
