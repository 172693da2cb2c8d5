"""``/laborers``: one person's record, a page of records, updates, deletes and file imports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Query, Request, UploadFile

from service.api.deps import AppDep, mark_audit, role_dep
from service.api.routes._records import delete_one, fetch, import_upload, page_of, public, write_one
from service.api.schemas import Deleted, ErrorBody, IngestOut, PersonRecord, RecordPage
from store.errors import NotReadyError
from store.ledger import MAX_PAGE, MAX_PAGE_SIZE

router = APIRouter(
    tags=["laborers"],
    responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}},
)

Reader = role_dep("admin", "organizer", "caseworker")
Writer = role_dep("admin", "organizer", "caseworker")
Manager = role_dep("admin", "organizer")


@router.get("/laborers/{laborer_id}", response_model=PersonRecord)
def get_laborer(laborer_id: str, request: Request, application: AppDep, principal: Reader) -> dict[str, Any]:
    """One laborer's record (name, ID number and phone masked without the pii right)."""
    mark_audit(request, "read_person", laborer_id=laborer_id)
    return public(fetch(application, principal, "laborers", laborer_id), principal)


@router.get("/laborers", response_model=RecordPage)
def list_laborers(
    request: Request,
    application: AppDep,
    principal: Reader,
    village: str | None = None,
    town: str | None = None,
    flag: Annotated[str | None, Query(description="flag kind of the published run, e.g. home_based")] = None,
    status: Annotated[str | None, Query(description="employment_status")] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> dict[str, Any]:
    """A page of the laborers in the caller's area, filtered."""
    ids = None
    if flag:
        view = application.run_view
        if view is None:
            raise NotReadyError(
                "no published batch run to filter flags by; run `matcher batch`",
                "还没有已发布的批处理结果，无法按标记筛选，请先运行 `matcher batch`",
                field="flag",
                value=flag,
                code="no_run",
            )
        ids = view.flagged(flag)
    mark_audit(request, "list_persons")
    return page_of(
        application, principal, "laborers", page, page_size, village=village, town=town, status=status, q=q, ids=ids
    )


@router.put("/laborers/{laborer_id}")
def put_laborer(
    laborer_id: str,
    request: Request,
    application: AppDep,
    principal: Writer,
    body: Annotated[dict[str, Any], Body(description="contract fields, English or Chinese keys")],
) -> dict[str, Any]:
    """Insert or update one laborer (the same validation as ``matcher ingest``)."""
    mark_audit(request, "update", laborer_id=laborer_id)
    return write_one(application, principal, "laborers", laborer_id, body)


@router.delete("/laborers/{laborer_id}", response_model=Deleted)
def delete_laborer(laborer_id: str, request: Request, application: AppDep, principal: Manager) -> dict[str, Any]:
    """Delete one laborer of the caller's county."""
    mark_audit(request, "delete", laborer_id=laborer_id)
    return delete_one(application, principal, "laborers", laborer_id)


@router.post("/laborers:import", response_model=IngestOut)
async def import_laborers(
    request: Request, application: AppDep, principal: Manager, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Import a laborer ledger file (CSV, .xlsx or JSON); answers the counts and every rejected row."""
    mark_audit(request, "import")
    return await import_upload(application, principal, "laborers", file)
