"""Security of the administration side: IDOR probes (every object id with every role), API fuzzing with
schemathesis, uploads that try to escape or run, and passwords that must never reach a log."""

from __future__ import annotations

import logging
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import text

from huiqi.admin import uploads
from huiqi.admin.errors import AdminError
from huiqi.admin.db import transaction
from huiqi.web.app import app
from test_admin_support import PASSWORD, PDF, RD_CALL, TODAY, Api, admin_url, apply, seed_people, sqlite_admin  # noqa: F401  (fixtures)

ROLES = ["ent_a", "ent_b", "ent_c", "jinnan", "binhai", "city", "finance", "auditor"]


@pytest.fixture()
def world(admin_url):
    """Two calls (one still a draft), applications in several states and districts, a material, a payment."""
    seed_people()
    with TestClient(app) as client:
        city = Api(client, "city")
        call = city.ok("post", "/calls", {**RD_CALL, "budget_yuan": "10000000"})
        city.ok("post", f"/calls/{call['id']}/publish")
        draft_call = city.ok("post", "/calls", {**RD_CALL, "title": "草稿通知"})
        apps = {k: apply(Api(client, f"ent_{k}"), call["id"], k)["id"] for k in "ac"}
        Api(client, "jinnan").ok("post", f"/applications/{apps['a']}/review/district_approve", {})
        city.ok("post", f"/applications/{apps['a']}/review/city_approve", {})
        city.ok("post", f"/calls/{call['id']}/rank")
        Api(client, "binhai").ok("post", f"/applications/{apps['c']}/review/district_reject", {"reason": "材料不全"})
        city.ok("post", f"/calls/{call['id']}/publicity", {"starts_on": (TODAY - timedelta(days=9)).isoformat()})
        city.ok("post", f"/calls/{call['id']}/approve")
        batch = Api(client, "finance").ok("post", f"/calls/{call['id']}/payments", {"reference": "批次1"})
        # ent_b keeps a draft of its own: drafts are visible to nobody else
        ent_b = Api(client, "ent_b")
        apps["b"] = ent_b.ok("post", f"/calls/{call['id']}/applications", {"profile": {"subject": "enterprise", "facts": {}}, "pledge": False},
                             headers={"Idempotency-Key": "draft-of-b"})["id"]
        yield {"client": client, "call": call["id"], "draft_call": draft_call["id"], "apps": apps, "batch": batch["id"]}


def _owner_of(key: str) -> str:
    return f"ent_{key}"


def _may_see_application(role: str, key: str) -> bool:
    district = {"a": "jinnan", "b": "jinnan", "c": "binhai"}[key]
    if key == "b":  # a draft
        return role == "ent_b"
    return role == _owner_of(key) or role == district or role in ("city", "finance", "auditor")


def _entitled(role: str, key: str) -> bool:
    district = {"a": "jinnan", "b": "jinnan", "c": "binhai"}[key]
    return role in (_owner_of(key), district, "city", "finance")


def test_every_object_with_every_role(world):
    client, apps = world["client"], world["apps"]
    by_id = {v: k for k, v in apps.items()}
    with transaction() as db:
        materials = dict(db.execute(text("SELECT id, application_id FROM adm_materials")).all())
    top = max([*apps.values(), *materials, world["call"], world["draft_call"]]) + 2
    for role in ROLES:
        api = Api(client, role)
        for object_id in range(1, top):
            seen = api.get(f"/applications/{object_id}").status_code
            expected = 200 if object_id in by_id and _may_see_application(role, by_id[object_id]) else 404
            assert seen == expected, (role, "application", object_id, seen)
            seen = api.get(f"/materials/{object_id}").status_code
            expected = 200 if object_id in materials and _may_see_application(role, by_id[materials[object_id]]) else 404
            assert seen == expected, (role, "material", object_id, seen)
            seen = api.get(f"/calls/{object_id}").status_code
            expected = 200 if object_id == world["call"] or (object_id == world["draft_call"] and not role.startswith("ent_")) else 404
            assert seen == expected, (role, "call", object_id, seen)
        listed = {a["id"] for a in api.ok("get", "/applications")}
        assert listed == {i for k, i in apps.items() if _may_see_application(role, k)}, role
        payments = api.get(f"/exports/payments/{world['batch']}.xlsx").status_code
        assert payments == (200 if role in ("city", "finance", "auditor") else 403), role
    anonymous = client.get(f"/api/admin/applications/{apps['a']}")
    assert anonymous.status_code == 401


