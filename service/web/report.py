"""``/report``: the latest morning report of the nightly run, for the key's county, and its workbook.

The figures are the report's own tables (:func:`matcher.batch.report_build.report_tables`), the
ones ``/runs/{id}/report`` answers to every role; a county key sees its county's rows (an admin
the run's totals). The workbook is the one ``matcher report`` writes. A ``readonly`` key, which never
reads a person, sees the zero-employment households still without a suggestion as counts per village,
on the page and in its own workbook, instead of one row per household with its id and members.
"""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.responses import Response

from service.api.deps import ALL_ROLES, PERSON_ROLES, mark_audit
from service.web.organiser import county_rows, report_of
from service.web.render import page
from service.web.routing import PageError, PageRoute, application, login
from service.web.svg import bars

router = APIRouter(route_class=PageRoute, include_in_schema=False)
_lock = threading.Lock()


@router.get("/report")
def report(request: Request) -> Response:
    session = login(request, *ALL_ROLES)
    app = application(request)
    principal = session.principal
    view = app.run_view
    people = principal.role in PERSON_ROLES  # a readonly key: households as counts per village
    tables = report_of(app, principal.county_code, people=people)
    if view is None or tables is None:
        return page(request, "report.html", nav="report", title="晨报", run=None)
    coverage = county_rows(tables.coverage_county, principal)
    row = coverage.iloc[0].to_dict() if len(coverage) else {}
    shortfalls = county_rows(tables.shortfalls, principal)
    by_reason = shortfalls.groupby("category", sort=False)["people"].sum().reset_index().to_dict(orient="records")
    flags = county_rows(tables.flags, principal).to_dict(orient="records")
    zero = tables.zero_households  # the key's county alone (see report_of)
    towns = county_rows(tables.coverage_town, principal).to_dict(orient="records")
    return page(
        request,
        "report.html",
        nav="report",
        title="晨报",
        run=view.record | {"run_id": view.run_id},
        row=row,
        by_reason=by_reason,
        reason_chart=bars("建议不足3个的原因", [(r["category"], r["people"], None) for r in by_reason], ("人数", None)),
        flags=flags,
        flag_chart=bars("各类帮扶标记人数", [(r["kind_zh"], r["people"], None) for r in flags], ("人数", None)),
        zero=zero.head(200).to_dict(orient="records"),
        zero_by_village=not people,
        towns=[t for t in towns if t.get("town") != "全部"],
    )


@router.get("/report/workbook")
def workbook(request: Request) -> Response:
    """The morning report's workbook: the key's county alone (an admin: the whole run)."""
    session = login(request, *ALL_ROLES)
    app = application(request)
    view = app.run_view
    if view is None:
        raise PageError(404, "还没有已发布的夜间批处理结果，暂无晨报可下载。")
    mark_audit(request, "export")
    county = session.principal.county_code
    people = session.principal.role in PERSON_ROLES  # readonly: no household or person named (own file)
    out = Path(app.home) / "web" / "report" / view.run_id / (county or "all") / ("people" if people else "counts")
    path = out / f"report_{view.run_id}.xlsx"
    with _lock:
        if not path.exists():
            from service.render.report import write_report

            write_report(view.run, out, app.engine, county_code=county, people=people)
    return FileResponse(
        path,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"晨报_{view.run_id}.xlsx",
    )
