"""Sessions of the web pages: an API key turned into a signed cookie, CSRF tokens, logout.

The login form takes the same key the API takes (``mk_<key_id>_<secret>``), verified by
:func:`store.keys.verify_key`; the key text itself is never stored in the cookie. The cookie
``matcher_session`` holds the key's public id, a random session id and the expiry, signed with
HMAC-SHA256 under a secret kept in ``$MATCHER_HOME/web/session.key`` (made once, mode 0600, and
shared by every worker of the data directory). Every request re-reads the key's record (cached
for :data:`KEY_CACHE_SECONDS`), so a revoked or expired key ends its sessions within seconds.

Cookie flags: ``HttpOnly``, ``SameSite=Strict``, ``Path=/``, ``Max-Age`` (a session lasts
:data:`SESSION_SECONDS` and never past the key's own expiry) and ``Secure`` when the request
came over TLS. Logging out clears the cookie and records the session id in
``$MATCHER_HOME/web/logged_out`` (read by every worker), so a copied cookie stops working too.

CSRF: every form carries ``csrf``, an HMAC of the session id; the login form's token is an HMAC
of a random value in a short-lived ``matcher_login`` cookie (double submit), so a foreign page can
neither post a form as the user nor log the user in under another key.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response

from service.api.deps import Principal
from store.keys import KeyRecord
from store.schema import api_keys

__all__ = [
    "SESSION_COOKIE",
    "LOGIN_COOKIE",
    "SESSION_SECONDS",
    "Session",
    "Sessions",
]

SESSION_COOKIE = "matcher_session"
LOGIN_COOKIE = "matcher_login"
#: A session lasts a working day.
SESSION_SECONDS = 8 * 3600
#: The login form must be sent within this time of being shown.
LOGIN_SECONDS = 3600
KEY_CACHE_SECONDS = 5.0
_REVOKED_CHECK_SECONDS = 1.0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class Session:
    """A verified session: who (as the API's :class:`Principal`), its id and its CSRF token."""

    principal: Principal
    sid: str
    expires: int
    csrf: str
    label: str | None


class Sessions:
    """Signs, verifies and ends sessions of one data directory (one per app, thread-safe)."""

    def __init__(self, home: Path) -> None:
        self.dir = Path(home) / "web"
        self._secret: bytes | None = None
        self._keys: dict[str, tuple[float, KeyRecord | None]] = {}
        self._lock = threading.Lock()
        self._revoked: set[str] = set()
        self._revoked_at = 0.0
        self._revoked_mtime: float | None = None

    # ---------------------------------------------------------------- secret
    @property
    def secret(self) -> bytes:
        if self._secret is None:
            with self._lock:
                if self._secret is None:
                    self._secret = self._load_secret()
        return self._secret

    def _load_secret(self) -> bytes:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / "session.key"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            for _ in range(50):  # another worker is writing it
                text = path.read_text(encoding="ascii").strip()
                if len(text) == 64:
                    return bytes.fromhex(text)
                time.sleep(0.02)
            raise RuntimeError(f"the session secret {path} is damaged; delete it to make a new one") from None
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
        return bytes.fromhex(path.read_text(encoding="ascii").strip())

    def _sign(self, text: str) -> str:
        return _b64(hmac.new(self.secret, text.encode("utf-8"), hashlib.sha256).digest())

    # ----------------------------------------------------------------- login
    def login_token(self, nonce: str) -> str:
        return self._sign(f"login|{nonce}")

    def check_login_token(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.login_token(nonce), token)

    def csrf_for(self, sid: str) -> str:
        return self._sign(f"csrf|{sid}")

    def issue(self, record: KeyRecord, now: float | None = None) -> tuple[str, int]:
        """A signed cookie value for ``record`` and its lifetime in seconds."""
        now = time.time() if now is None else now
        expires = int(now + SESSION_SECONDS)
        if record.expires_at is not None:
            key_end = int(record.expires_at.replace(tzinfo=dt.UTC).timestamp())
            expires = min(expires, key_end)
        payload = _b64(json.dumps({"k": record.key_id, "s": secrets.token_urlsafe(16), "e": expires}).encode())
        return f"{payload}.{self._sign(payload)}", max(1, expires - int(now))

    # ---------------------------------------------------------------- verify
    def read(self, engine: Engine, cookie: str | None, now: float | None = None) -> Session | None:
        """The session the cookie holds, when its signature, expiry and key are all still good."""
        if not cookie or "." not in cookie or len(cookie) > 1024:
            return None
        payload, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(self._sign(payload), signature):
            return None
        try:
            data = json.loads(_unb64(payload))
            key_id, sid, expires = str(data["k"]), str(data["s"]), int(data["e"])
        except (ValueError, KeyError, TypeError):
            return None
        now = time.time() if now is None else now
        if expires <= now or sid in self.revoked():
            return None
        record = self.key(engine, key_id)
        if record is None or not record.active():
            return None
        return Session(Principal.of(record), sid, expires, self.csrf_for(sid), record.label)

    def key(self, engine: Engine, key_id: str) -> KeyRecord | None:
        """The key's public record (no hash), cached for a few seconds."""
        now = time.monotonic()
        with self._lock:
            hit = self._keys.get(key_id)
            if hit is not None and hit[0] > now:
                return hit[1]
        cols = [c for c in api_keys.c if c.name != "secret_hash"]
        with engine.connect() as conn:
            row = conn.execute(sa.select(*cols).where(api_keys.c.key_id == key_id)).first()
        record = None
        if row is not None:
            values = {c.name: row._mapping[c.name] for c in cols}
            record = KeyRecord(**{**values, "pii": bool(values["pii"])})
        with self._lock:
            self._keys[key_id] = (now + KEY_CACHE_SECONDS, record)
            if len(self._keys) > 4096:
                self._keys.clear()
        return record

    # ---------------------------------------------------------------- logout
    def _revoked_path(self) -> Path:
        return self.dir / "logged_out"

    def revoked(self) -> set[str]:
        """Session ids logged out (re-read from the shared file at most once a second)."""
        now = time.monotonic()
        if now - self._revoked_at < _REVOKED_CHECK_SECONDS:
            return self._revoked
        path = self._revoked_path()
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if mtime != self._revoked_mtime:
            found: set[str] = set()
            if mtime is not None:
                wall = time.time()
                for line in path.read_text(encoding="ascii", errors="replace").splitlines():
                    sid, _, until = line.partition(" ")
                    if until.isdigit() and int(until) > wall:
                        found.add(sid)
            with self._lock:
                self._revoked, self._revoked_mtime = found | self._revoked, mtime
        self._revoked_at = now
        return self._revoked

    def end(self, session: Session) -> None:
        """Log a session out everywhere (the id is kept until the session would have expired)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self._revoked_path()
        wall = time.time()
        with self._lock:
            self._revoked.add(session.sid)
            lines = []
            if path.exists():
                lines = [
                    line
                    for line in path.read_text(encoding="ascii", errors="replace").splitlines()
                    if line.partition(" ")[2].isdigit() and int(line.partition(" ")[2]) > wall
                ]
            lines.append(f"{session.sid} {session.expires}")
            tmp = path.with_name(f"logged_out.{os.getpid()}.{threading.get_ident()}")
            tmp.write_text("\n".join(lines) + "\n", encoding="ascii")
            os.replace(tmp, path)
            self._revoked_at = 0.0


def secure(request: Request) -> bool:
    """Whether the request came over TLS (the cookie then carries ``Secure``)."""
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int, path: str = "/") -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=path, httponly=True, samesite="strict", secure=secure(request)
    )


def clear_cookie(response: Response, request: Request, name: str, path: str = "/") -> None:
    response.delete_cookie(name, path=path, httponly=True, samesite="strict", secure=secure(request))


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"
