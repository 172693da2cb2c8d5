"""``GET /audit``: who read or changed whose record (admin only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder

from service.api.deps import AppDep, role_dep
from service.api.schemas import AuditEntry, ErrorBody

router = APIRouter(tags=["audit"], responses={403: {"model": ErrorBody}})

Admin = role_dep("admin")


@router.get("/audit", response_model=list[AuditEntry])
def get_audit(
    application: AppDep,
    principal: Admin,
    laborer: Annotated[str | None, Query(description="laborer id")] = None,
    key: Annotated[str | None, Query(description="key id")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> list[dict[str, Any]]:
    """Audit rows, newest first (entries reach the store within about a second)."""
    from store.audit import query_audit

    return jsonable_encoder(query_audit(application.engine, laborer_id=laborer, key_id=key, limit=limit))
