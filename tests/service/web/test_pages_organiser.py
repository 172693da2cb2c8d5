"""The organiser's desk over HTTP: posts and their fill state, candidates, supply and demand, the
morning report and its workbook, job fairs from the form to the workbook and the results."""

from __future__ import annotations

import io
import re

import openpyxl
import sqlalchemy as sa
from county_fixture import OTHER_NAME
from web_fixture import OTHER, OWN, Web, csrf_of


def test_posts_with_fill_state_and_supply_demand(web: Web) -> None:
    page = web.get("/posts", "organizer")
    assert page.status_code == 200
    for text in ("招聘人数", "已推荐", "已报名", "已录用", "各乡镇供需", "各职业供需", "能解锁最多岗位的培训"):
        assert text in page.text
    assert page.text.count("<svg") >= 1 and "<title>各乡镇招聘人数与求职人数</title>" in page.text
    own = web.county.vacancy[OWN]
    assert f'href="/posts/{own["vacancy_id"]}"' in page.text
    assert f'href="/posts/{web.county.vacancy[OTHER]["vacancy_id"]}"' not in page.text
    filtered = web.get("/posts?kind=online&status=open", "organizer")
    assert filtered.status_code == 200
    assert web.get("/posts", "caseworker").status_code == 200
    assert web.get("/posts", "readonly").status_code == 403
    # no asset from outside: every src and href is this site's own
    assert not re.search(r'(src|href)="(https?:)?//', page.text)


def test_post_candidates_for_organisers_only(web: Web) -> None:
    vacancy = web.county.vacancy[OWN]["vacancy_id"]
    organiser = web.get(f"/posts/{vacancy}", "organizer")
    assert organiser.status_code == 200 and "合适的求职者" in organiser.text and "招聘进度" in organiser.text
    caseworker = web.get(f"/posts/{vacancy}", "caseworker")
    assert caseworker.status_code == 200 and "合适的求职者" not in caseworker.text
    other = web.get(f"/posts/{vacancy}", "foreign_organizer")
    assert other.status_code == 404 and "没有找到" in other.text
    assert web.get("/posts/V9999999", "organizer").status_code == 404


def test_report_for_every_role_and_its_workbook(web: Web) -> None:
    for who in ("readonly", "caseworker", "organizer", "admin"):
        page = web.get("/report", who)
        assert page.status_code == 200, who
        assert "服务概况" in page.text and "推荐不足的原因" in page.text and "帮扶标记" in page.text
    download = web.get("/report/workbook", "organizer")
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    assert "县区汇总" in book.sheetnames


def _cells(book: openpyxl.Workbook) -> set[str]:
    return {str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None}


def test_a_county_key_reports_its_own_county_alone(web: Web) -> None:
    """The report page and its workbook of a county key hold that county alone: no other county's
    row, household or person, whichever role; the admin's workbook holds both counties."""
    other = web.county.laborer[OTHER]
    household = str(other.get("household_id") or "")
    for who in ("organizer", "readonly", "caseworker"):
        cells = _cells(openpyxl.load_workbook(io.BytesIO(web.get("/report/workbook", who).content)))
        assert OTHER_NAME not in cells and OTHER not in cells, who
        assert other["laborer_id"] not in " ".join(cells), who
        assert not household or household not in cells, who
        page = web.get("/report", who)
        assert OTHER_NAME not in page.text and (not household or household not in page.text), who
    admin = _cells(openpyxl.load_workbook(io.BytesIO(web.get("/report/workbook", "admin").content)))
    assert OTHER_NAME in admin


def test_readonly_reads_households_as_counts_per_village(web: Web) -> None:
    """A readonly key never reads a person: the zero-employment households still without a suggestion
    reach it as counts per village, on the page and in its own workbook; the organiser's name each one
    (the counting itself: tests/matcher/batch/test_report_without_people.py)."""

    def zero_sheet_header(who: str) -> list[str]:
        book = openpyxl.load_workbook(io.BytesIO(web.get("/report/workbook", who).content))
        (sheet,) = [ws for ws in book.worksheets if ws.title.startswith("零就业户")]
        return [str(c) for c in next(sheet.iter_rows(values_only=True))]

    organiser, readonly = zero_sheet_header("organizer"), zero_sheet_header("readonly")
    assert "户编号" in organiser and "成员编号" in organiser and "户数" not in organiser
    assert "户编号" not in readonly and "成员编号" not in readonly and "户数" in readonly
    section = re.compile(r'<section class="panel" aria-labelledby="zero-h">.*?</section>', re.DOTALL)
    page = section.search(web.get("/report", "readonly").text)
    assert page is not None and "<th>户编号</th>" not in page.group(0) and "户数" in page.group(0)
    page = section.search(web.get("/report", "organizer").text)
    assert page is not None and "<th>户编号</th>" in page.group(0)


