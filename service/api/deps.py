"""Dependencies: the application, the caller's key (Bearer), role checks, audit marks.

The dependencies are coroutines: they run on the event loop (no thread hop per request); only
a key not in the cache is verified in the thread pool, since that reads the store.

Verified keys are cached for :data:`KEY_CACHE_SECONDS` (a revoked key stops working within
that time), in a bounded dict under a lock. A client address that fails authentication
:data:`MAX_FAILURES` times within :data:`FAILURE_WINDOW` seconds is answered 429 for
:data:`BLOCK_SECONDS` seconds, without looking at its keys.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from matcher.app import Application
from service.api.errors import ApiError
from store.keys import KeyRecord, verify_key
from store.ledger import Scope

__all__ = [
    "AppDep",
    "PrincipalDep",
    "Principal",
    "KeyCache",
    "key_digest",
    "FailureLimiter",
    "get_application",
    "get_principal",
    "require",
    "mark_audit",
    "PERSON_ROLES",
    "POST_READ_ROLES",
    "POST_WRITE_ROLES",
    "ALL_ROLES",
]

KEY_CACHE_SECONDS = 5.0
KEY_CACHE_SIZE = 1024
MAX_FAILURES = 5
FAILURE_WINDOW = 60.0
BLOCK_SECONDS = 30.0
MAX_CLIENTS = 10_000

ALL_ROLES = ("admin", "organizer", "caseworker", "readonly")
#: May read (and caseworkers update) a person's record and suggestions.
PERSON_ROLES = ("admin", "organizer", "caseworker")
POST_READ_ROLES = ("admin", "organizer", "caseworker")
POST_WRITE_ROLES = ("admin", "organizer")

_bearer = HTTPBearer(auto_error=False, description="API key `mk_<key_id>_<secret>` (matcher keys create)")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's id, role, county/town and pii right."""

    key_id: str
    role: str
    county_code: str | None
    town_code: str | None
    pii: bool

    @property
    def person_scope(self) -> Scope:
        """The laborers this key may see: its town when it has one, else its county (admin: all)."""
        return Scope(self.county_code, self.town_code)

    @property
    def county_scope(self) -> Scope:
        """The posts (and, for organizers, people) of the key's county (admin: all)."""
        return Scope(self.county_code)

    def scope_for(self, kind: str) -> Scope:
        if kind == "laborers" and self.role == "caseworker":
            return self.person_scope
        return self.county_scope

    @classmethod
    def of(cls, record: KeyRecord) -> Principal:
        return cls(record.key_id, record.role, record.county_code, record.town_code, record.pii)


def key_digest(text: str) -> str:
    """What :class:`KeyCache` files a key's text under (its SHA-256, never the text itself)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class KeyCache:
    """Verified keys by the sha256 of their text, for a few seconds (bounded, thread-safe)."""

    def __init__(self, ttl: float = KEY_CACHE_SECONDS, size: int = KEY_CACHE_SIZE) -> None:
        self.ttl, self.size = ttl, size
        self._items: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> Principal | None:
        now = time.monotonic()
        with self._lock:
            item = self._items.get(digest)
            if item is None:
                return None
            if item[0] <= now:
                del self._items[digest]
                return None
            return item[1]

    def put(self, digest: str, principal: Principal) -> None:
        with self._lock:
            self._items[digest] = (time.monotonic() + self.ttl, principal)
            self._items.move_to_end(digest)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class FailureLimiter:
    """Authentication failures per client address; too many in a window → blocked for a while."""

    def __init__(
        self, max_failures: int = MAX_FAILURES, window: float = FAILURE_WINDOW, block: float = BLOCK_SECONDS
    ) -> None:
        self.max_failures, self.window, self.block = max_failures, window, block
        self._fails: OrderedDict[str, deque[float]] = OrderedDict()
        self._blocked: dict[str, float] = {}
        self._lock = threading.Lock()

    def blocked_for(self, client: str) -> float:
        """Seconds the client is still blocked (0: not blocked)."""
        now = time.monotonic()
        with self._lock:
            until = self._blocked.get(client)
            if until is None:
                return 0.0
            if until <= now:
                del self._blocked[client]
                return 0.0
            return until - now

    def fail(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            times = self._fails.pop(client, None) or deque(maxlen=self.max_failures)
            while times and times[0] <= now - self.window:
                times.popleft()
            times.append(now)
            self._fails[client] = times
            while len(self._fails) > MAX_CLIENTS:
                self._fails.popitem(last=False)
            if len(times) >= self.max_failures:
                self._blocked[client] = now + self.block
                times.clear()
                if len(self._blocked) > MAX_CLIENTS:
                    for old in [c for c, t in self._blocked.items() if t <= now]:
                        del self._blocked[old]

    def clear(self) -> None:
        with self._lock:
            self._fails.clear()
            self._blocked.clear()


async def get_application(request: Request) -> Application:
    """The application the lifespan handler built."""
    application = getattr(request.app.state, "application", None)
    if application is None:  # pragma: no cover - only without the lifespan
        from store.errors import NotReadyError

        raise NotReadyError("the service is starting", "服务正在启动", code="starting")
    return application


AppDep = Annotated[Application, Depends(get_application)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _unauthorized(code: str, zh: str, en: str) -> ApiError:
    return ApiError(401, code, zh, en, field="Authorization", headers={"WWW-Authenticate": "Bearer"})


async def get_principal(
    request: Request,
    application: AppDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller's key, verified (401 when missing, unknown, revoked or expired; 429 when blocked)."""
    state = request.app.state
    client = client_address(request)
    wait = state.limiter.blocked_for(client)
    if wait > 0:
        raise ApiError(
            429,
            "too_many_failures",
            f"认证失败次数过多，请 {int(wait) + 1} 秒后再试",
            f"too many failed authentications; try again in {int(wait) + 1} s",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    if credentials is None or not credentials.credentials:
        state.limiter.fail(client)
        raise _unauthorized(
            "missing_key",
            "缺少 API 密钥（Authorization: Bearer <key>）",
            "missing API key (Authorization: Bearer <key>)",
        )
    text = credentials.credentials
    digest = key_digest(text)
    principal = state.key_cache.get(digest)
    if principal is None:
        record = await run_in_threadpool(verify_key, application.engine, text)  # a store read: off the loop
        if record is None:
            state.limiter.fail(client)
            raise _unauthorized(
                "invalid_key", "API 密钥无效、已吊销或已过期", "the API key is unknown, revoked or expired"
            )
        principal = Principal.of(record)
        state.key_cache.put(digest, principal)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: str) -> Callable[..., Principal]:
    """A dependency that lets only keys of ``roles`` through (403 otherwise)."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise ApiError(
                403,
                "forbidden",
                f"角色 {principal.role} 无权访问此接口",
                f"role {principal.role} may not use this route",
                field="role",
                value=principal.role,
                allowed=", ".join(roles),
            )
        return principal

    return check


def role_dep(*roles: str) -> Any:
    """``Annotated[Principal, Depends(require(*roles))]``."""
    return Annotated[Principal, Depends(require(*roles))]


def mark_audit(request: Request, action: str, **ids: Any) -> None:
    """Ask the middleware to write an audit entry for this request (with its final status)."""
    request.state.audit = {"action": action, **{k: v for k, v in ids.items() if v is not None}}
