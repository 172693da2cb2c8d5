"""Helpers of the pages' tests: a small two-county store (the API tests' ``county_fixture``) with the pages.

``web`` logs keys in through the real login form and keeps each key's session cookie, so a test
asks for a page as a role (``web.get("/people", "caseworker")``) without logging in again.
Roles: ``admin``, ``organizer``, ``caseworker`` (county-wide), ``town`` (a caseworker of one
town), ``readonly``, ``foreign`` (a caseworker of the other county), ``pii`` (an organiser with
the pii right).
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

with warnings.catch_warnings():  # starlette prefers httpx2 over httpx; either works for these tests
    warnings.simplefilter("ignore")
    from county_fixture import OTHER, OWN, TwoCounties, build_two_counties
    from fastapi.testclient import TestClient

HTML = {"Accept": "text/html,application/xhtml+xml"}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class Web:
    county: TwoCounties
    client: TestClient
    keys: dict[str, str]
    town: str
    in_town: str  # a job seeker of `town`
    out_of_town: str  # a person of OWN outside `town`
    other: str  # a person of OTHER
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def app(self) -> Any:
        return self.client.app

    @property
    def application(self) -> Any:
        return self.client.app.state.application

    def login(self, key: str, next: str = "") -> Any:  # noqa: A002
        """Post the login form with ``key`` (a fresh form, its token and cookie); the response."""
        self.client.cookies.clear()
        form = self.client.get("/login", headers=HTML)
        token = LOGIN_TOKEN.search(form.text)
        assert token, form.text
        return self.client.post(
            "/login",
            data={"key": key, "login_token": token.group(1), "next": next},
            headers=HTML,
            follow_redirects=False,
        )

    def use(self, who: str | None) -> None:
        """Send the next requests as ``who`` (None: without a session)."""
        self.client.cookies.clear()
        if who is None:
            return
        if who not in self.cookies:
            answer = self.login(self.keys[who])
            assert answer.status_code == 303, answer.text
            self.cookies[who] = answer.cookies["matcher_session"]
        self.client.cookies.set("matcher_session", self.cookies[who])

    def get(self, path: str, who: str | None = None, **kw: Any) -> Any:
        self.use(who)
        kw.setdefault("follow_redirects", False)
        return self.client.get(path, headers=HTML, **kw)

    def post(self, path: str, who: str | None, data: dict[str, Any], csrf_from: str | None = None, **kw: Any) -> Any:
        """Post a form as ``who``; ``csrf_from``: a page whose CSRF token goes with it."""
        self.use(who)
        if csrf_from is not None:
            data = {**data, "csrf": csrf_of(self.client.get(csrf_from, headers=HTML).text)}
        kw.setdefault("follow_redirects", False)
        return self.client.post(path, data=data, headers=HTML, **kw)


def _town_people(county: TwoCounties) -> tuple[str, str, str]:
    with county.application.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT laborer_id, town_code, wants_job FROM laborers WHERE county_code = :c ORDER BY laborer_id"),
            {"c": OWN},
        ).all()
    seekers: dict[str, list[str]] = {}
    for laborer_id, town, wants in rows:
        if wants and town:
            seekers.setdefault(town, []).append(laborer_id)
    town = max(seekers, key=lambda t: len(seekers[t]))
    outside = next(r[0] for r in rows if r[1] != town)
    return town, seekers[town][0], outside


def build_web(home: Path) -> Iterator[Web]:
    from service.api.deps import FailureLimiter
    from service.api.main import create_app
    from store.keys import create_key

    county = build_two_counties(home)
    engine = county.application.engine
    town, in_town, outside = _town_people(county)
    keys = {
        "admin": county.key("admin"),
        "organizer": county.key("organizer"),
        "caseworker": county.key("caseworker"),
        "readonly": county.key("readonly"),
        "foreign": county.key("caseworker", OTHER),
        "foreign_organizer": county.key("organizer", OTHER),
        "pii": county.key("organizer", pii=True),
        "town": create_key(engine, role="caseworker", county_code=OWN, town_code=town, label="乡镇帮扶责任人")[1],
    }
    app = create_app(county.settings)
    app.state.limiter = FailureLimiter(max_failures=10**9)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Web(county, client, keys, town, in_town, outside, county.laborer[OTHER]["laborer_id"])


def person_with_suggestions(web: Web, at_least: int = 3, county: str = OWN) -> str:
    """A person of ``county`` whose card shows at least ``at_least`` suggestions."""
    app = web.application
    with app.engine.connect() as conn:
        ids = conn.execute(
            sa.text("SELECT laborer_id FROM laborers WHERE county_code = :c AND wants_job ORDER BY laborer_id"),
            {"c": county},
        ).scalars()
        for laborer_id in ids:
            if len(app.suggestions(laborer_id, k=5).result.recommendations) >= at_least:
                return str(laborer_id)
    raise AssertionError(f"no person of {county} with {at_least} suggestions")
