"""The organiser's desk: the county's posts with their fill state, a post's candidates, supply and demand.

Roles as the API: posts are read by admins, organisers and caseworkers (``/vacancies``); a post's
candidates only by admins and organisers (``/vacancies/{id}/candidates``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.responses import Response

from service.api.deps import POST_READ_ROLES, POST_WRITE_ROLES, mark_audit
from service.api.routes._records import ensure_visible, fetch
from service.masking import mask_name
from service.web import labels
from service.web.organiser import by_town, county_rows, report_of, suggested_counts
from service.web.render import page
from service.web.routing import PageRoute, application, login
from service.web.svg import bars
from store.ledger import Scope, list_records
from store.outcomes import outcome_counts
from store.schema import vacancies

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 50


def _posts(
    engine: Any, scope: Scope, town: str | None, kind: str | None, q: str | None, status: str | None, number: int
) -> tuple[list[dict[str, Any]], int, list[tuple[str, str]]]:
    """One page of the scope's posts passing the filters, their total, and the scope's towns."""
    conds = scope.clause(vacancies)
    if town:
        conds.append(vacancies.c.town_code == town)
    if kind:
        conds.append(vacancies.c.kind == kind)
    if status:
        conds.append(vacancies.c.status == status)
    if q:
        conds.append(
            sa.or_(
                vacancies.c.title.icontains(q, autoescape=True),
                vacancies.c.employer_name.icontains(q, autoescape=True),
                vacancies.c.occupation_code.startswith(q, autoescape=True),
                vacancies.c.vacancy_id == q,
            )
        )
    stmt = (
        sa.select(vacancies)
        .where(*conds)
        .order_by(vacancies.c.vacancy_id)
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    count = sa.select(sa.func.count()).select_from(vacancies).where(*conds)
    towns = (
        sa.select(vacancies.c.town_code, vacancies.c.town)
        .where(*scope.clause(vacancies), vacancies.c.town_code.is_not(None))
        .distinct()
        .order_by(vacancies.c.town)
    )
    with engine.connect() as conn:
        total = int(conn.execute(count).scalar_one())
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
        return rows, total, [(a, b) for a, b in conn.execute(towns)]


def _clean(value: str | None, limit: int = 64) -> str | None:
    value = (value or "").strip()[:limit]
    return value or None


@router.get("/posts")
def posts(
    request: Request, town: str | None = None, kind: str | None = None, q: str | None = None, status: str = "open"
) -> Response:
    session = login(request, *POST_READ_ROLES)
    app = application(request)
    principal = session.principal
    scope = principal.scope_for("vacancies")
    town, kind, q = _clean(town, 12), _clean(kind, 24), _clean(q)
    kind = kind if kind in labels.KIND else None
    status_filter = status if status in labels.POST_STATUS else None
    try:
        number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        number = 1
    shown, total, towns = _posts(app.engine, scope, town, kind, q, status_filter, number)
    suggested = suggested_counts(app)
    outcomes = outcome_counts(app.engine, [r["vacancy_id"] for r in shown])
    for r in shown:
        got = outcomes.get(r["vacancy_id"], {})
        r["suggested"] = suggested.get(r["vacancy_id"], 0)
        r["applied"] = sum(got.get(o, 0) for o in ("applied", "interviewed", "hired", "rejected"))
        r["hired"] = got.get("hired", 0) + got.get("retained_6m", 0)
    supply = by_town(app.engine, scope, app.today())
    tables = report_of(app)
    occupations = county_rows(tables.supply_demand_groups, principal) if tables is not None else None
    occupation_rows = (
        occupations.sort_values("openings", ascending=False).head(12).to_dict(orient="records")
        if occupations is not None and len(occupations)
        else []
    )
    courses = county_rows(tables.training, principal) if tables is not None else None
    course_rows = (
        courses.sort_values("course_openings", ascending=False).head(10).to_dict(orient="records")
        if courses is not None and len(courses)
        else []
    )
    return page(
        request,
        "posts.html",
        nav="posts",
        title="岗位",
        rows=shown,
        total=total,
        page_no=number,
        pages=max(1, -(-total // PAGE_SIZE)),
        towns=towns,
        filters={"town": town or "", "kind": kind or "", "q": q or "", "status": status_filter or ""},
        supply=supply,
        supply_chart=bars(
            "各乡镇招聘人数与求职人数",
            [(r["town"], r["openings"], r["seekers"]) for r in supply[:15]],
            ("招聘人数", "求职人数"),
        ),
        occupations=occupation_rows,
        occupation_chart=bars(
            "各职业招聘人数与求职人数",
            [(r["occupation"], r["openings"], r["seekers"]) for r in occupation_rows],
            ("招聘人数", "求职人数"),
        ),
        courses=course_rows,
        can_see_candidates=principal.role in POST_WRITE_ROLES,
    )


@router.get("/posts/{vacancy_id}")
def post(request: Request, vacancy_id: str) -> Response:
    session = login(request, *POST_READ_ROLES)
    app = application(request)
    principal = session.principal
    record = fetch(app, principal, "vacancies", vacancy_id)  # another county's post: the API's 404
    vacancy_id = record["vacancy_id"]
    got = outcome_counts(app.engine, [vacancy_id]).get(vacancy_id, {})
    candidates: list[dict[str, Any]] | None = None
    if principal.role in POST_WRITE_ROLES:  # as /vacancies/{id}/candidates
        ensure_visible(app, principal, "vacancies", vacancy_id)
        mark_audit(request, "read_candidates", vacancy_id=vacancy_id)
        scope = principal.scope_for("laborers")
        try:
            found = app.candidates_for_post(
                vacancy_id, k=20, counties=[scope.county_code] if scope.county_code else None
            )
        except Exception as exc:  # a closed post is not among today's posts: no candidates
            if getattr(exc, "category", None) not in ("not_found", "not_ready"):
                raise
            found = []
        people: dict[str, dict[str, Any]] = {}
        if found:
            rows, _ = list_records(app.engine, "laborers", scope, ids=[c.laborer_id for c in found], page_size=200)
            people = {r["laborer_id"]: r for r in rows}
        candidates = []
        for c in found:
            person = people.get(c.laborer_id)
            if person is None:
                continue
            name = person.get("name")
            candidates.append(
                {
                    "laborer_id": c.laborer_id,
                    "name": name if principal.pii or name is None else mask_name(str(name)),
                    "village": f"{person.get('town') or ''}{person.get('village') or ''}",
                    "score": c.score,
                    "step": c.step,
                    "reasons": c.reasons,
                    "response": bool(c.details.response),
                }
            )
    return page(
        request,
        "post.html",
        nav="posts",
        title=record.get("title") or "岗位",
        p=record,
        suggested=suggested_counts(app).get(vacancy_id, 0),
        outcomes=got,
        candidates=candidates,
    )
