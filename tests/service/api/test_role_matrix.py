"""Role × route × county matrix of the HTTP API, every expected status written down literally.

Subjects (columns of every row, in this order): ``admin``, ``organizer``, ``caseworker`` and
``readonly`` keys of 永寿县 (610426; admin spans every county), no key, and a revoked key.
Targets: ``own`` (a laborer/post/fair of 610426), ``other`` (one of 乾县 610424), or ``any``
for routes that take no record of a county. A route of the app without a row here fails
:func:`test_table_covers_every_route`.

What the API does (and the table records): ``readonly`` is refused (403) by every route that
shows or changes a person, a post, a fair or the audit — before any id is looked at; a key
asking for a laborer or post of another county gets 404 with the body of an unknown id;
writing a record (import, fair) placed in another county is a 422 ``outside_scope``/county error.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from county_fixture import OTHER, OWN, TwoCounties, bearer, build_two_counties, client_for, csv_bytes, csv_row
from fastapi.testclient import TestClient

SUBJECTS = ("admin", "organizer", "caseworker", "readonly", "none", "revoked")

# (method, path): {target: "status per subject, in SUBJECTS order"}
TABLE: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/openapi.json"): {"any": "200 200 200 200 200 200"},
    ("GET", "/docs"): {"any": "200 200 200 200 200 200"},
    ("GET", "/docs/oauth2-redirect"): {"any": "200 200 200 200 200 200"},
    ("GET", "/redoc"): {"any": "200 200 200 200 200 200"},
    ("GET", "/health"): {"any": "200 200 200 200 200 200"},
    ("GET", "/metrics"): {"any": "200 200 200 200 200 200"},
    ("GET", "/laborers/{laborer_id}"): {"own": "200 200 200 403 401 401", "other": "200 404 404 403 401 401"},
    ("GET", "/laborers"): {"any": "200 200 200 403 401 401"},
    ("PUT", "/laborers/{laborer_id}"): {"own": "200 200 200 403 401 401", "other": "200 404 404 403 401 401"},
    ("POST", "/laborers:import"): {"own": "200 200 403 403 401 401", "other": "200 422 403 403 401 401"},
    ("GET", "/laborers/{laborer_id}/recommendations"): {
        "own": "200 200 200 403 401 401",
        "other": "200 404 404 403 401 401",
    },
    ("POST", "/recommendations"): {"any": "200 200 200 403 401 401"},
    ("GET", "/vacancies/{vacancy_id}"): {"own": "200 200 200 403 401 401", "other": "200 404 404 403 401 401"},
    ("GET", "/vacancies"): {"any": "200 200 200 403 401 401"},
    ("PUT", "/vacancies/{vacancy_id}"): {"own": "200 200 403 403 401 401", "other": "200 404 403 403 401 401"},
    ("POST", "/vacancies:import"): {"own": "200 200 403 403 401 401", "other": "200 422 403 403 401 401"},
    ("GET", "/vacancies/{vacancy_id}/candidates"): {
        "own": "200 200 403 403 401 401",
        "other": "200 404 403 403 401 401",
    },
    ("POST", "/occupations/normalize"): {"any": "200 200 200 200 401 401"},
    ("GET", "/runs"): {"any": "200 200 200 200 401 401"},
    ("GET", "/runs/{run_id}"): {"any": "200 200 200 200 401 401"},
    ("GET", "/runs/{run_id}/report"): {"any": "200 200 200 200 401 401"},
    ("GET", "/fairs"): {"any": "200 200 403 403 401 401"},
    ("POST", "/fairs"): {"own": "201 201 403 403 401 401", "other": "201 422 403 403 401 401"},
    ("POST", "/fairs/{fair_id}/shortlist"): {"own": "200 200 403 403 401 401", "other": "200 404 403 403 401 401"},
    ("GET", "/fairs/{fair_id}/shortlist.xlsx"): {
        "own": "200 200 403 403 401 401",
        "other": "200 404 403 403 401 401",
    },
    ("GET", "/audit"): {"any": "200 403 403 403 401 401"},
    # deletes last: they remove records (a different one per subject, never one used above)
    ("DELETE", "/laborers/{laborer_id}"): {"own": "200 200 403 403 401 401", "other": "200 404 403 403 401 401"},
    ("DELETE", "/vacancies/{vacancy_id}"): {"own": "200 200 403 403 401 401", "other": "200 404 403 403 401 401"},
}

#: Routes whose 404 for another county's record must carry the body of an unknown id.
ID_ROUTES = {
    ("GET", "/laborers/{laborer_id}"): "laborers",
    ("PUT", "/laborers/{laborer_id}"): "laborers",
    ("GET", "/laborers/{laborer_id}/recommendations"): "laborers",
    ("DELETE", "/laborers/{laborer_id}"): "laborers",
    ("GET", "/vacancies/{vacancy_id}"): "vacancies",
    ("PUT", "/vacancies/{vacancy_id}"): "vacancies",
    ("GET", "/vacancies/{vacancy_id}/candidates"): "vacancies",
    ("DELETE", "/vacancies/{vacancy_id}"): "vacancies",
}


def app_routes(routes: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, included routers walked (HEAD left out)."""
    for route in routes:
        if type(route).__name__ == "PageRoute":
            continue  # the web pages (service/web): their roles are tested in tests/service/web
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from app_routes(inner.routes, prefix + getattr(route.include_context, "prefix", ""))
            continue
        sub = getattr(route, "routes", None)
        if sub is not None and not getattr(route, "methods", None):
            yield from app_routes(sub, prefix + getattr(route, "path", ""))
            continue
        for method in sorted(set(getattr(route, "methods", None) or {"GET"}) - {"HEAD"}):
            yield method, prefix + route.path


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> TwoCounties:
    return build_two_counties(tmp_path_factory.mktemp("role_matrix"))


