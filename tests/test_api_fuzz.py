"""Property-based fuzzing of the HTTP API from its own OpenAPI spec (schemathesis): no input makes a 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from huiqi.web.app import app

schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(autouse=True)
def library(db_url, monkeypatch):
    monkeypatch.setenv("HUIQI_DATABASE_URL", db_url)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_causes_a_server_error(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
