"""Job fairs (admins and organisers, as the API's ``/fairs``): create one from a form, compute its
shortlist, see it per booth and per village, download the workbook and the printable invitation
lists, record attendance and results after the fair, and read the fair's report.

``GET /fairs`` and ``POST /fairs`` are also API addresses: a browser gets the page, an API client
its JSON (:class:`service.web.routing.PageRoute`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.responses import RedirectResponse, Response

from service.api.deps import POST_WRITE_ROLES, Principal, mark_audit
from service.masking import mask_name
from service.web.render import page
from service.web.routing import PageError, PageRoute, application, check_csrf, login
from store.errors import AppError, InputError, NotFoundError
from store.outcomes import OUTCOMES, record_outcome
from store.schema import vacancies

router = APIRouter(route_class=PageRoute, include_in_schema=False)
_KEEP = 16
#: The outcomes recorded after a fair (coming to the booth counts as 已推送 when nothing else happened).
FAIR_OUTCOMES = tuple((c, n) for c, n in OUTCOMES if c in ("contacted", "applied", "interviewed", "hired", "rejected"))


def _fair(app: Any, principal: Principal, fair_id: str) -> Any:
    from matcher.fair.model import load_fair

    try:
        fair = load_fair(app.engine, fair_id)
    except (InputError, NotFoundError):
        fair = None
    if fair is None or (principal.county_code is not None and fair.county_code != principal.county_code):
        raise PageError(404, "没有找到这场招聘会：编号不存在，或不在您的管辖范围内。")
    return fair


def _shortlist(request: Request, app: Any, fair_id: str, build: bool = False) -> Any:
    """The fair's shortlist: this worker's last one (the API's cache), built when asked."""
    from matcher.fair.shortlist import build_shortlist

    cache = request.app.state.shortlists
    found = cache.get(fair_id)
    if found is None and build:
        found = build_shortlist(app.engine, fair_id, home=app.home)
        cache[fair_id] = found
        while len(cache) > _KEEP:
            cache.popitem(last=False)
    return found


def _open_posts(app: Any, principal: Principal) -> list[dict[str, Any]]:
    conds = [vacancies.c.status == "open", *principal.scope_for("vacancies").clause(vacancies)]
    stmt = sa.select(vacancies).where(*conds).order_by(vacancies.c.town, vacancies.c.vacancy_id).limit(500)
    with app.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


@router.get("/fairs")
def fairs(request: Request, error: str | None = None) -> Response:
    session = login(request, *POST_WRITE_ROLES)
    app = application(request)
    from matcher.fair.model import list_fairs

    frame = list_fairs(app.engine)
    if session.principal.county_code is not None:
        frame = frame[frame["county_code"] == session.principal.county_code]
    return page(
        request,
        "fairs.html",
        nav="fairs",
        title="招聘会",
        fairs=frame.to_dict(orient="records"),
        posts=_open_posts(app, session.principal),
        today=app.today(),
        error=error,
    )


@router.post("/fairs")
async def create(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    session = login(request, *POST_WRITE_ROLES)
    form = await request.form()
    check_csrf(request, session, str(form.get("csrf") or ""))
    return await run_in_threadpool(_create, request, session.principal, form)


def _create(request: Request, principal: Principal, form: Any) -> Response:
    from matcher.fair.model import create_fair

    app = application(request)
    name = str(form.get("name") or "").strip()[:200]
    place = str(form.get("place") or "").strip()[:200]
    ids = [str(v) for v in form.getlist("vacancy_id")][:500]
    try:
        day = dt.date.fromisoformat(str(form.get("date") or ""))
    except ValueError:
        day = None
    problems = [
        text
        for bad, text in (
            (not name, "请填写招聘会名称"),
            (day is None, "请填写日期（如 2026-12-20）"),
            (not place, "请填写举办地点"),
            (not ids, "请至少勾选一个岗位"),
        )
        if bad
    ]
    if problems or day is None:
        raise PageError(422, "；".join(problems) + "。请返回修改。")
    visible = {p["vacancy_id"] for p in _open_posts(app, principal)}
    if any(i not in visible for i in ids):
        raise PageError(404, "所选岗位不在您的管辖范围内，或已停止招聘。")
    mark_audit(request, "create_fair")
    try:
        fair = create_fair(app.engine, name=name, date=day, place=place, vacancy_ids=ids, within=principal.county_code)
    except AppError as exc:
        if exc.category == "input":
            raise PageError(422, exc.message_zh) from None
        raise
    return RedirectResponse(f"/fairs/{fair.fair_id}", status_code=303)


@router.get("/fairs/{fair_id}")
def fair(request: Request, fair_id: str, saved: str | None = None) -> Response:
    session = login(request, *POST_WRITE_ROLES)
    app = application(request)
    principal = session.principal
    fair = _fair(app, principal, fair_id)
    from matcher.fair.report import fair_report

    sl = _shortlist(request, app, fair.fair_id)
    booths, villages, invitations = [], [], []
    if sl is not None:
        inv = sl.invitations.copy()
        names = inv["name"].tolist()
        inv["shown"] = [n if principal.pii or not isinstance(n, str) else mask_name(n) for n in names]
        booths = sl.booths.to_dict(orient="records")
        for b in booths:
            b["people"] = inv[inv["vacancy_id"] == b["vacancy_id"]].to_dict(orient="records")
        for (town, village), group in inv.groupby([inv["town"].fillna(""), inv["village"].fillna("（村未知）")]):
            villages.append({"town": town, "village": village, "people": group.to_dict(orient="records")})
        invitations = inv.to_dict(orient="records")
    report = fair_report(app.engine, fair.fair_id)
    return page(
        request,
        "fair.html",
        nav="fairs",
        title=fair.name,
        fair=fair,
        booths=booths,
        villages=villages,
        invitations=invitations,
        report=report,
        outcomes=FAIR_OUTCOMES,
        saved=saved,
    )


@router.post("/fairs/{fair_id}/invite")
def invite(request: Request, fair_id: str, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    session = login(request, *POST_WRITE_ROLES)
    check_csrf(request, session, csrf)
    app = application(request)
    fair = _fair(app, session.principal, fair_id)
    mark_audit(request, "shortlist")
    _shortlist(request, app, fair.fair_id, build=True)
    return RedirectResponse(f"/fairs/{fair.fair_id}#booths", status_code=303)


def _file(request: Request, fair_id: str, kind: str) -> Response:
    session = login(request, *POST_WRITE_ROLES)
    app = application(request)
    fair = _fair(app, session.principal, fair_id)
    mark_audit(request, "export")
    sl = _shortlist(request, app, fair.fair_id, build=True)
    from service.render.fair_export import write_html, write_workbook

    tmp = tempfile.TemporaryDirectory(prefix="matcher-fair-page-")
    if kind == "xlsx":
        path = write_workbook(sl, Path(tmp.name) / f"{fair.fair_id}.xlsx", with_pii=session.principal.pii)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name = f"招聘会邀请名单_{fair.fair_id}.xlsx"
    else:
        path = write_html(sl, Path(tmp.name) / f"{fair.fair_id}.html", with_pii=session.principal.pii)
        media, name = "text/html; charset=utf-8", None
    return FileResponse(path, media_type=media, filename=name, background=BackgroundTask(tmp.cleanup))


@router.get("/fairs/{fair_id}/workbook.xlsx")
def workbook(request: Request, fair_id: str) -> Response:
    return _file(request, fair_id, "xlsx")


@router.get("/fairs/{fair_id}/invitations")
def invitations(request: Request, fair_id: str) -> Response:
    return _file(request, fair_id, "html")


@router.post("/fairs/{fair_id}/results")
def results(
    request: Request,
    fair_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    invitation: Annotated[str, Form(max_length=140)] = "",
    outcome: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """One invited person's result at one booth (``invitation``: ``laborer_id|vacancy_id``)."""
    session = login(request, *POST_WRITE_ROLES)
    check_csrf(request, session, csrf)
    app = application(request)
    principal = session.principal
    fair = _fair(app, principal, fair_id)
    laborer_id, _, vacancy_id = invitation.partition("|")
    if vacancy_id not in fair.vacancy_ids or not app.visible("laborers", laborer_id, principal.scope_for("laborers")):
        raise PageError(404, "没有找到这条邀请：人员或岗位不属于这场招聘会。")
    if outcome not in dict(FAIR_OUTCOMES):
        raise PageError(422, "请选择招聘会上的结果。")
    mark_audit(request, "record_outcome", laborer_id=laborer_id, vacancy_id=vacancy_id, detail=f"fair:{outcome}")
    record_outcome(
        app.engine,
        laborer_id=laborer_id,
        vacancy_id=vacancy_id,
        outcome=outcome,
        day=min(app.today(), fair.date),
        source="fair",
        fair_id=fair.fair_id,
    )
    app.follow_changes()
    return RedirectResponse(f"/fairs/{fair.fair_id}?saved=1#results", status_code=303)
