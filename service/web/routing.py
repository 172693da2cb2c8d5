"""What every page route shares: who is logged in, role checks, CSRF checks, HTML error pages.

:class:`PageRoute` is the route class of the pages' routers. It

- turns every refusal into a page in Chinese with the API's status: an unknown or out-of-area
  person or post is the same 404 page (the API's ``not_found`` errors, raised by the same
  scoped reads the API makes), a role the API would refuse is a 403 page, a missing session a
  redirect to ``/login?next=…``;
- yields an address the API also answers (``GET /fairs``, ``POST /fairs``) to the API unless
  the request is a browser's (``Accept: text/html``, no ``Authorization`` header), so API
  clients keep their JSON and browsers get the page.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Coroutine, MutableMapping
from typing import Any
from urllib.parse import quote

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Match

from matcher.app import Application
from service.api.errors import ApiError
from service.web.queries import area_name
from service.web.render import page
from service.web.session import SESSION_COOKIE, Session, Sessions
from store.errors import HTTP_STATUS, AppError

__all__ = ["PageRoute", "PageError", "LoginNeeded", "login", "application", "check_csrf", "SHARED_PATHS"]

log = logging.getLogger("service.web")

#: Addresses both the API and the pages answer (the API's JSON unless a browser asks).
SHARED_PATHS = frozenset({"/fairs"})
_sessions_lock = threading.Lock()

TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "无权查看",
    404: "没有找到",
    409: "操作冲突",
    413: "内容太大",
    422: "填写有误",
    429: "尝试次数过多",
    500: "服务器出错",
    503: "暂时无法使用",
}


class PageError(Exception):
    """A refusal shown as a page: HTTP status and the Chinese message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class LoginNeeded(Exception):
    """No valid session: the browser is sent to the login form."""


def _wants_page(scope: MutableMapping[str, Any]) -> bool:
    headers = dict(scope.get("headers") or [])
    if b"authorization" in headers:
        return False
    return b"text/html" in headers.get(b"accept", b"")


class PageRoute(APIRoute):
    """A page: HTML errors, and the API first at shared addresses unless a browser asks."""

    def matches(self, scope: MutableMapping[str, Any]) -> tuple[Match, MutableMapping[str, Any]]:
        if scope.get("type") == "http" and self.path in SHARED_PATHS and not _wants_page(scope):
            return Match.NONE, {}
        return super().matches(scope)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except LoginNeeded:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            except PageError as exc:
                return error_page(request, exc.status, exc.message)
            except ApiError as exc:
                return error_page(request, exc.status, str(exc.body.get("message_zh") or ""))
            except AppError as exc:
                status = HTTP_STATUS.get(exc.category, 500)
                if status >= 500 and exc.category == "internal":
                    log.error("internal error on %s", request.url.path, exc_info=exc)
                return error_page(request, status, _message(exc, status))
            except RequestValidationError:
                return error_page(request, 400, "地址或表单中的内容有误，请返回重新填写。")
            except Exception:
                log.exception("unexpected error on page %s %s", request.method, request.url.path)
                return error_page(request, 500, "服务器内部错误，已记录日志，请稍后重试或联系管理员。")

        return handler


def _message(exc: AppError, status: int) -> str:
    if status == 404:
        return "没有找到您要的内容：编号不存在，或不在您的管辖范围内。"
    if status == 503 and exc.code in ("no_run", "starting"):
        return exc.message_zh
    return exc.message_zh or TITLES.get(status, "出错了")


def error_page(request: Request, status: int, message: str) -> Response:
    title = TITLES.get(status, "出错了")
    try:
        return page(request, "error.html", status=status, title=title, message=message)
    except Exception:  # the error page itself failed: plain text, never a traceback
        log.exception("error page failed")
        return PlainTextResponse(f"{title}：{message}", status_code=status)


def application(request: Request) -> Application:
    found = getattr(request.app.state, "application", None)
    if found is None:
        raise PageError(503, "服务正在启动，请稍候刷新。")
    return found


def sessions(request: Request) -> Sessions:
    """The app's :class:`Sessions` (made at the first request, when the data directory is known)."""
    state = request.app.state
    found = getattr(state, "web_sessions", None)
    if found is None:
        with _sessions_lock:
            found = getattr(state, "web_sessions", None)
            if found is None:
                found = state.web_sessions = Sessions(application(request).home)
    return found


def current(request: Request) -> Session | None:
    """The request's session, or None (no cookie, a bad one, an expired or revoked key)."""
    found = getattr(request.state, "web_session", None)
    if found is not None:
        return found
    session = sessions(request).read(application(request).engine, request.cookies.get(SESSION_COOKIE))
    if session is not None:
        request.state.web_session = session
        request.state.principal = session.principal  # the middleware's audit entry names the key
        request.state.web_area = area_name(application(request).engine, session.principal)
    return session


def login(request: Request, *roles: str) -> Session:
    """The logged-in session, its role among ``roles`` (403 page otherwise; none given: any role)."""
    session = current(request)
    if session is None:
        raise LoginNeeded
    if roles and session.principal.role not in roles:
        raise PageError(403, "您登录所用的密钥没有查看这个页面的权限。如需使用，请联系县级管理员。")
    return session


def check_csrf(request: Request, session: Session, token: str | None) -> None:
    """Refuse a form without this session's CSRF token (403 page)."""
    import hmac

    if not token or not hmac.compare_digest(token, session.csrf):
        raise PageError(403, "表单已失效（可能打开太久或来自别的网站），请返回刷新页面后重新提交。")
