"""``/login`` and ``/logout``: the key typed once, a session cookie after."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from service.web.render import page
from service.web.routing import PageRoute, application, check_csrf, current, login, sessions
from service.web.session import (
    LOGIN_COOKIE,
    LOGIN_SECONDS,
    SESSION_COOKIE,
    clear_cookie,
    client_of,
    new_nonce,
    set_cookie,
)
from store.keys import verify_key

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: Where each role lands after logging in.
HOME = {"caseworker": "/people", "organizer": "/posts", "admin": "/people", "readonly": "/report"}


def safe_next(target: str | None) -> str | None:
    """Only an address of this site (``/people?q=1``), never another site (``//evil``, ``https://…``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _login_form(
    request: Request, *, error: str | None = None, status: int = 200, target: str | None = None
) -> Response:
    nonce = new_nonce()
    response = page(
        request,
        "login.html",
        status=status,
        error=error,
        login_token=sessions(request).login_token(nonce),
        next=safe_next(target) or "",
    )
    set_cookie(response, request, LOGIN_COOKIE, nonce, LOGIN_SECONDS, path="/login")
    return response


@router.get("/")
def home(request: Request) -> Response:
    session = current(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME.get(session.principal.role, "/report"), status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the form's field name
    session = current(request)
    if session is not None:
        return RedirectResponse(safe_next(next) or HOME.get(session.principal.role, "/report"), status_code=303)
    return _login_form(request, target=next)


@router.post("/login")
async def login_submit(
    request: Request,
    key: Annotated[str, Form(max_length=300)] = "",
    login_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",  # noqa: A002
) -> Response:
    app = application(request)
    store = sessions(request)
    limiter = request.app.state.limiter
    client = client_of(request)
    wait = limiter.blocked_for(client)
    if wait > 0:
        return _login_form(request, error=f"登录失败次数过多，请 {int(wait) + 1} 秒后再试。", status=429, target=next)
    if not store.check_login_token(request.cookies.get(LOGIN_COOKIE), login_token):
        return _login_form(
            request, error="登录表单已失效（可能打开太久），请重新输入密钥登录。", status=403, target=next
        )
    record = await run_in_threadpool(verify_key, app.engine, key.strip())
    if record is None:
        limiter.fail(client)
        return _login_form(request, error="密钥不正确，或已被吊销、已过期。请核对后重新输入。", status=401, target=next)
    value, max_age = store.issue(record)
    response = RedirectResponse(safe_next(next) or HOME.get(record.role, "/report"), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, value, max_age)
    clear_cookie(response, request, LOGIN_COOKIE, path="/login")
    return response


@router.get("/logout")
def logout_page(request: Request) -> Response:
    session = current(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return page(request, "logout.html")


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    session = login(request)
    check_csrf(request, session, csrf)
    sessions(request).end(session)
    request.state.web_session = None
    response = page(request, "logged_out.html")
    clear_cookie(response, request, SESSION_COOKIE)
    return response
