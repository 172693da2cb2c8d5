"""``GET /metrics``: Prometheus text (no key needed; per process, see :mod:`service.api.main`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request) -> Response:
    """Requests and latency per route template and status, model version, open posts, answers by source."""
    m = request.app.state.metrics
    application = request.app.state.application
    if application is not None:
        m.ready.set(1 if application.ready else 0)
        m.answers.labels(source="live").set(application.stats.get("live", 0))
        m.answers.labels(source="run").set(application.stats.get("run", 0))
        # a list computed live earlier, reused while nothing it rests on changed (matcher.livememo)
        m.answers.labels(source="live_kept").set(application.stats.get("live_kept", 0))
        m.rebuilds.set(application.stats.get("rebuilds", 0))
        for work, (rounds, items) in application.gathered().items():
            m.gathered_rounds.labels(work=work).set(rounds)
            m.gathered_items.labels(work=work).set(items)
        if application.ready:
            try:
                d = application.serving.describe()
                m.model.info({"version": str(d["model_version"]), "prior": str(d["prior"]).lower()})
                m.open_posts.set(d["open_posts"])
                m.index_size.set(d["index_size"])
                m.change_seq.set(d["change_seq"])
            except Exception:  # noqa: BLE001 - metrics never fail
                pass
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
