"""The hot read answered without the framework (service/api/hot.py) answers exactly as the route does.

Every answer it gives must be the route's, byte for byte, with the same audit entry and metrics; everything
it cannot answer from memory (a key not verified yet, a role without the right, a person of another area or
unknown, a bad ``k``, a list that must be computed afresh) must reach the route and get the route's answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from county_fixture import OTHER, OWN, TwoCounties, bearer, build_two_counties, client_for, csv_row
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from service.api import hot
from service.api.hot import HotReads

PATH = "/laborers/{}/recommendations"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TwoCounties, TestClient]]:
    county = build_two_counties(tmp_path_factory.mktemp("hot_reads"))
    with client_for(county.settings) as client:
        yield county, client


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the fast path answered itself during the test."""
    answered: list[str] = []
    original = HotReads._answer

    def spy(self: HotReads, scope: dict[str, Any]) -> bytes | None:
        body = original(self, scope)
        if body is not None:
            answered.append(scope["path"])
        return body

    monkeypatch.setattr(HotReads, "_answer", spy)
    return answered


def _run_people(county: TwoCounties, where: str, n: int) -> list[str]:
    """``n`` people of the run placed in county ``where``."""
    from store.ledger import Scope, list_records

    view = county.application.run_view
    assert view is not None
    rows, _ = list_records(county.application.engine, "laborers", Scope(where), page_size=500)
    placed = {r["laborer_id"] for r in rows}
    people = [i for i in view.laborer_ids() if i in placed]
    assert len(people) >= n
    return people[:n]


def _first_difference(a: bytes, b: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"at byte {at}: {a[max(0, at - 80) : at + 80]!r} / {b[max(0, at - 80) : at + 80]!r}"


def _warm(client: TestClient, key: str) -> None:
    """The key verified once (the fast path uses only keys the route verified in the last few seconds)."""
    assert client.get("/laborers", headers=bearer(key)).status_code == 200


def test_answers_are_the_routes_byte_for_byte(served: tuple[TwoCounties, TestClient], fast: list[str]) -> None:
    county, client = served
    key = county.key("organizer", OWN)
    _warm(client, key)
    people = _run_people(county, OWN, 8)
    compared = 0
    for laborer_id, k in ((p, k) for p in people for k in (None, 3, 10)):
        query = "" if k is None else f"?k={k}"
        quick = client.get(PATH.format(laborer_id) + query, headers=bearer(key))
        # an extra parameter the route ignores: the fast path leaves the request to the framework
        slow = client.get(PATH.format(laborer_id) + (query + "&" if query else "?") + "via=route", headers=bearer(key))
        assert quick.status_code == slow.status_code
        if quick.status_code != 200:
            continue
        assert quick.content == slow.content, _first_difference(quick.content, slow.content)
        assert quick.headers["content-type"] == slow.headers["content-type"] == "application/json"
        assert quick.headers["content-length"] == slow.headers["content-length"]
        compared += 1
    # the first read of each person may be answered by either path; the run's lists were answered by the fast one
    assert compared >= 20
    assert len(fast) >= 20
    assert all(not p.endswith("via=route") for p in fast)


def test_what_memory_cannot_answer_gets_the_routes_answer(
    served: tuple[TwoCounties, TestClient], fast: list[str]
) -> None:
    county, client = served
    own = _run_people(county, OWN, 1)[0]
    organizer = county.key("organizer", OWN)
    _warm(client, organizer)

    # a key of another county: the unknown-id 404, not the person's list
    foreign = county.key("organizer", OTHER)
    _warm(client, foreign)
    answer = client.get(PATH.format(own), headers=bearer(foreign))
    assert answer.status_code == 404 and answer.json()["code"] == "laborer_not_found"

    # readonly keys never see a person
    readonly = county.key("readonly", OWN)
    _warm_readonly = client.get("/runs", headers=bearer(readonly))
    assert _warm_readonly.status_code == 200
    assert client.get(PATH.format(own), headers=bearer(readonly)).status_code == 403

    # a bad k is the route's 422, naming the field
    for k in ("0", "51", "x", "-1"):
        answer = client.get(PATH.format(own) + f"?k={k}", headers=bearer(organizer))
        assert answer.status_code == 422, (k, answer.text)
        assert "k" in json.dumps(answer.json(), ensure_ascii=False)

    # an unknown id and a key never seen
    assert client.get(PATH.format("L9999999"), headers=bearer(organizer)).status_code == 404
    assert client.get(PATH.format(own), headers=bearer("mk_nope_nope")).status_code == 401
    assert client.get(PATH.format(own), headers={"Authorization": "bearer " + organizer}).status_code == 200
    assert fast == []


def test_a_person_changed_since_the_run_is_computed_afresh(served: tuple[TwoCounties, TestClient]) -> None:
    county, client = served
    key = county.key("organizer", OWN, pii=True)
    _warm(client, key)
    laborer_id = _run_people(county, OWN, 3)[-1]
    before = client.get(PATH.format(laborer_id), headers=bearer(key))
    assert before.status_code == 200 and before.json()["source"] == "run"
    record = csv_row(county.files["laborers"], "laborer_id", laborer_id)
    record["expected_wage"] = str(int(float(record.get("expected_wage") or 3000)) + 100)
    put = client.put(f"/laborers/{laborer_id}", json=record, headers=bearer(key))
    assert put.status_code == 200, put.text
    after = client.get(PATH.format(laborer_id), headers=bearer(key))
    assert after.status_code == 200 and after.json()["source"] == "live"


def test_a_fast_answer_is_audited_and_counted_as_the_route(
    served: tuple[TwoCounties, TestClient], fast: list[str]
) -> None:
    county, client = served
    key = county.key("admin", OWN)
    _warm(client, key)
    laborer_id = _run_people(county, OWN, 5)[-1]
    app = client.app
    buffer = app.state.audit  # type: ignore[attr-defined]
    metric = app.state.metrics.requests.labels(  # type: ignore[attr-defined]
        route="/laborers/{laborer_id}/recommendations", method="GET", status="200"
    )
    counted = metric._value.get()
    with buffer._lock:
        buffer._entries.clear()
    assert client.get(PATH.format(laborer_id), headers=bearer(key)).status_code == 200
    assert fast == [PATH.format(laborer_id)]
    assert metric._value.get() == counted + 1
    with buffer._lock:
        entries = list(buffer._entries)
    assert [(e["action"], e["laborer_id"], e["route"], e["status"]) for e in entries] == [
        ("read_recommendations", laborer_id, "GET /laborers/{laborer_id}/recommendations", 200)
    ]


@given(st.text(alphabet="k=0123456789&x.-+ %", max_size=8))
def test_k_is_read_as_the_route_reads_it_or_left_to_the_route(query: str) -> None:
    k = hot._k(query.encode())
    if k is None:
        return
    raw = QueryParams(query).get("k")
    expected = 5 if raw is None else int(raw)
    assert k == expected and 1 <= k <= 50
    assert set(QueryParams(query).keys()) <= {"k"}
