"""The pages as a person uses them: headless Chromium (Debian's, through Playwright) against a real
uvicorn server on 127.0.0.1.

Chromium comes from ``scripts/system.sh`` (``/usr/bin/chromium``); these tests never skip. A
screenshot of every page visited goes to ``$WEB_SCREENSHOTS`` (default: a folder under pytest's
temporary directory, printed at the end).
"""

from __future__ import annotations

import io
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from web_fixture import OWN, build_web, person_with_suggestions

CHROMIUM = "/usr/bin/chromium"


class Server:
    def __init__(self, app: Any) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Server]]:
    from service.api.main import create_app

    made = build_web(tmp_path_factory.mktemp("browser"))  # keys, people and the store (and a test client)
    web = next(made)
    app = create_app(web.county.settings)
    from service.api.deps import FailureLimiter

    app.state.limiter = FailureLimiter(max_failures=10**9)
    with Server(app) as server:
        yield web, server
    made.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium is missing: run scripts/system.sh (apt-get install chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("WEB_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _page(browser: Browser, server: Server, **kw: Any) -> tuple[Page, list[str]]:
    context = browser.new_context(locale="zh-CN", accept_downloads=True, **kw)
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((server.url, "data:")) else outside.append(r.url))
    return page, outside


def _login(page: Page, server: Server, key: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("访问密钥").fill(key)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def _shot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def test_caseworker_finds_a_person_records_an_outcome_and_prints_the_card(
    site: tuple[Any, Server], browser: Browser, shots: Path
) -> None:
    web, server = site
    laborer_id = person_with_suggestions(web)
    with web.application.engine.connect() as conn:
        id_number = conn.execute(
            sa.text("SELECT id_number FROM laborers WHERE laborer_id = :i"), {"i": laborer_id}
        ).scalar()
    page, outside = _page(browser, server)
    page.goto(f"{server.url}/people")
    assert "/login" in page.url
    _shot(page, shots, "login")
    _login(page, server, web.keys["caseworker"])
    assert page.url.endswith("/people")
    _shot(page, shots, "people")
    page.get_by_label("姓名、身份证号（全号或后4位）、村名").fill(id_number[-4:])
    page.get_by_role("button", name="查找").click()
    page.wait_for_load_state()
    page.locator(f'a[href="/people/{laborer_id}"]').first.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/people/{laborer_id}")
    suggestions = page.locator("article.suggestion")
    assert suggestions.count() >= 3
    for n in range(3):
        text = suggestions.nth(n).inner_text()
        assert "为何符合" in text and "工资" in text and "地点" in text
    _shot(page, shots, "person")
    first = suggestions.nth(0)
    assert not first.locator("[data-reason]").is_visible()  # the decline reason shows only for a decline
    first.get_by_label("对接结果").select_option("declined")
    assert first.locator("[data-reason]").is_visible()
    first.get_by_label("对接结果").select_option("interviewed")
    first.get_by_role("button", name="记录结果").click()
    page.wait_for_load_state()
    assert "已记录：已面试" in page.inner_text("main")
    assert "已面试" in page.locator("#history").inner_text()
    with web.application.engine.connect() as conn:
        outcome = conn.execute(
            sa.text("SELECT outcome FROM placements WHERE laborer_id = :i AND source = 'caseworker'"),
            {"i": laborer_id},
        ).scalar()
    assert outcome == "interviewed"
    page.get_by_role("link", name="打印全程服务卡").click()
    page.wait_for_load_state()
    _shot(page, shots, "card")
    page.emulate_media(media="print")
    _shot(page, shots, "card-print")
    assert not page.locator("header.top").is_visible()  # printed: the card alone
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=False)
    assert _pdf_pages(pdf) == 1, "the service card must print on exactly one A4 page"
    page.emulate_media(media="screen")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state()
    assert "已退出登录" in page.inner_text("main")
    page.goto(f"{server.url}/people/{laborer_id}")
    assert "/login" in page.url
    assert outside == [], f"requests left the server's origin: {outside}"
    page.context.close()


def test_other_county_and_readonly_see_no_person(site: tuple[Any, Server], browser: Browser, shots: Path) -> None:
    web, server = site
    laborer_id = person_with_suggestions(web)
    with web.application.engine.connect() as conn:
        id_number = conn.execute(
            sa.text("SELECT id_number FROM laborers WHERE laborer_id = :i"), {"i": laborer_id}
        ).scalar()
    page, _ = _page(browser, server)
    _login(page, server, web.keys["foreign"])
    page.goto(f"{server.url}/people?q={id_number[-4:]}")
    assert page.locator(f'a[href="/people/{laborer_id}"]').count() == 0
    for guess in (laborer_id, laborer_id.lower(), f"{laborer_id}/card"):
        answer = page.goto(f"{server.url}/people/{guess}")
        assert answer is not None and answer.status == 404
        assert "没有找到" in page.inner_text("main")
    _shot(page, shots, "not-found")
    page.context.close()
    page, _ = _page(browser, server)
    _login(page, server, web.keys["readonly"])
    answer = page.goto(f"{server.url}/people/{laborer_id}")
    assert answer is not None and answer.status == 403
    assert page.locator('a[href="/people"]').count() == 0  # no desk of people in the menu
    _shot(page, shots, "report-readonly") if page.goto(f"{server.url}/report") else None
    page.context.close()


@pytest.mark.parametrize(("width", "height"), [(360, 640), (375, 667)])
def test_phone_shows_the_card_without_sideways_scrolling(
    site: tuple[Any, Server], browser: Browser, shots: Path, width: int, height: int
) -> None:
    web, server = site
    laborer_id = person_with_suggestions(web)
    page, _ = _page(browser, server, viewport={"width": width, "height": height}, is_mobile=True)
    _login(page, server, web.keys["caseworker"])
    for path in (f"/people/{laborer_id}", "/people", "/posts", "/report"):
        page.goto(f"{server.url}{path}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{path} is {wide} px wide on a {width} px screen"
    page.goto(f"{server.url}/people/{laborer_id}")
    _shot(page, shots, f"person-phone-{width}")
    page.context.close()


def test_organiser_creates_a_fair_and_downloads_its_workbook(
    site: tuple[Any, Server], browser: Browser, shots: Path
) -> None:
    web, server = site
    page, outside = _page(browser, server, viewport={"width": 1280, "height": 900})
    _login(page, server, web.keys["organizer"])
    assert page.url.endswith("/posts")
    _shot(page, shots, "posts")
    page.goto(f"{server.url}/posts/{web.county.vacancy[OWN]['vacancy_id']}")
    _shot(page, shots, "post")
    page.goto(f"{server.url}/report")
    _shot(page, shots, "report")
    page.goto(f"{server.url}/fairs")
    page.get_by_label("名称").fill("冬季专场招聘会")
    page.get_by_label("日期").fill("2026-12-20")
    page.get_by_label("举办地点").fill("永寿县监军街道")
    boxes = page.locator('input[name="vacancy_id"]')
    for n in range(boxes.count()):
        boxes.nth(n).check()
    _shot(page, shots, "fairs")
    page.get_by_role("button", name="创建招聘会").click()
    page.wait_for_load_state()
    assert re.search(r"/fairs/[^/]+$", page.url)
    page.get_by_role("button", name="生成邀请名单").click()
    page.wait_for_load_state()
    _shot(page, shots, "fair")
    booths = page.locator("#booths details").count()
    invited = len(re.findall(r"邀请([1-9]\d*)人", page.locator("#booths").inner_text()))
    assert booths >= 1 and invited >= 1
    with page.expect_download() as caught:
        page.get_by_role("link", name="下载邀请名单工作簿（Excel）").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(caught.value.path()).read_bytes()))
    assert len([s for s in book.sheetnames if re.match(r"\d+号 ", s)]) == invited
    assert outside == [], f"requests left the server's origin: {outside}"
    page.context.close()


def test_screenshots_were_written(shots: Path) -> None:
    print(f"screenshots: {shots}")  # noqa: T201
    assert list(shots.glob("*.png"))
