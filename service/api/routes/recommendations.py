"""Suggestions: a ledger person's (last night's list when still valid, else live) and a profile's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from starlette.concurrency import run_in_threadpool

from matcher.app import Answer, Application
from service.api.deps import PERSON_ROLES, AppDep, Principal, mark_audit, role_dep
from service.api.errors import not_found
from service.api.hot import K_DEFAULT, K_MAX, MISSED
from service.api.routes._records import ensure_visible
from service.api.schemas import ErrorBody, SuggestionsOut

router = APIRouter(
    tags=["recommendations"],
    responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)

Reader = role_dep(*PERSON_ROLES)


@router.get("/laborers/{laborer_id}/recommendations", response_model=SuggestionsOut)
async def laborer_recommendations(
    laborer_id: str,
    request: Request,
    application: AppDep,
    principal: Reader,
    k: Annotated[int, Query(ge=1, le=K_MAX)] = K_DEFAULT,
) -> dict[str, Any]:
    """A person's suggestions, flags and shortfall; ``source`` tells ``run`` (last night) from ``live``.

    Answered on the event loop when memory alone can (last night's list, still valid, about a
    millisecond); anything that reads the store or runs the ranker goes to the thread pool.
    """
    mark_audit(request, "read_recommendations", laborer_id=laborer_id)
    known = application.visible_known("laborers", laborer_id, principal.scope_for("laborers"))
    if known is False:
        raise not_found("laborers", laborer_id)  # out of the caller's area: the unknown-id 404
    tried = request.scope.get("state", {}).get(MISSED) == laborer_id  # memory already could not answer
    answer = application.stored_suggestions(laborer_id, k=k) if known and not tried else None
    if answer is None:
        answer = await run_in_threadpool(_suggestions, application, principal, laborer_id, k)
    return answer.result.to_json(details=True) | {"source": answer.source, "run_id": answer.run_id}


def _suggestions(application: Application, principal: Principal, laborer_id: str, k: int) -> Answer:
    laborer_id = ensure_visible(application, principal, "laborers", laborer_id)  # else the unknown-id 404
    return application.suggestions(laborer_id, k=k)


@router.post("/recommendations", response_model=SuggestionsOut)
def profile_recommendations(
    request: Request,
    application: AppDep,
    principal: Reader,
    profile: Annotated[dict[str, Any], Body(description="a person's contract fields (English or Chinese keys)")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    """Live suggestions for a person not (yet) in the ledger."""
    mark_audit(request, "recommend_profile")
    result = application.recommend_profile(profile, k=k)
    view = application.run_view
    return result.to_json(details=True) | {"source": "live", "run_id": view.run_id if view is not None else None}
