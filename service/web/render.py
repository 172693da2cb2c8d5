"""Jinja2 templates of the pages, their filters, and the headers every page answers with.

Every asset a page loads is served by the app itself (``/static/…``, no CDN, no outside font):
the Content-Security-Policy allows only the page's own origin, so a stray outside link would
not even load. Pages that show people are never cached (``Cache-Control: no-store``).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from service.web import labels

__all__ = ["TEMPLATES", "STATIC", "page", "environment", "SECURITY_HEADERS"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@cache
def _asset_version(name: str) -> str:
    return hashlib.sha1((STATIC / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """``/static/<name>?v=<digest>``: a changed file gets a new address, so browsers never keep an old one."""
    return f"/static/{name}?v={_asset_version(name)}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    env.filters.update(
        date_zh=labels.date_zh,
        datetime_zh=labels.datetime_zh,
        money=labels.money,
        number=labels.number,
        share=labels.share,
        word=labels.word,
        yes_no=labels.yes_no,
    )
    env.globals.update(static_url=static_url, wage_range=labels.wage_range, L=labels)
    return env


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the request's session (when logged in) and the security headers."""
    session = getattr(request.state, "web_session", None)
    context.setdefault("nav", "")
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            session=session,
            csrf=session.csrf if session else "",
            area=getattr(request.state, "web_area", "") if session else "",
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