def test_nobody_changes_what_is_not_theirs_and_the_auditor_changes_nothing(world):
    client, apps = world["client"], world["apps"]
    with transaction() as db:
        before = db.execute(text("SELECT id, status, granted_fen, profile FROM adm_applications ORDER BY id")).all()
        audit_before = db.execute(text("SELECT COUNT(*) FROM adm_audit")).scalar_one()
    probes = [("post", "/applications/{id}/submit", None), ("put", "/applications/{id}", {"profile": {"subject": "enterprise"}, "pledge": True}),
              ("post", "/applications/{id}/clawback", {"reason": "x"}), ("post", "/applications/{id}/objections", {"objector": "x", "content": "x", "received_on": TODAY.isoformat()})]
    probes += [("post", f"/applications/{{id}}/review/{a}", {"reason": "x"}) for a in ("district_approve", "district_return", "district_reject", "city_approve", "city_return", "city_reject")]
    for role in ROLES:
        api = Api(client, role)
        for key, app_id in apps.items():
            if _entitled(role, key):
                continue  # the owner, its district and the city may act (on some states): not an IDOR probe
            for method, path, body in probes:
                response = getattr(api, method)(path.format(id=app_id), json=body)
                assert response.status_code in (403, 404), (role, key, method, path, response.status_code, response.text)
    auditor = Api(client, "auditor")
    for path, body in ((f"/calls/{world['call']}/rank", None), (f"/calls/{world['call']}/approve", None), ("/calls", RD_CALL),
                       (f"/calls/{world['call']}/payments", {"reference": "x"}), (f"/calls/{world['draft_call']}/publish", None)):
        assert auditor.post(path, json=body).status_code == 403, path
    with transaction() as db:
        assert db.execute(text("SELECT id, status, granted_fen, profile FROM adm_applications ORDER BY id")).all() == before
        assert db.execute(text("SELECT COUNT(*) FROM adm_audit")).scalar_one() == audit_before


def test_nul_characters_are_bad_input_not_server_errors(world):
    """PostgreSQL text cannot hold NUL: every way in answers 422 (or is cleaned), never 500."""
    client, draft = world["client"], world["apps"]["b"]
    city, ent = Api(client, "city"), Api(client, "ent_b")
    refused = ent.put(f"/applications/{draft}", json={"profile": {"subject": "enterprise", "name": "甲\x00乙", "facts": {}}})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "profile", "name"]
    assert city.post("/calls", json={**RD_CALL, "title": "通知\x00"}).status_code == 422
    assert city.get("/applications", params={"status": "paid\x00"}).status_code == 422
    assert client.post("/api/admin/auth/login", json={"username": "a\x00b", "password": "x"}).status_code == 422


# ---------------------------------------------------------------- uploads


def _draft(client: TestClient) -> tuple[Api, int]:
    seed_people()
    city = Api(client, "city")
    call = city.ok("post", "/calls", RD_CALL)
    city.ok("post", f"/calls/{call['id']}/publish")
    ent = Api(client, "ent_a")
    app_id = ent.ok("post", f"/calls/{call['id']}/applications", {"profile": {"subject": "enterprise", "facts": {}}}, headers={"Idempotency-Key": "upload-tests"})["id"]
    return ent, app_id


@pytest.mark.parametrize("name, data, why", [
    ("../../../../tmp/evil.pdf", PDF, None),  # accepted, but stored under a random name inside the folder
    ("..\\..\\evil.pdf", PDF, None),
    ("run.sh", b"#!/bin/sh\nrm -rf /\n", "不支持的文件类型"),
    ("shell.pdf", b"#!/bin/sh\necho pwned\n", "内容与扩展名"),
    ("page.html", b"<script>alert(1)</script>", "不支持的文件类型"),
    ("image.svg", b"<svg onload=alert(1)>", "不支持的文件类型"),
    ("photo.png", PDF, "内容与扩展名"),
    ("empty.pdf", b"", "文件为空"),
    ("no-extension", PDF, "不支持的文件类型"),
])
def test_uploads_cannot_escape_or_run(sqlite_admin, tmp_path, name, data, why):
    with TestClient(app) as client:
        ent, app_id = _draft(client)
        response = client.post(f"/api/admin/applications/{app_id}/materials", headers=ent.headers, data={"kind": RD_CALL["materials"][0]},
                               files={"file": (name, data, "application/pdf")})
        if why:
            assert response.status_code == 422 and why in response.json()["detail"][0]["msg"], response.text
            assert not any(uploads.root().iterdir())
            return
        assert response.status_code == 201, response.text
        stored = list(uploads.root().iterdir())
        assert len(stored) == 1 and stored[0].parent == uploads.root() and stored[0].suffix == ".pdf" and len(stored[0].stem) == 32
        assert stat.S_IMODE(stored[0].stat().st_mode) == 0o600  # never executable
        assert not (tmp_path / "evil.pdf").exists() and not Path("/tmp/evil.pdf").exists()
        download = client.get(f"/api/admin/materials/{response.json()['id']}", headers=ent.headers)
        assert download.content == data and "attachment" in download.headers["content-disposition"] and download.headers["x-content-type-options"] == "nosniff"
        stored[0].write_bytes(data + b"tampered")
        assert client.get(f"/api/admin/materials/{response.json()['id']}", headers=ent.headers).status_code == 409  # checksum


