"""Errors as the API answers them: one JSON shape for every refusal, bilingual, no traceback.

Every error body reads ``{"code", "message_zh", "message_en", "field", "value", "allowed"}``
(:class:`service.api.schemas.ErrorBody`). :class:`store.errors.AppError` maps through
:data:`store.errors.HTTP_STATUS`; request validation errors name the first bad field; any other
exception is a 500 ``internal_error`` whose traceback goes to the log only.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from store.errors import HTTP_STATUS, AppError, as_busy, shorten

__all__ = ["ApiError", "error_body", "error_response", "install_error_handlers", "unexpected_error_response"]

log = logging.getLogger("service.api")


def error_body(
    code: str,
    message_zh: str,
    message_en: str,
    *,
    field: str | None = None,
    value: Any = None,
    allowed: str | None = None,
) -> dict[str, Any]:
    """The one error shape."""
    return {
        "code": code,
        "message_zh": message_zh,
        "message_en": message_en,
        "field": field,
        "value": shorten(value),
        "allowed": allowed,
    }


def error_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


class ApiError(Exception):
    """A refusal with an HTTP status of its own (401, 403, 413, 429) in the one error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        field: str | None = None,
        value: Any = None,
        allowed: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.status = status
        self.body = error_body(code, message_zh, message_en, field=field, value=value, allowed=allowed)
        self.headers = headers


def app_error_body(exc: AppError) -> dict[str, Any]:
    """The error's own JSON (its value already shortened) in the one shape; the category becomes the status."""
    return {key: value for key, value in exc.to_json().items() if key != "category"}


def not_found(kind: str, record_id: str) -> AppError:
    """The answer for an unknown id and for an id outside the caller's county (the same body)."""
    from store.errors import NotFoundError

    names = {"laborers": ("劳动力", "laborer", "laborer_id"), "vacancies": ("岗位", "vacancy", "vacancy_id")}
    zh, en, field = names[kind]
    return NotFoundError(
        f"no {en} with id {record_id}",
        f"没有编号为 {record_id} 的{zh}",
        field=field,
        value=record_id,
        code=f"{en}_not_found",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the one error shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.body, exc.headers)

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        status = HTTP_STATUS.get(exc.category, 500)
        if status >= 500 and exc.category == "internal":
            log.error("internal error on %s", request.url.path, exc_info=exc)
        return error_response(status, app_error_body(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or None
        msg = str(first.get("msg", "invalid value"))
        value = first.get("input")
        if isinstance(value, dict | list):
            value = None
        return error_response(
            422,
            error_body(
                "invalid_request",
                f"请求参数 {field or ''} 无效：{msg}",
                f"request field {field or ''} is not valid: {msg}",
                field=field,
                value=value,
                allowed=str(first.get("ctx", {}).get("expected", "")) or None,
            ),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            body = error_body("route_not_found", "没有这个地址", "no such route", value=request.url.path)
        elif exc.status_code == 405:
            body = error_body("method_not_allowed", "该地址不支持此方法", "method not allowed", value=request.method)
        else:
            body = error_body("http_error", str(exc.detail), str(exc.detail))
        return error_response(exc.status_code, body, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        # Only for a failure outside the service's middleware, which answers every other one itself.
        return unexpected_error_response(request.method, request.url.path, exc)


def unexpected_error_response(method: str, path: str, exc: Exception) -> JSONResponse:
    """The answer to an exception no handler expected: a busy store is a conflict (``Retry-After``),
    anything else a 500 ``internal_error``; its type, scrubbed message and frames go to the JSON log."""
    busy = as_busy(exc)
    if busy is not None:  # another writer held the store past the wait: a conflict, not a fault
        log.warning("store busy on %s %s", method, path)
        return error_response(HTTP_STATUS[busy.category], app_error_body(busy), {"Retry-After": "5"})
    log.error("unexpected error on %s %s", method, path, exc_info=exc)
    return error_response(
        500,
        error_body(
            "internal_error",
            "服务器内部错误，已记录日志，请稍后重试或联系管理员",
            "internal server error; it was logged — try again later or contact the administrator",
        ),
    )