@pytest.fixture(scope="module")
def client(county: TwoCounties) -> Iterator[TestClient]:
    with client_for(county.settings) as c:
        yield c


@pytest.fixture(scope="module")
def fairs(county: TwoCounties) -> dict[str, str]:
    """One fair per county, on its open posts."""

    from matcher.fair.model import create_fair

    day = county.application.today() + dt.timedelta(days=10)
    out = {}
    for where in (OWN, OTHER):
        fair = create_fair(county.application.engine, name=f"招聘会 {where}", date=day, place="县广场", county=where)
        out[where] = fair.fair_id
    return out


def key_of(county: TwoCounties, subject: str) -> str | None:
    if subject == "none":
        return None
    if subject == "revoked":
        return county.revoked
    return county.key(subject, OWN)


def request_for(
    county: TwoCounties, fairs: dict[str, str], method: str, path: str, target: str, subject: str
) -> tuple[str, dict[str, Any]]:
    """The URL and request arguments of one cell (bodies valid, so only the key and county decide)."""
    where = OTHER if target == "other" else OWN
    files = county.files
    laborer = county.laborer[where]["laborer_id"]
    vacancy = county.vacancy[where]["vacancy_id"]
    if method == "DELETE":  # a record of its own per subject
        pick = 2 + SUBJECTS.index(subject)
        laborer = county.laborers[where][pick]["laborer_id"]
        vacancy = county.vacancies[where][pick]["vacancy_id"]
    url = (
        path.replace("{laborer_id}", laborer)
        .replace("{vacancy_id}", vacancy)
        .replace("{fair_id}", fairs[where])
        .replace("{run_id}", county.run_id)
    )
    kwargs: dict[str, Any] = {}
    if method == "PUT" and path.startswith("/laborers"):
        kwargs["json"] = csv_row(files["laborers"], "laborer_id", laborer)
    elif method == "PUT":
        kwargs["json"] = csv_row(files["vacancies"], "vacancy_id", vacancy)
    elif path == "/laborers:import":
        one = county.laborers[where][1]["laborer_id"]
        kwargs["files"] = {"file": ("ledger.csv", csv_bytes(files["laborers"], "laborer_id", [one]), "text/csv")}
    elif path == "/vacancies:import":
        one = county.vacancies[where][1]["vacancy_id"]
        kwargs["files"] = {"file": ("posts.csv", csv_bytes(files["vacancies"], "vacancy_id", [one]), "text/csv")}
    elif path == "/recommendations":
        profile = csv_row(files["laborers"], "laborer_id", county.laborer[OWN]["laborer_id"])
        kwargs["json"] = {k: v for k, v in profile.items() if k not in ("laborer_id", "name", "id_number", "phone")}
    elif path == "/occupations/normalize":
        kwargs["json"] = {"titles": ["保洁员", "电焊工"], "k": 2}
    elif path == "/fairs" and method == "POST":
        kwargs["json"] = {
            "name": f"春风行动 {subject}",
            "date": str(county.application.today() + dt.timedelta(days=10)),
            "place": "县城广场",
            "county": where,
        }
    return url, kwargs


def test_table_covers_every_route(client: TestClient) -> None:
    routes = set(app_routes(client.app.routes))
    assert routes == set(TABLE), {
        "routes without a row": routes - set(TABLE),
        "rows without a route": set(TABLE) - routes,
    }
    for row in TABLE.values():
        assert set(row) in ({"any"}, {"own", "other"})
        assert all(len(cells.split()) == len(SUBJECTS) for cells in row.values())


def test_matrix(client: TestClient, county: TwoCounties, fairs: dict[str, str]) -> None:
    wrong = []
    for (method, path), row in TABLE.items():
        for target, cells in row.items():
            for subject, expected in zip(SUBJECTS, cells.split(), strict=True):
                url, kwargs = request_for(county, fairs, method, path, target, subject)
                response = client.request(method, url, headers=bearer(key_of(county, subject)), **kwargs)
                if response.status_code != int(expected):
                    wrong.append(
                        f"{method} {path} [{target}] {subject}: {response.status_code} != {expected} "
                        f"{response.text[:200]}"
                    )
                elif response.status_code >= 400 and response.headers["content-type"].startswith("application/json"):
                    body = response.json()
                    assert set(body) == {"code", "message_zh", "message_en", "field", "value", "allowed"}, body
    assert not wrong, "\n".join(wrong)