def test_fairs_are_for_organisers(web: Web) -> None:
    assert web.get("/fairs", "organizer").status_code == 200
    for who in ("caseworker", "readonly"):
        assert web.get("/fairs", who).status_code == 403


def test_fair_from_the_form_to_the_workbook_and_results(web: Web) -> None:
    form = web.get("/fairs", "organizer")
    posts = re.findall(r'name="vacancy_id" value="([^"]+)"', form.text)
    assert posts
    data = {"name": "春季专场招聘会", "date": "2026-12-20", "place": "永寿县监军街道", "vacancy_id": posts}
    refused = web.post("/fairs", "organizer", {**data, "csrf": "x"})
    assert refused.status_code == 403
    made = web.post("/fairs", "organizer", {**data, "csrf": csrf_of(form.text)})
    assert made.status_code == 303, made.text
    path = made.headers["location"]
    fair_id = path.rsplit("/", 1)[1]
    page = web.get(path, "organizer")
    assert page.status_code == 200 and "生成邀请名单" in page.text
    built = web.post(f"{path}/invite", "organizer", {"csrf": csrf_of(page.text)})
    assert built.status_code == 303
    page = web.get(path, "organizer")
    assert "按展位" in page.text and "按村" in page.text
    book = openpyxl.load_workbook(io.BytesIO(web.get(f"{path}/workbook.xlsx", "organizer").content))
    booths = len(re.findall(r"<summary>展位\d+：.*?邀请([1-9]\d*)人</summary>", page.text))
    assert len([s for s in book.sheetnames if re.match(r"\d+号 ", s)]) == booths >= 1  # one sheet per booth
    printable = web.get(f"{path}/invitations", "organizer")
    assert printable.status_code == 200 and "text/html" in printable.headers["content-type"]
    invitation = re.search(r'<option value="([^"|]+\|[^"]+)">', page.text).group(1)
    done = web.post(
        f"{path}/results", "organizer", {"invitation": invitation, "outcome": "hired", "csrf": csrf_of(page.text)}
    )
    assert done.status_code == 303
    with web.application.engine.connect() as conn:
        rows = (
            conn.execute(sa.text("SELECT outcome FROM placements WHERE fair_id = :f"), {"f": fair_id}).scalars().all()
        )
    assert rows == ["hired"]
    assert "录用</dt><dd>1 人" in web.get(path, "organizer").text
    # another county's organiser: the same 404 as an unknown fair
    assert web.get(path, "foreign_organizer").status_code == 404
    assert web.get("/fairs/F-NOPE", "organizer").status_code == 404


#: Status of every page per key: admin, organizer, caseworker (county), town (a town's caseworker),
#: readonly, foreign (a caseworker of the other county), none (no session: to the login form).
WHO = ("admin", "organizer", "caseworker", "town", "readonly", "foreign", None)
MATRIX = {
    "/people": "200 200 200 200 403 200 303",
    "/people/{person}": "200 200 200 200 403 404 303",
    "/people/{person}/card": "200 200 200 200 403 404 303",
    "/villages/{village}/cards": "200 200 200 200 403 404 303",
    "/posts": "200 200 200 200 403 200 303",
    "/posts/{post}": "200 200 200 200 403 404 303",
    "/report": "200 200 200 200 200 200 303",
    "/fairs": "200 200 403 403 403 403 303",
}


def test_every_page_for_every_role(web: Web) -> None:
    with web.application.engine.connect() as conn:
        village = conn.execute(
            sa.text("SELECT village_code FROM laborers WHERE laborer_id = :i"), {"i": web.in_town}
        ).scalar()
    values = {"person": web.in_town, "village": village, "post": web.county.vacancy[OWN]["vacancy_id"]}
    for template, expected in MATRIX.items():
        path = template.format(**values)
        got = " ".join(str(web.get(path, who).status_code) for who in WHO)
        assert got == expected, f"{path}: {got} (expected {expected})"