def test_upload_size_limit(sqlite_admin):
    with TestClient(app) as client:
        ent, app_id = _draft(client)
        big = PDF + b"0" * uploads.MAX_BYTES
        response = client.post(f"/api/admin/applications/{app_id}/materials", headers=ent.headers, data={"kind": RD_CALL["materials"][0]},
                               files={"file": ("big.pdf", big, "application/pdf")})
        assert response.status_code in (413, 422) and "上限" in response.text
        assert not any(uploads.root().iterdir())


def test_stored_names_cannot_point_outside(sqlite_admin):
    for name in ("../x.pdf", "/etc/passwd", "a/../../b.pdf", ".."):
        with pytest.raises(AdminError):
            uploads.load(name, "0" * 64)


# ---------------------------------------------------------------- passwords


def test_passwords_never_reach_a_log(sqlite_admin, caplog):
    secret_ok, secret_wrong, secret_short = PASSWORD, "wrong-password-Zq81", "Short9"
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # even with SQL logging on, with parameters
    try:
        seed_people()
        with TestClient(app) as client:
            assert client.post("/api/admin/auth/login", json={"username": "city", "password": secret_ok}).status_code == 200
            failed = client.post("/api/admin/auth/login", json={"username": "city", "password": secret_wrong})
            assert failed.status_code == 401 and secret_wrong not in failed.text
            short = client.post("/api/admin/auth/register", json={"username": "newco", "password": secret_short, "display_name": "新公司", "subject": "enterprise",
                                                                 "credit_code": "91120000ABCDEF", "district": "津南区"})
            assert short.status_code == 422 and secret_short not in short.text
            page = client.post("/admin/login", data={"username": "city", "password": secret_wrong}, follow_redirects=False)
            assert page.status_code == 303 and secret_wrong not in page.headers["location"]
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "adm_users" in logged  # the SQL really was logged …
    for secret in (secret_ok, secret_wrong, secret_short):
        assert secret not in logged  # … and no password with it
    with transaction() as db:
        hashes = [h for (h,) in db.execute(text("SELECT password_hash FROM adm_users"))]
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_expired_sessions_are_refused(sqlite_admin):
    seed_people()
    with TestClient(app) as client:
        headers = Api(client, "city").headers
        assert client.get("/api/admin/me", headers=headers).status_code == 200
        with transaction() as db:  # nine hours later
            db.execute(text("UPDATE adm_sessions SET expires_at = created_at"))
        assert client.get("/api/admin/me", headers=headers).status_code == 401
        assert client.get("/api/admin/me", headers={"Authorization": "Bearer forged-token"}).status_code == 401


def test_pages_refuse_posts_without_the_csrf_token(sqlite_admin):
    seed_people()
    with TestClient(app) as client:
        client.post("/admin/login", data={"username": "city", "password": PASSWORD})
        response = client.post("/admin/calls", data={"title": "x"}, follow_redirects=False)
        assert response.status_code == 303 and "err=" in response.headers["location"]
        with transaction() as db:
            assert db.execute(text("SELECT COUNT(*) FROM adm_calls")).scalar_one() == 0


# ---------------------------------------------------------------- fuzzing

schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/api/admin")


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory):
    """One seeded SQLite database for every fuzzing case, with a city officer's token."""
    folder = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{folder / 'admin.db'}"
    saved = {k: os.environ.get(k) for k in ("HUIQI_DATABASE_URL", "HUIQI_UPLOADS")}
    os.environ.update(HUIQI_DATABASE_URL=url, HUIQI_UPLOADS=str(folder / "uploads"))
    from huiqi.admin.migrate import upgrade

    upgrade(url)
    seed_people()
    with TestClient(app) as client:
        city = Api(client, "city")
        call = city.ok("post", "/calls", RD_CALL)
        city.ok("post", f"/calls/{call['id']}/publish")
        apply(Api(client, "ent_a"), call["id"], "a")
        tokens = {role: Api(client, role).headers for role in ("city", "ent_a")}
    yield tokens
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_causes_a_server_error(case, fuzz_world):
    for headers in fuzz_world.values():
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
