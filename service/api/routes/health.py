"""``GET /health``: ready or not, and why (no key needed; never a 500)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.api.errors import app_error_body, error_body
from service.api.schemas import Health
from store.errors import AppError

router = APIRouter(tags=["health"])
log = logging.getLogger("service.api")


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(request: Request) -> Any:
    """Model version, run served and open posts; 503 with the reason while not ready."""
    application = request.app.state.application
    try:
        if application is None:
            raise AppError("the service is starting", "服务正在启动", code="starting")
        described = application.serving.describe()
        view = application.run_view
    except AppError as exc:
        return JSONResponse(Health(status="not_ready", ready=False, reason=app_error_body(exc)).model_dump(), 503)
    except Exception:  # noqa: BLE001 - health must answer
        log.exception("health check failed")
        reason = error_body(
            "internal_error", "服务未就绪（内部错误，见日志）", "not ready (internal error, see the log)"
        )
        return JSONResponse(Health(status="not_ready", ready=False, reason=reason).model_dump(), 503)
    return {
        "status": "ok",
        "ready": True,
        "model_version": described["model_version"],
        "run_id": view.run_id if view is not None else None,
        "open_posts": described["open_posts"],
        "index_size": described["index_size"],
        "change_seq": described["change_seq"],
        "today": described["today"],
        "ranker": described["ranker"],
        "probability_of": described["probability_of"],
        "learned_from": described["learned_from"],
    }
