"""The caseworker's desk: my people (责任分工), a person's card, the service card, outcomes (帮扶效果).

Every read goes through the API's own scoped reads (``fetch``/``ensure_visible`` of
``service.api.routes._records``): a person of another county (or, for a town's caseworker, of
another town) is the same 404 page as an unknown id. Suggestions are exactly the API's
``/laborers/{id}/recommendations`` answer: :meth:`Application.suggestions` (last night's list
while it still holds, else live), explained field by field.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from matcher.app import Answer, Application
from service.api.deps import PERSON_ROLES, Principal, mark_audit
from service.api.errors import not_found
from service.api.routes._records import ensure_visible, fetch
from service.masking import mask_record
from service.web import labels
from service.web.queries import household, household_members, people_index, posts_by_id, villages_of
from service.web.render import page
from service.web.routing import PageError, PageRoute, application, check_csrf, login
from store.errors import AppError
from store.ledger import Scope
from store.outcomes import DECLINE_REASONS, OUTCOMES, person_outcomes, record_outcome

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
#: Suggestions on a person's card and on the printed service card.
CARD_K = 5
PRINT_K = 3
#: Most cards one village document prints.
MAX_VILLAGE_CARDS = 300
_runs_lock = threading.Lock()
_runs: dict[str, dict[str, Any]] = {}


def run_sets(app: Application) -> dict[str, Any]:
    """The published run's people with a suggestion and flagged people per kind (computed once per run)."""
    view = app.run_view
    if view is None:
        return {"run_id": None, "suggested": frozenset(), "flagged": {}, "started_at": None}
    with _runs_lock:
        hit = _runs.get(view.run_id)
    if hit is not None:
        return hit
    sets = {
        "run_id": view.run_id,
        "started_at": view.started_at,
        "suggested": frozenset(i for i in view.laborer_ids() if view.vacancy_ids(i)),
        "flagged": {kind: frozenset(view.flagged(kind)) for kind in labels.FLAG},
    }
    with _runs_lock:
        _runs.clear()
        _runs[view.run_id] = sets
    return sets


def _clean(value: str | None, limit: int = 100) -> str | None:
    value = (value or "").strip()[:limit]
    return value or None


