"""The caseworker's desk over HTTP: the list, a person's card, the service cards, recording outcomes."""

from __future__ import annotations

import re

import sqlalchemy as sa
from web_fixture import OWN, Web, csrf_of, person_with_suggestions

from service.masking import mask_id_number


def _record(web: Web, laborer_id: str) -> dict:
    with web.application.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM laborers WHERE laborer_id = :i"), {"i": laborer_id}).first()
    return dict(row._mapping)


def test_list_needs_a_session(web: Web) -> None:
    answer = web.get("/people?q=张", None)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=%2Fpeople%3Fq%3D")


def test_list_counts_people_per_village_and_filters(web: Web) -> None:
    page = web.get("/people", "caseworker")
    assert page.status_code == 200
    assert "各村人数" in page.text and "名单" in page.text
    total = int(re.search(r"各村人数（共 ([\d,]+) 人）", page.text).group(1).replace(",", ""))
    with web.application.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM laborers WHERE county_code = :c"), {"c": OWN}).scalar()
    assert total == stored
    for query in (
        "flag=home_based",
        "status=unemployed",
        "nosugg=1",
        f"village={_record(web, web.in_town)['village_code']}",
    ):
        answer = web.get(f"/people?{query}", "caseworker")
        assert answer.status_code == 200, query
    assert (
        "unemployed"
        not in web.get("/people?status=unemployed", "caseworker").text.split("<main", 1)[1].split("名单")[1]
    )


def test_search_by_id_tail_name_or_village(web: Web) -> None:
    person = _record(web, web.in_town)
    for q in (person["id_number"][-4:], person["id_number"], person["name"], person["village"]):
        page = web.get(f"/people?q={q}", "caseworker")
        assert f'href="/people/{web.in_town}"' in page.text, q
    # the ID number shows masked without the pii right, in full with it
    assert mask_id_number(person["id_number"]) in web.get(f"/people?q={person['id_number'][-4:]}", "caseworker").text
    assert person["id_number"] in web.get(f"/people?q={person['id_number'][-4:]}", "pii").text


def test_town_caseworker_sees_only_the_town(web: Web) -> None:
    page = web.get("/people", "town")
    assert f'href="/people/{web.in_town}"' in page.text or "下一页" in page.text
    assert f'href="/people/{web.out_of_town}"' not in page.text
    refused = web.get(f"/people/{web.out_of_town}", "town")
    assert refused.status_code == 404
    assert "没有找到" in refused.text and "不在您的管辖范围内" in refused.text


def test_another_county_is_a_404_by_url_search_or_guess(web: Web) -> None:
    own = _record(web, web.in_town)
    for path in (f"/people/{web.in_town}", f"/people/{web.in_town}/card", f"/people/{web.in_town.lower()}"):
        answer = web.get(path, "foreign")
        assert answer.status_code == 404, path
        assert "没有找到" in answer.text and own["name"] not in answer.text
    assert web.get(f"/people/{web.other}", "caseworker").status_code == 404
    found = web.get(f"/people?q={own['id_number'][-4:]}", "foreign")
    assert f"/people/{web.in_town}" not in found.text
    assert web.get(f"/villages/{own['village_code']}/cards", "foreign").status_code == 404
    assert web.get("/people/L9999999", "caseworker").status_code == 404


def test_readonly_sees_no_person(web: Web) -> None:
    for path in ("/people", f"/people/{web.in_town}", f"/people/{web.in_town}/card"):
        answer = web.get(path, "readonly")
        assert answer.status_code == 403, path
        assert "没有查看这个页面的权限" in answer.text


def test_person_card_shows_the_apis_suggestions_with_reasons(web: Web) -> None:
    laborer_id = person_with_suggestions(web)
    api = web.client.get(
        f"/laborers/{laborer_id}/recommendations?k=5", headers={"Authorization": f"Bearer {web.keys['caseworker']}"}
    ).json()
    page = web.get(f"/people/{laborer_id}", "caseworker")
    assert page.status_code == 200
    shown = re.findall(r'name="vacancy_id" value="([^"]+)"', page.text)
    assert shown == [r["vacancy_id"] for r in api["recommendations"]]
    assert len(shown) >= 3
    for text in ("基本情况", "家庭", "技能与意愿", "帮扶标记", "推荐岗位", "为何符合", "工资", "对接记录"):
        assert text in page.text
    person = _record(web, laborer_id)
    assert person["id_number"] not in page.text and mask_id_number(person["id_number"]) in page.text
    assert person["id_number"] in web.get(f"/people/{laborer_id}", "pii").text
    body = page.text.split("<main", 1)[1]
    for code in ("employed_local", "home_based", "public_welfare", "nationwide", "same_county", "workshop_home"):
        assert f">{code}<" not in body and f"{code}）" not in body


