"""Property-based requests from the app's own OpenAPI document: never a 500; the document itself.

Schemathesis 4 generates requests for every operation of ``/openapi.json`` (valid and
edge-case parameters, bodies and uploads), each sent with an admin key as
``Authorization: Bearer``, against a small trained store of two counties. Refusals (401, 403,
404, 409, 413, 422, 503) are fine; a 5xx is a bug. Bounded by ``max_examples`` per operation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from county_fixture import OWN, TwoCounties, bearer, build_two_counties
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from service.api.deps import FailureLimiter
from service.api.main import create_app

#: Built at import without settings: its lifespan reads them from the environment the fixture sets.
APP = create_app()
APP.state.limiter = FailureLimiter(max_failures=10**9)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TwoCounties, TestClient]]:
    county = build_two_counties(tmp_path_factory.mktemp("schemathesis"), laborers=160, vacancies=30)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCHER_HOME", str(county.home))
        mp.setenv("MATCHER_DATABASE_URL", f"sqlite:///{county.home / 'matcher.db'}")
        mp.delenv("MATCHER_POLICY", raising=False)
        with TestClient(APP, raise_server_exceptions=False) as client:  # the lifespan sets app.state
            assert client.get("/health").status_code == 200
            yield county, client


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_server_error(case: Any, api: tuple[TwoCounties, TestClient]) -> None:
    county, _ = api
    response = case.call(headers=bearer(county.key("admin", OWN)))
    assert response.status_code < 500, (case.method, case.formatted_path, case.query, response.text[:500])


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_server_error_as_county_organizer(case: Any, api: tuple[TwoCounties, TestClient]) -> None:
    county, _ = api
    response = case.call(headers=bearer(county.key("organizer", OWN)))
    assert response.status_code < 500, (case.method, case.formatted_path, case.query, response.text[:500])


def test_openapi_declares_bearer_and_error_schema(api: tuple[TwoCounties, TestClient]) -> None:
    _, client = api
    doc = client.get("/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert any(s.get("type") == "http" and s.get("scheme", "").lower() == "bearer" for s in schemes.values()), schemes
    error = doc["components"]["schemas"]["ErrorBody"]
    assert set(error["required"]) >= {"code", "message_zh", "message_en"}
    assert set(error["properties"]) >= {"code", "message_zh", "message_en", "field", "value", "allowed"}
    open_routes = {"/health", "/metrics"}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            if path in open_routes:
                continue
            assert op.get("security"), f"{method.upper()} {path} declares no security"
            assert "401" in responses and "422" in responses, (method, path, sorted(responses))
            for code in ("401", "403", "404", "422"):
                if code in responses:
                    ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), (method, path, code, ref)