# ------------------------------------------------------------------ the list
@router.get("/people")
def people(
    request: Request,
    q: str | None = None,
    village: str | None = None,
    flag: str | None = None,
    status: str | None = None,
    nosugg: str | None = None,
) -> Response:
    session = login(request, *PERSON_ROLES)
    app = application(request)
    principal = session.principal
    scope = principal.scope_for("laborers")
    q, village, flag, status = _clean(q), _clean(village, 12), _clean(flag, 32), _clean(status, 32)
    if flag is not None and flag not in labels.FLAG:
        flag = None
    if status is not None and status not in labels.STATUS:
        status = None
    try:
        number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        number = 1
    mark_audit(request, "list_persons")
    found = people_index(app.engine, scope, q=q, village=village, status=status)
    sets = run_sets(app)
    if flag:
        found = found[found["laborer_id"].isin(sets["flagged"].get(flag, frozenset()))]
    if nosugg:
        found = found[found["wants_job"].fillna(False).astype(bool) & ~found["laborer_id"].isin(sets["suggested"])]
    counts = (
        found.assign(village=found["village"].fillna("（未填村）"), town=found["town"].fillna(""))
        .groupby(["town", "village"], dropna=False)
        .size()
        .reset_index(name="people")
        .to_dict(orient="records")
        if len(found)
        else []
    )
    total = len(found)
    ids = found["laborer_id"].iloc[(number - 1) * PAGE_SIZE : number * PAGE_SIZE].tolist()
    rows = _records(app, principal, ids)
    for row in rows:
        row["no_suggestion"] = bool(row.get("wants_job")) and row["laborer_id"] not in sets["suggested"]
        row["flags"] = [k for k, members in sets["flagged"].items() if row["laborer_id"] in members]
    return page(
        request,
        "people.html",
        nav="people",
        title="服务对象",
        rows=rows,
        total=total,
        page_no=number,
        pages=max(1, -(-total // PAGE_SIZE)),
        counts=counts,
        villages=villages_of(app.engine, scope),
        filters={"q": q or "", "village": village or "", "flag": flag or "", "status": status or "", "nosugg": nosugg},
        run=sets,
    )


def _records(app: Application, principal: Principal, ids: list[str]) -> list[dict[str, Any]]:
    from store.ledger import list_records

    if not ids:
        return []
    rows, _ = list_records(app.engine, "laborers", principal.scope_for("laborers"), ids=ids, page_size=len(ids))
    order = {i: n for n, i in enumerate(ids)}
    return sorted((mask_record(r, principal.pii) for r in rows), key=lambda r: order[r["laborer_id"]])


# ------------------------------------------------------------------ one person
def _answer(app: Application, laborer_id: str, k: int) -> Answer | None:
    """The API's suggestions for the person; None when they cannot be computed now (no model, no posts)."""
    try:
        return app.stored_suggestions(laborer_id, k=k) or app.suggestions(laborer_id, k=k)
    except AppError as exc:
        if exc.category == "not_ready":
            return None
        raise


def person_view(
    app: Application, principal: Principal, laborer_id: str, k: int, answer: Answer | None = None
) -> dict[str, Any]:
    """Everything a person's card shows (masked unless the key has ``pii``); ``answer``: computed already."""
    record = fetch(app, principal, "laborers", laborer_id)  # the API's 404 outside the caller's area
    laborer_id = record["laborer_id"]
    if answer is None:
        answer = _answer(app, laborer_id, k)
    result = answer.result if answer is not None else None
    recs = list(result.recommendations) if result is not None else []
    posts = posts_by_id(app.engine, [r.vacancy_id for r in recs])
    suggestions = []
    for r in recs:
        post = posts.get(r.vacancy_id, {})
        details = r.details.to_json() if r.details is not None else {}
        suggestions.append({"rec": r, "post": post, "d": details})
    home = household(app.engine, record["household_id"]) if record.get("household_id") else None
    members = (
        [
            mask_record(m, principal.pii)
            for m in household_members(app.engine, record["household_id"], principal.scope_for("laborers"))
        ]
        if record.get("household_id")
        else []
    )
    history = person_outcomes(app.engine, laborer_id)
    titles = posts_by_id(app.engine, [h["vacancy_id"] for h in history])
    for h in history:
        h["title"] = (titles.get(h["vacancy_id"]) or {}).get("title") or h["vacancy_id"]
    flags = list(result.flags) if result is not None else []
    return {
        "person": mask_record(record, principal.pii),
        "answer": answer,
        "result": result,
        "suggestions": suggestions,
        "household": home,
        "members": [m for m in members if m["laborer_id"] != laborer_id],
        "history": history,
        "flags": flags,
        "training": [f for f in flags if f.kind == "training"],
        "run": run_sets(app),
    }


@router.get("/people/{laborer_id}")
def person(request: Request, laborer_id: str, saved: str | None = None) -> Response:
    session = login(request, *PERSON_ROLES)
    app = application(request)
    mark_audit(request, "read_person", laborer_id=laborer_id)
    view = person_view(app, session.principal, laborer_id, CARD_K)
    return page(
        request,
        "person.html",
        nav="people",
        title=view["person"].get("name") or "服务对象",
        outcomes=OUTCOMES,
        reasons=DECLINE_REASONS,
        saved=labels.OUTCOME.get(saved or "", ""),
        **view,
    )


@router.get("/people/{laborer_id}/card")
def service_card(request: Request, laborer_id: str) -> Response:
    session = login(request, *PERSON_ROLES)
    app = application(request)
    mark_audit(request, "read_person", laborer_id=laborer_id)
    view = person_view(app, session.principal, laborer_id, PRINT_K)
    return page(
        request,
        "cards.html",
        nav="people",
        title="全程服务卡",
        cards=[view],
        back=f"/people/{view['person']['laborer_id']}",
        more=0,
        today=app.today(),
    )


@router.get("/villages/{code}/cards")
def village_cards(request: Request, code: str) -> Response:
    session = login(request, *PERSON_ROLES)
    app = application(request)
    principal = session.principal
    found = people_index(app.engine, principal.scope_for("laborers"), village=code[:12])
    found = found[found["wants_job"].fillna(False).astype(bool)]
    if found.empty:
        raise PageError(404, "没有找到这个村的求职人员：村代码不存在，或不在您的管辖范围内。")
    mark_audit(request, "export")
    ids = found["laborer_id"].head(MAX_VILLAGE_CARDS).tolist()
    try:  # one store read and one ranker pass for every card
        answers: list[Answer | AppError | None] = list(app.suggestions_many([(i, PRINT_K) for i in ids]))
    except AppError as exc:
        if exc.category != "not_ready":
            raise
        answers = [None] * len(ids)
    cards = [
        person_view(app, principal, i, PRINT_K, a if isinstance(a, Answer) else None)
        for i, a in zip(ids, answers, strict=True)
    ]
    name = str(found["village"].dropna().iloc[0]) if found["village"].notna().any() else code
    return page(
        request,
        "cards.html",
        nav="people",
        title=f"{name} 全程服务卡",
        cards=cards,
        back=f"/people?village={code}",
        more=len(found) - len(ids),
        today=app.today(),
    )


# ------------------------------------------------------------------ outcomes
@router.post("/people/{laborer_id}/outcomes")
def record(
    request: Request,
    laborer_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    vacancy_id: Annotated[str, Form(max_length=64)] = "",
    outcome: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    session = login(request, *PERSON_ROLES)
    check_csrf(request, session, csrf)
    app = application(request)
    principal = session.principal
    laborer_id = ensure_visible(app, principal, "laborers", laborer_id)
    # A suggestion may lie outside the county (a person willing to go farther): any stored post will do;
    # what the key must be allowed to see is the person.
    if not vacancy_id or not app.visible("vacancies", vacancy_id, Scope(None)):
        raise not_found("vacancies", vacancy_id or "（空）")
    mark_audit(
        request, "record_outcome", laborer_id=laborer_id, vacancy_id=vacancy_id, detail=f"{outcome}:{reason}".strip(":")
    )
    try:
        record_outcome(
            app.engine,
            laborer_id=laborer_id,
            vacancy_id=vacancy_id,
            outcome=outcome,
            reason=reason if outcome == "declined" else None,
            day=app.today(),
        )
    except AppError as exc:
        if exc.category == "input":
            raise PageError(422, f"{exc.message_zh}。请返回重新选择。") from None
        raise
    app.follow_changes()
    return RedirectResponse(f"/people/{laborer_id}?saved={outcome}#history", status_code=303)