def test_service_card_and_village_cards(web: Web) -> None:
    laborer_id = person_with_suggestions(web)
    card = web.get(f"/people/{laborer_id}/card", "caseworker")
    assert card.status_code == 200
    assert card.text.count('class="service-card"') == 1
    assert "就业帮扶全程服务卡" in card.text and "签字" in card.text
    assert 1 <= card.text.count("<li><strong>") <= 3
    village = _record(web, laborer_id)["village_code"]
    cards = web.get(f"/villages/{village}/cards", "caseworker")
    assert cards.status_code == 200
    with web.application.engine.connect() as conn:
        seekers = conn.execute(
            sa.text("SELECT count(*) FROM laborers WHERE village_code = :v AND wants_job"), {"v": village}
        ).scalar()
    assert cards.text.count('class="service-card"') == seekers


def _placements(web: Web, laborer_id: str) -> list[tuple]:
    with web.application.engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT vacancy_id, outcome, source FROM placements WHERE laborer_id = :i AND source LIKE 'caseworker%'"
            ),
            {"i": laborer_id},
        ).all()


def test_recording_outcomes(web: Web) -> None:
    laborer_id = person_with_suggestions(web)
    page = web.get(f"/people/{laborer_id}", "caseworker")
    posts = re.findall(r'name="vacancy_id" value="([^"]+)"', page.text)
    path = f"/people/{laborer_id}/outcomes"
    # without the form's token: refused, nothing stored
    refused = web.post(path, "caseworker", {"vacancy_id": posts[0], "outcome": "interviewed", "csrf": "x"})
    assert refused.status_code == 403 and _placements(web, laborer_id) == []
    token = csrf_of(page.text)
    done = web.post(path, "caseworker", {"vacancy_id": posts[0], "outcome": "interviewed", "csrf": token})
    assert done.status_code == 303 and done.headers["location"].endswith("#history")
    assert (posts[0], "interviewed", "caseworker") in _placements(web, laborer_id)
    shown = web.get(done.headers["location"].split("#")[0], "caseworker")
    assert "已记录：已面试" in shown.text
    # a decline needs its reason, and keeps it
    bad = web.post(path, "caseworker", {"vacancy_id": posts[1], "outcome": "declined", "csrf": token})
    assert bad.status_code == 422 and "婉拒须选择原因" in bad.text
    web.post(path, "caseworker", {"vacancy_id": posts[1], "outcome": "declined", "reason": "too_far", "csrf": token})
    assert (posts[1], "declined", "caseworker:too_far") in _placements(web, laborer_id)
    history = web.get(f"/people/{laborer_id}", "caseworker").text.split('id="history"', 1)[1]
    assert "本人婉拒（路太远）" in history and "已面试" in history
    # an unknown outcome, an unknown post: refused
    assert (
        web.post(path, "caseworker", {"vacancy_id": posts[2], "outcome": "married", "csrf": token}).status_code == 422
    )
    assert (
        web.post(path, "caseworker", {"vacancy_id": "V9999999", "outcome": "hired", "csrf": token}).status_code == 404
    )
    # the audit log names who recorded what
    web.app.state.audit.flush(web.application.engine)
    with web.application.engine.connect() as conn:
        actions = (
            conn.execute(
                sa.text("SELECT detail FROM audit_log WHERE action = 'record_outcome' AND laborer_id = :i"),
                {"i": laborer_id},
            )
            .scalars()
            .all()
        )
    assert "interviewed" in actions and "declined:too_far" in actions


def test_another_countys_caseworker_cannot_record(web: Web) -> None:
    laborer_id = person_with_suggestions(web)
    page = web.get(f"/people/{laborer_id}", "caseworker")
    post = re.findall(r'name="vacancy_id" value="([^"]+)"', page.text)[0]
    token = csrf_of(web.get("/logout", "foreign").text)
    answer = web.post(
        f"/people/{laborer_id}/outcomes", "foreign", {"vacancy_id": post, "outcome": "hired", "csrf": token}
    )
    assert answer.status_code == 404
    assert ("hired",) not in [(o,) for _, o, _ in _placements(web, laborer_id)]
