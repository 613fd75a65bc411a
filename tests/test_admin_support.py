"""Shared set-up of the administration tests (fixtures and helpers; no tests of its own).

`admin_url` yields a migrated, empty database: SQLite always, and PostgreSQL as well when
HUIQI_TEST_POSTGRES_URL is set. Under CI (CI=true) a missing PostgreSQL is an error, not a skip:
.ci/run starts one and exports the URL.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from huiqi.admin import auth
from huiqi.admin.db import transaction
from huiqi.admin.migrate import upgrade

POSTGRES_URL = os.environ.get("HUIQI_TEST_POSTGRES_URL")
PASSWORD = "correct-horse-battery"
TODAY = date.today()
BACKENDS = ["sqlite", "postgresql"]

if os.environ.get("CI") and not POSTGRES_URL:
    raise RuntimeError("CI needs PostgreSQL for the administration tests: .ci/run must export HUIQI_TEST_POSTGRES_URL")


def reset_postgres(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def fresh_database(backend: str, tmp_path) -> str:
    if backend == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("HUIQI_TEST_POSTGRES_URL is not set (set it to run against PostgreSQL; CI always does)")
        reset_postgres(POSTGRES_URL)
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path / 'admin.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=BACKENDS)
def admin_url(request, tmp_path, monkeypatch):
    url = fresh_database(request.param, tmp_path)
    monkeypatch.setenv("HUIQI_DATABASE_URL", url)
    monkeypatch.setenv("HUIQI_UPLOADS", str(tmp_path / "uploads"))
    return url


@pytest.fixture()
def sqlite_admin(tmp_path, monkeypatch):
    url = fresh_database("sqlite", tmp_path)
    monkeypatch.setenv("HUIQI_DATABASE_URL", url)
    monkeypatch.setenv("HUIQI_UPLOADS", str(tmp_path / "uploads"))
    return url


# ---------------------------------------------------------------- people and profiles

STAFF = [
    ("city", auth.CITY, "市科技局 王处长", None),
    ("finance", auth.FINANCE, "市财政局 李科长", None),
    ("auditor", auth.AUDITOR, "审计 赵", None),
    ("jinnan", auth.DISTRICT, "津南区科技局", "津南区"),
    ("binhai", auth.DISTRICT, "滨海新区科技局", "滨海新区"),
]
# name, district, 规上, rd_expense (2022 = 2021), revenue 2022, tax 2022, 雏鹰 2023
ENTERPRISES = {
    "a": ("甲科技有限公司", "津南区", True, 10_000_000, 100_000_000, 30_000_000, False),
    "b": ("乙制造股份公司", "津南区", True, 20_000_000, 400_000_000, 20_000_000, False),
    "c": ("丙软件有限公司", "滨海新区", False, 4_000_000, 20_000_000, 500_000, False),
    "d": ("丁材料有限公司", "滨海新区", False, 2_000_000, 40_000_000, 1_000_000, False),
    "e": ("戊雏鹰科技有限公司", "津南区", False, 2_000_000, 10_000_000, 200_000, True),
}


def credit_code(key: str) -> str:
    return f"91120000MA0{key.upper()}00000X"


def seed_people() -> None:
    with transaction() as db:
        for username, role, name, district in STAFF:
            auth.create_user(db, username, PASSWORD, role, name, district=district)
        for key, (name, district, *_rest) in ENTERPRISES.items():
            auth.create_user(db, f"ent_{key}", PASSWORD, auth.APPLICANT, name, district=district, subject="enterprise", credit_code=credit_code(key))


def rd_profile(key: str) -> dict[str, Any]:
    name, district, above, rd, revenue, tax, chuying = ENTERPRISES[key]
    facts: dict[str, Any] = {
        "registered_in_tianjin": True, "independent_legal_person": True, "dishonest_record": False, "rd_super_deduction_enjoyed_last_year": True,
        "in_national_sci_tech_survey": False, "national_high_tech": False, "unicorn": False, "tech_leader": False, "tech_leader_cultivation": False,
        "dengling": False, "tech_sme": False, "chuying": chuying, "above_designated_size": above, "district": district, "industry": "manufacturing",
    }
    if chuying:
        facts["chuying_evaluated_year"] = 2023
    return {"subject": "enterprise", "name": name, "facts": facts,
            "yearly": {"rd_expense": {"2022": rd, "2021": rd}, "revenue": {"2022": revenue}, "tax_paid": {"2022": tax}}}


RD_CALL = {
    "measure_id": "tj.rd-post-subsidy.general", "extra_measure_ids": ["tj.rd-post-subsidy.chuying"], "title": "2023年度天津市企业研发投入后补助项目受理通知",
    "opens_on": (TODAY - timedelta(days=1)).isoformat(), "closes_on": (TODAY + timedelta(days=30)).isoformat(), "as_of": "2023-06-30",
    "budget_yuan": "400000", "materials": ["《天津市企业研发投入后补助申报书》"], "target_groups": ["天津市内注册企业"], "ranking_rule": "rd_post_subsidy",
    "publicity_days": 5,
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Api:
    """A logged-in client of the admin API."""

    def __init__(self, client: TestClient, username: str):
        self.client = client
        response = client.post("/api/admin/auth/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.headers = {"Authorization": f"Bearer {response.json()['token']}"}

    def get(self, path: str, **kw):
        return self.client.get("/api/admin" + path, headers=self.headers, **kw)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw):
        return self.client.post("/api/admin" + path, json=json, headers={**self.headers, **(headers or {})}, **kw)

    def put(self, path: str, json: Any = None):
        return self.client.put("/api/admin" + path, json=json, headers=self.headers)

    def ok(self, method: str, path: str, json: Any = None, **kw) -> Any:
        response = getattr(self, method)(path, json=json, **kw) if method != "get" else self.get(path, **kw)
        assert response.status_code in (200, 201), f"{method} {path} → {response.status_code}: {response.text}"
        return response.json()


def apply(api: Api, call_id: int, key: str, profile: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create, upload the required material, sign and submit: what an enterprise does."""
    app = api.ok("post", f"/calls/{call_id}/applications", {"profile": profile or rd_profile(key), "pledge": True}, headers={"Idempotency-Key": f"k-{key}-{uuid.uuid4().hex[:8]}"})
    response = api.client.post(f"/api/admin/applications/{app['id']}/materials", headers=api.headers, data={"kind": RD_CALL["materials"][0]},
                               files={"file": ("申报书.pdf", PDF, "application/pdf")})
    assert response.status_code == 201, response.text
    return api.ok("post", f"/applications/{app['id']}/submit")
