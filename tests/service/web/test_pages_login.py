"""Logging in with an API key: the session cookie's flags, CSRF on the forms, logout, expiry."""

from __future__ import annotations

import time

import pytest
from web_fixture import HTML, LOGIN_TOKEN, Web, csrf_of

from service.api.deps import FailureLimiter


def _cookie_header(response, name: str) -> str:
    found = [v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(f"{name}=")]
    assert found, f"no {name} cookie set"
    return found[0]


def test_login_form_is_chinese_and_labelled(web: Web) -> None:
    page = web.get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert '<label for="key">访问密钥</label>' in page.text
    assert 'id="key" name="key" type="password"' in page.text
    assert LOGIN_TOKEN.search(page.text)
    flags = _cookie_header(page, "matcher_login").lower()
    assert "httponly" in flags and "samesite=strict" in flags and "path=/login" in flags


@pytest.mark.parametrize(
    ("who", "home"),
    [("caseworker", "/people"), ("organizer", "/posts"), ("admin", "/people"), ("readonly", "/report")],
)
def test_login_sets_a_strict_httponly_expiring_cookie(web: Web, who: str, home: str) -> None:
    answer = web.login(web.keys[who])
    assert answer.status_code == 303
    assert answer.headers["location"] == home
    flags = _cookie_header(answer, "matcher_session")
    lowered = flags.lower()
    assert "httponly" in lowered
    assert "samesite=strict" in lowered
    assert "path=/" in lowered
    assert "max-age=28800" in lowered
    assert "secure" not in lowered  # plain http: a Secure cookie would never come back
    assert web.keys[who] not in flags  # the key itself never goes into the cookie


def test_cookie_is_secure_over_tls(web: Web) -> None:
    client = web.client
    client.cookies.clear()
    form = client.get("https://testserver/login", headers=HTML)
    token = LOGIN_TOKEN.search(form.text).group(1)
    answer = client.post(
        "https://testserver/login",
        data={"key": web.keys["caseworker"], "login_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert "; secure" in _cookie_header(answer, "matcher_session").lower()
    assert "; secure" in _cookie_header(form, "matcher_login").lower()


def test_wrong_key_is_refused_in_chinese(web: Web) -> None:
    answer = web.login("mk_nosuchkey0_" + "x" * 43)
    assert answer.status_code == 401
    assert "密钥不正确" in answer.text
    assert "matcher_session" not in answer.cookies


def test_repeated_failures_are_blocked(web: Web) -> None:
    web.app.state.limiter = FailureLimiter(max_failures=3)
    try:
        for _ in range(3):
            assert web.login("mk_nosuchkey0_" + "y" * 43).status_code == 401
        blocked = web.login(web.keys["caseworker"])
        assert blocked.status_code == 429
        assert "次数过多" in blocked.text
    finally:
        web.app.state.limiter = FailureLimiter(max_failures=10**9)


def test_login_without_its_form_token_is_refused(web: Web) -> None:
    web.client.cookies.clear()
    web.client.get("/login", headers=HTML)
    for token in ("", "forged"):
        answer = web.client.post(
            "/login", data={"key": web.keys["caseworker"], "login_token": token}, headers=HTML, follow_redirects=False
        )
        assert answer.status_code == 403
        assert "matcher_session" not in answer.cookies
    # a token without its cookie (a form shown to another browser) is refused too
    token = LOGIN_TOKEN.search(web.client.get("/login", headers=HTML).text).group(1)
    web.client.cookies.clear()
    answer = web.client.post(
        "/login", data={"key": web.keys["caseworker"], "login_token": token}, headers=HTML, follow_redirects=False
    )
    assert answer.status_code == 403


def test_login_goes_back_to_the_page_asked_only_on_this_site(web: Web) -> None:
    assert web.login(web.keys["caseworker"], next="/people?q=1").headers["location"] == "/people?q=1"
    for bad in ("//evil.example/x", "https://evil.example/", "/\\evil"):
        assert web.login(web.keys["caseworker"], next=bad).headers["location"] == "/people"


def test_a_forged_or_expired_cookie_is_no_session(web: Web) -> None:
    good = web.login(web.keys["caseworker"]).cookies["matcher_session"]
    payload, signature = good.rsplit(".", 1)
    sessions = web.app.state.web_sessions
    record = sessions.key(web.application.engine, _key_id(web.keys["caseworker"]))
    old, _ = sessions.issue(record, now=time.time() - 9 * 3600)
    for cookie in (payload + ".AAAA" + signature[4:], old, "garbage", payload):
        web.client.cookies.clear()
        web.client.cookies.set("matcher_session", cookie)
        answer = web.client.get("/logout", headers=HTML, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), cookie


def _key_id(text: str) -> str:
    return text.split("_")[1]


def test_revoked_key_ends_its_sessions(web: Web) -> None:
    from store.keys import create_key, revoke_key

    record, text = create_key(web.application.engine, role="caseworker", county_code="610426")
    cookie = web.login(text).cookies["matcher_session"]
    web.client.cookies.set("matcher_session", cookie)
    assert web.client.get("/logout", headers=HTML, follow_redirects=False).status_code == 200
    revoke_key(web.application.engine, record.key_id)
    web.app.state.web_sessions._keys.clear()  # the key cache holds a record for at most 5 s
    answer = web.client.get("/logout", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303


def test_logout_needs_its_token_and_ends_the_session_everywhere(web: Web) -> None:
    cookie = web.login(web.keys["organizer"]).cookies["matcher_session"]
    web.client.cookies.set("matcher_session", cookie)
    confirm = web.client.get("/logout", headers=HTML)
    assert confirm.status_code == 200 and "确认退出" in confirm.text
    refused = web.client.post("/logout", data={"csrf": "forged"}, headers=HTML)
    assert refused.status_code == 403 and "表单已失效" in refused.text
    done = web.client.post("/logout", data={"csrf": csrf_of(confirm.text)}, headers=HTML)
    assert done.status_code == 200 and "已退出登录" in done.text
    assert 'matcher_session=""' in _cookie_header(done, "matcher_session")
    # the same cookie, kept by someone who copied it, no longer opens a page
    web.client.cookies.clear()
    web.client.cookies.set("matcher_session", cookie)
    assert web.client.get("/logout", headers=HTML, follow_redirects=False).status_code == 303


def test_api_clients_keep_their_json_at_shared_addresses(web: Web) -> None:
    answer = web.client.get("/fairs", headers={"Authorization": f"Bearer {web.keys['organizer']}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert web.client.get("/fairs").status_code == 401  # no key, no browser: the API's answer


def test_pages_send_security_headers(web: Web) -> None:
    page = web.get("/login")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
