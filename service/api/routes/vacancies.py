"""``/vacancies``: posts of the caller's county; organizers and admins write; candidates for a post."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Query, Request, UploadFile

from service.api.deps import AppDep, mark_audit, role_dep
from service.api.routes._records import delete_one, ensure_visible, fetch, import_upload, page_of, public, write_one
from service.api.schemas import CandidatesOut, Deleted, ErrorBody, IngestOut, PostRecord, RecordPage
from service.masking import mask_name
from store.ledger import MAX_PAGE, MAX_PAGE_SIZE, list_records

router = APIRouter(tags=["vacancies"], responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}})

Reader = role_dep("admin", "organizer", "caseworker")
Manager = role_dep("admin", "organizer")


@router.get("/vacancies/{vacancy_id}", response_model=PostRecord)
def get_vacancy(vacancy_id: str, application: AppDep, principal: Reader) -> dict[str, Any]:
    """One post of the caller's county."""
    return public(fetch(application, principal, "vacancies", vacancy_id), principal)


@router.get("/vacancies", response_model=RecordPage)
def list_vacancies(
    application: AppDep,
    principal: Reader,
    village: str | None = None,
    town: str | None = None,
    status: Annotated[str | None, Query(description="post status, e.g. open")] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> dict[str, Any]:
    """A page of the posts of the caller's county, filtered."""
    return page_of(application, principal, "vacancies", page, page_size, village=village, town=town, status=status, q=q)


@router.put("/vacancies/{vacancy_id}")
def put_vacancy(
    vacancy_id: str,
    request: Request,
    application: AppDep,
    principal: Manager,
    body: Annotated[dict[str, Any], Body(description="contract fields, English or Chinese keys")],
) -> dict[str, Any]:
    """Insert or update one post (the same validation as ``matcher ingest``)."""
    mark_audit(request, "update", vacancy_id=vacancy_id)
    return write_one(application, principal, "vacancies", vacancy_id, body)


@router.delete("/vacancies/{vacancy_id}", response_model=Deleted)
def delete_vacancy(vacancy_id: str, request: Request, application: AppDep, principal: Manager) -> dict[str, Any]:
    """Delete one post of the caller's county."""
    mark_audit(request, "delete", vacancy_id=vacancy_id)
    return delete_one(application, principal, "vacancies", vacancy_id)


@router.post("/vacancies:import", response_model=IngestOut)
async def import_vacancies(
    request: Request, application: AppDep, principal: Manager, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Import a vacancy list file (CSV, .xlsx or JSON); answers the counts and every rejected row."""
    mark_audit(request, "import")
    return await import_upload(application, principal, "vacancies", file)


@router.get("/vacancies/{vacancy_id}/candidates", response_model=CandidatesOut)
def vacancy_candidates(
    vacancy_id: str,
    request: Request,
    application: AppDep,
    principal: Manager,
    k: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    """The job seekers of the post's county this post suits best (names masked without pii)."""
    vacancy_id = ensure_visible(application, principal, "vacancies", vacancy_id)
    mark_audit(request, "read_candidates", vacancy_id=vacancy_id)
    scope = principal.scope_for("laborers")
    found = application.candidates_for_post(
        vacancy_id, k=k, counties=[scope.county_code] if scope.county_code else None
    )
    names: dict[str, Any] = {}
    if found:
        rows, _ = list_records(application.engine, "laborers", scope, ids=[c.laborer_id for c in found], page_size=200)
        names = {r["laborer_id"]: r.get("name") for r in rows}
    out = []
    for c in found:
        if c.laborer_id not in names:
            continue  # outside the caller's area
        name = names[c.laborer_id]
        details = c.details.to_json() if hasattr(c.details, "to_json") else None
        out.append(
            {
                "laborer_id": c.laborer_id,
                "name": name if principal.pii or name is None else mask_name(str(name)),
                "score": round(float(c.score), 4),
                "step": c.step,
                "reasons": list(c.reasons),
                "details": details,
            }
        )
    return {"vacancy_id": vacancy_id, "candidates": out}