def _same_as_unknown(client: TestClient, key: str, method: str, path: str, kind: str, real: str, **kw: Any) -> None:
    """A record of another county answers exactly what an unknown id answers (id text aside)."""
    placeholder = "{laborer_id}" if kind == "laborers" else "{vacancy_id}"
    unknown = ("L" if kind == "laborers" else "V") + "9999999"
    seen = client.request(method, path.replace(placeholder, real), headers=bearer(key), **kw)
    none = client.request(method, path.replace(placeholder, unknown), headers=bearer(key), **kw)
    # A PUT's partial body is refused as such (422) whether the id is another area's or free: the area is
    # judged in the write transaction, once the body is valid (test_area_writes: then 404, or an insert).
    expected = 422 if method == "PUT" else 404
    assert seen.status_code == none.status_code == expected, (path, seen.text, none.text)
    assert json.loads(seen.text.replace(real, "ID")) == json.loads(none.text.replace(unknown, "ID"))
    assert dict(seen.headers).keys() == dict(none.headers).keys()


def test_other_county_is_an_unknown_id(client: TestClient, county: TwoCounties) -> None:
    for role in ("organizer", "caseworker"):
        key = county.key(role, OWN)
        for (method, path), kind in ID_ROUTES.items():
            if role == "caseworker" and (
                method == "DELETE" or path.endswith("candidates") or (kind == "vacancies" and method == "PUT")
            ):
                continue  # refused by role (403) before any id is looked at
            kw: dict[str, Any] = {}
            real = (county.laborer if kind == "laborers" else county.vacancy)[OTHER]
            real_id = real["laborer_id" if kind == "laborers" else "vacancy_id"]
            if method == "PUT":
                kw["json"] = {"expected_wage": "2000"} if kind == "laborers" else {"openings": "3"}
            _same_as_unknown(client, key, method, path, kind, real_id, **kw)


def test_lists_never_show_another_county(client: TestClient, county: TwoCounties) -> None:
    person = county.laborer[OTHER]
    id_number, name = str(person["id_number"]), str(person["name"])
    admin = county.key("admin", OWN)
    # the searches do find the person for a key that may see every county (so this test can fail)
    for q in (id_number, id_number[-6:], person["laborer_id"]):
        found = client.get("/laborers", params={"q": q}, headers=bearer(admin)).json()
        assert person["laborer_id"] in {r["laborer_id"] for r in found["items"]}, q
    for role in ("organizer", "caseworker"):
        key = county.key(role, OWN, pii=True)
        for q in (id_number, id_number[-6:], id_number[-4:], person["laborer_id"], name, name[1:]):
            page = client.get("/laborers", params={"q": q, "page_size": 200}, headers=bearer(key))
            assert page.status_code == 200, page.text
            items = page.json()["items"]
            assert person["laborer_id"] not in {r["laborer_id"] for r in items}, (role, q)
            assert {r["county_code"] for r in items} <= {OWN}, (role, q)
        page = client.get("/laborers", params={"page_size": 200}, headers=bearer(key)).json()
        assert page["items"] and {r["county_code"] for r in page["items"]} == {OWN}
        assert page["total"] == sum(1 for r in _all(client, key, "/laborers"))
        posts = _all(client, key, "/vacancies")
        assert posts and {r["county_code"] for r in posts} == {OWN}
        other_post = county.vacancy[OTHER]["vacancy_id"]
        found = client.get("/vacancies", params={"q": other_post}, headers=bearer(key)).json()
        assert found["items"] == [] and found["total"] == 0
    fairs = client.get("/fairs", headers=bearer(county.key("organizer", OWN))).json()
    assert fairs and {f["county_code"] for f in fairs} == {OWN}


def _all(client: TestClient, key: str, path: str) -> list[dict[str, Any]]:
    out, page = [], 1
    while True:
        got = client.get(path, params={"page": page, "page_size": 200}, headers=bearer(key)).json()
        out += got["items"]
        if len(out) >= got["total"] or not got["items"]:
            return out
        page += 1


def test_candidates_stay_in_the_county(client: TestClient, county: TwoCounties) -> None:
    key = county.key("organizer", OWN)
    own_ids = {r["laborer_id"] for r in _all(client, county.key("organizer", OWN), "/laborers")}
    for vacancy in county.vacancies[OWN][:2]:
        got = client.get(f"/vacancies/{vacancy['vacancy_id']}/candidates", params={"k": 50}, headers=bearer(key))
        assert got.status_code == 200, got.text
        assert {c["laborer_id"] for c in got.json()["candidates"]} <= own_ids
