"""The load's one hot read, answered from memory without the framework when it can be.

Nine requests in ten a service like this one gets are ``GET /laborers/{id}/recommendations`` for a
person whose list from last night's run still holds. The answer itself is about 0.7 ms of one core
(memory only: re-checking and explaining the stored list); the framework around it (Starlette's
middleware stack, route matching, solving three dependencies, validating the returned dict against the
response model) cost as much again. :class:`HotReads` answers such a read in plain ASGI, inside
:class:`service.api.main.ServiceMiddleware` (so the body limit, metrics, access log and audit entry are
the same as for every request), with the same key cache, role check, area check, answer and response
model serialisation as the route; the bodies are byte for byte the route's (a test checks both paths on
the same people).

Anything else goes to the framework unchanged: another route or method, a query other than one ``k``, a
key not verified in the last few seconds, a role without the right, a blocked client, a person out of
the key's area or unknown, a list that must be computed afresh. Every error is therefore the route's own
answer, and the fast path never answers anything but 200.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from service.api.deps import PERSON_ROLES, key_digest

__all__ = ["HotReads", "HOT_PATH", "K_DEFAULT", "K_MAX", "MISSED"]

HOT_PATH = "/laborers/{laborer_id}/recommendations"
_PREFIX, _SUFFIX = "/laborers/", "/recommendations"
#: Roles that may read a person's suggestions (the route's ``Reader`` too).
_READERS = frozenset(PERSON_ROLES)
#: The route's ``k``: its default and its greatest value (the route declares them from here).
K_DEFAULT, K_MAX = 5, 50
#: Set in the scope's state when the fast path tried a person and memory could not answer: the route then
#: goes straight to the thread pool instead of trying memory again.
MISSED = "hot_missed"


def _k(query: bytes) -> int | None:
    """``k`` from a query of nothing or exactly ``k=<1..50>`` (anything else: the route parses it)."""
    if not query:
        return K_DEFAULT
    if not query.startswith(b"k=") or b"&" in query:
        return None
    digits = query[2:]
    if not digits.isdigit() or len(digits) > 2:
        return None
    k = int(digits)
    return k if 1 <= k <= K_MAX else None


class HotReads:
    """Answers the hot read from memory when everything it needs is there; otherwise passes it on."""

    def __init__(self, app: Any, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self._route: APIRoute | None = None

    def route(self) -> APIRoute:
        """The route this path answers for (its response model; the metrics' and audit's route name)."""
        if self._route is None:
            from service.api.routes.recommendations import router

            self._route = next(
                r for r in router.routes if isinstance(r, APIRoute) and r.path == HOT_PATH and "GET" in r.methods
            )
        return self._route

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = None
        if scope["type"] == "http" and scope["method"] == "GET" and self._hot(scope["path"]):
            try:
                body = self._answer(scope)
            except Exception:  # noqa: BLE001 - the route answers it (and maps or logs its error) as for any read
                scope.get("state", {}).pop(MISSED, None)
                body = None
        if body is None:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _hot(path: str) -> bool:
        return path.startswith(_PREFIX) and path.endswith(_SUFFIX)

    def _answer(self, scope: dict[str, Any]) -> bytes | None:
        path: str = scope["path"]
        if scope.get("root_path"):
            return None
        laborer_id = path[len(_PREFIX) : -len(_SUFFIX)]
        if not laborer_id or "/" in laborer_id:
            return None
        k = _k(scope.get("query_string", b""))
        if k is None:
            return None
        state = self.fastapi_app.state
        application = state.application
        if application is None:
            return None
        token = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                if token is not None:  # the header twice: the framework decides
                    return None
                token = value
        if token is None or not token.startswith(b"Bearer ") or len(token) <= 7:
            return None
        client = scope.get("client")
        if state.limiter.blocked_for(client[0] if client else "unknown") > 0:
            return None
        # the credentials as the route reads them (Starlette decodes headers as latin-1; HTTPBearer strips)
        principal = state.key_cache.get(key_digest(token[7:].decode("latin-1").strip()))
        if principal is None or principal.role not in _READERS:
            return None
        known = application.visible_known("laborers", laborer_id, principal.scope_for("laborers"))
        if known is not True:
            return None
        answer = application.stored_suggestions(laborer_id, k=k)
        route_state = scope.setdefault("state", {})
        if answer is None:
            route_state[MISSED] = laborer_id
            return None
        content = answer.result.to_json(details=True) | {"source": answer.source, "run_id": answer.run_id}
        route = self.route()
        field = route.response_field
        value, errors = field.validate(content, {}, loc=("response",))
        if errors:  # the route raises its own error for it
            return None
        route_state["principal"] = principal
        route_state["audit"] = {"action": "read_recommendations", "laborer_id": laborer_id}
        scope["route"] = route
        return field.serialize_json(value, by_alias=True)
