"""No full name, ID number or phone of a person leaves the API without the pii right.

A person with a known (valid) ID number, phone and a name found nowhere else is put into the
ledger; every route that takes or shows a laborer is driven with an organizer key WITHOUT
``pii`` (record, searches, suggestions, an update with a bad value, a profile, candidates of
posts, a fair shortlist and its workbook, an import with the person and one bad row). Then every
response body, the downloaded workbook (every cell) and every file under ``$home/logs`` must hold
the full name, ID number and phone 0 times. A ``pii`` key does see them in full.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from county_fixture import OWN, TwoCounties, bearer, build_two_counties, client_for, csv_bytes, csv_row

from features.contract.idcard import check_character

NAME = "司马晓菁"
PHONE = "13987654321"
PERSON = "L0000005"  # replaced by the test person (its household and place kept)


def _id_number(birth: str, gender: str) -> str:
    first17 = OWN + birth.replace("-", "") + ("13" + ("1" if gender == "male" else "2"))
    return first17 + check_character(first17)


def _plant(path: Path) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = frame["laborer_id"] == PERSON
    row = frame.loc[rows].iloc[0]
    assert row["county"] != "乾县"
    frame.loc[rows, "name"] = NAME
    frame.loc[rows, "id_number"] = _id_number(row["birth_date"], row["gender"])
    frame.loc[rows, "phone"] = PHONE
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> TwoCounties:
    return build_two_counties(tmp_path_factory.mktemp("log_scan"), edit=_plant)


def secrets_of(county: TwoCounties) -> dict[str, str]:
    row = csv_row(county.files["laborers"], "laborer_id", PERSON)
    return {"name": NAME, "id_number": row["id_number"], "phone": PHONE}


def _count(text: str, secrets: dict[str, str]) -> dict[str, int]:
    return {k: text.count(v) for k, v in secrets.items()}


def _workbook_text(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells += [str(v) for v in row if v is not None]
    book.close()
    return "\n".join(cells)


@pytest.fixture(scope="module")
def driven(county: TwoCounties) -> Iterator[dict[str, str]]:
    """Every laborer route driven without pii; the texts of all answers by request."""
    key = bearer(county.key("organizer", OWN))
    secret = secrets_of(county)
    ident = secret["id_number"]
    bad_check = ident[:-1] + ("0" if ident[-1] != "0" else "1")
    row = csv_row(county.files["laborers"], "laborer_id", PERSON)
    seen: dict[str, str] = {}
    with client_for(county.settings) as client:

        def call(label: str, method: str, url: str, ok: tuple[int, ...] = (200,), **kw: object) -> bytes:
            response = client.request(method, url, headers=key, **kw)
            assert response.status_code in ok, (label, response.status_code, response.text[:300])
            seen[label] = response.text if "json" in response.headers.get("content-type", "") else ""
            return response.content

        call("get", "GET", f"/laborers/{PERSON}")
        for q in (ident, ident[-6:], ident[-4:], NAME, NAME[:2], PERSON):
            page = call(f"list q={q}", "GET", "/laborers", params={"q": q})
            assert PERSON.encode() in page, q  # the search does find the person
        call("list", "GET", "/laborers", params={"page_size": 200})
        call("recommendations", "GET", f"/laborers/{PERSON}/recommendations", params={"k": 10})
        call("put bad age", "PUT", f"/laborers/{PERSON}", (422,), json=row | {"age": "-3"})
        call("put bad phone", "PUT", f"/laborers/{PERSON}", (422,), json=row | {"phone": PHONE + "9", "age": "x"})
        call("put bad id", "PUT", f"/laborers/{PERSON}", (422,), json=row | {"id_number": bad_check})
        call("put unchanged", "PUT", f"/laborers/{PERSON}", json=row)
        profile = {k: v for k, v in row.items() if k != "laborer_id"}
        call("profile", "POST", "/recommendations", (200, 422), json=profile)
        for vacancy in county.vacancies[OWN][:4]:
            call(
                f"candidates {vacancy['vacancy_id']}",
                "GET",
                f"/vacancies/{vacancy['vacancy_id']}/candidates",
                params={"k": 200},
            )
        day = str(county.application.today() + dt.timedelta(days=7))
        fair = client.post("/fairs", headers=key, json={"name": "春风行动", "date": day, "place": "县广场"})
        assert fair.status_code == 201, fair.text
        fair_id = fair.json()["fair_id"]
        call("shortlist", "POST", f"/fairs/{fair_id}/shortlist")
        workbook = call("workbook", "GET", f"/fairs/{fair_id}/shortlist.xlsx")
        seen["workbook cells"] = _workbook_text(workbook)
        frame = pd.read_csv(
            io.BytesIO(csv_bytes(county.files["laborers"], "laborer_id", [PERSON])), dtype=str, keep_default_na=False
        )
        bad = frame.copy()
        bad["laborer_id"] = "L9000001"
        bad["age"] = "abc"
        data = pd.concat([frame, bad]).to_csv(index=False).encode("utf-8")
        answer = call("import", "POST", "/laborers:import", files={"file": ("ledger.csv", data, "text/csv")})
        assert b'"rejected":1' in answer, answer[:300]
        seen["audit"] = client.get("/audit", headers=bearer(county.key("admin", OWN))).text
        seen["pii get"] = client.get(f"/laborers/{PERSON}", headers=bearer(county.key("organizer", OWN, pii=True))).text
    # the lifespan has ended: the audit buffer is flushed and the log handlers wrote everything
    yield seen


def test_masked_without_pii_everywhere(county: TwoCounties, driven: dict[str, str]) -> None:
    secret = secrets_of(county)
    leaks = {}
    for label, text in driven.items():
        if label == "pii get":
            continue
        found = _count(text, secret)
        if any(found.values()):
            leaks[label] = found
    assert NAME[0] + "**" + NAME[-1] in driven["get"] and "139****4321" in driven["get"]  # masked, not dropped
    assert not leaks, leaks


def test_logs_hold_no_personal_data(county: TwoCounties, driven: dict[str, str]) -> None:
    secret = secrets_of(county)
    logs = sorted(p for p in (county.home / "logs").rglob("*") if p.is_file())
    assert logs, "the service wrote no log"
    total = 0
    for path in logs:
        text = path.read_text(encoding="utf-8", errors="replace")
        total += len(text)
        found = _count(text, secret)
        assert not any(found.values()), (path.name, found)
    assert total > 0 and "/laborers" in "".join(p.read_text(errors="replace") for p in logs)
    # nothing else the API left in the data directory (rejects, exports) holds them either
    for path in county.home.rglob("*"):
        if not path.is_file() or path.suffix in (".db", ".parquet", ".npz", ".npy", ".joblib", ".pkl"):
            continue
        if "sample" in path.relative_to(county.home).parts or path.name.startswith("matcher.db"):
            continue
        found = _count(path.read_text(encoding="utf-8", errors="replace"), secret)
        assert not any(found.values()), (str(path.relative_to(county.home)), found)


def test_pii_key_sees_them_in_full(county: TwoCounties, driven: dict[str, str]) -> None:
    secret = secrets_of(county)
    assert _count(driven["pii get"], secret) == {"name": 1, "id_number": 1, "phone": 1}, driven["pii get"]


def test_an_unexpected_failure_is_answered_here_and_logged_scrubbed(county: TwoCounties) -> None:
    """A fault no handler expected, whose message quotes an ID number and a phone: the caller gets the
    500 ``internal_error`` body and no traceback; the exception never leaves the app (a server would
    print it, unscrubbed, to its journal: the client below raises whatever leaves the app); the JSON
    log has it with its type and a masked message."""
    from fastapi.testclient import TestClient

    from service.api.deps import FailureLimiter
    from service.api.main import create_app

    secret = secrets_of(county)
    fault = f"cannot place {secret['id_number']} {secret['phone']}"  # (a name no scrubber could tell)

    def broken(*_args: object, **_kw: object) -> object:
        raise RuntimeError(fault)

    app = create_app(county.settings)
    app.state.limiter = FailureLimiter(max_failures=10**9)
    with TestClient(app, raise_server_exceptions=True) as client:
        app.state.application.visible_known = broken  # this worker's application only
        answer = client.get(f"/laborers/{PERSON}/recommendations", headers=bearer(county.key("organizer", OWN)))
    assert answer.status_code == 500, answer.text
    body = answer.json()
    assert body["code"] == "internal_error" and body["message_zh"] and body["message_en"], body
    assert "Traceback" not in answer.text and not any(_count(answer.text, secret).values()), answer.text
    lines = (county.home / "logs" / "service.jsonl").read_text(encoding="utf-8").splitlines()
    logged = [line for line in lines if "RuntimeError" in line and "cannot place" in line]
    assert logged, "the failure was not logged"
    assert "/laborers/{laborer_id}/recommendations" in logged[-1]  # the route, not the person's id
    assert not any(any(_count(line, secret).values()) for line in lines)
