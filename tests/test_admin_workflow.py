"""The 2023 R&D post-subsidy call from notice to payment and clawback, through the HTTP API, on SQLite and
on PostgreSQL: the ranking's figures are computed by hand from 津科规〔2021〕4号 第五条 and 第七条."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from huiqi.admin.db import transaction
from huiqi.admin.integrity import check
from huiqi.web.app import app
from test_admin_support import RD_CALL, TODAY, Api, admin_url, apply, rd_profile, seed_people  # noqa: F401  (admin_url is a fixture)


@pytest.fixture()
def client(admin_url):
    seed_people()
    with TestClient(app) as c:
        yield c


def _call(city: Api, **changes) -> int:
    call = city.ok("post", "/calls", {**RD_CALL, **changes})
    city.ok("post", f"/calls/{call['id']}/publish")
    return call["id"]


def _through_review(client: TestClient, call_id: int, keys: str) -> dict[str, int]:
    ids = {k: apply(Api(client, f"ent_{k}"), call_id, k)["id"] for k in keys}
    reviewers = {"津南区": Api(client, "jinnan"), "滨海新区": Api(client, "binhai")}
    city = Api(client, "city")
    for k, app_id in ids.items():
        district = rd_profile(k)["facts"]["district"]
        reviewers[district].ok("post", f"/applications/{app_id}/review/district_approve", {})
        city.ok("post", f"/applications/{app_id}/review/city_approve", {})
    return ids


def test_ranking_follows_article_five_by_hand(client):
    city = Api(client, "city")
    call_id = _call(city)
    ids = _through_review(client, call_id, "abcde")
    ranked = {row["id"]: row for row in city.ok("post", f"/calls/{call_id}/rank")}
    got = {k: (ranked[i]["pool"], ranked[i]["rank"], ranked[i]["granted_fen"], ranked[i]["status"]) for k, i in ids.items()}
    # requested (1.5%, flat R&D so no increment): a 15万, b 30万, c 6万, d 3万; e is a 2023 雏鹰: 5% = 10万, off the top.
    # left 30万, split by amounts applied for: 规上 45万 : 规下 9万 → 25万 / 5万.
    # 规上: a beats b on both indicators (intensity 10% vs 5%, tax 3000万 vs 2000万) → a 15万 in full, b gets the remaining 10万.
    # 规下: c wins intensity (20% vs 5%), d wins tax (100万 vs 50万): tie at 0.5, broken by intensity → c first, partial 5万; d nothing.
    assert got == {
        "e": ("chuying", 1, 10_000_000, "ranked"),
        "a": ("above", 1, 15_000_000, "ranked"),
        "b": ("above", 2, 10_000_000, "ranked"),
        "c": ("below", 1, 5_000_000, "ranked"),
        "d": ("below", 2, 0, "not_funded"),
    }
    assert ranked[ids["a"]]["score"] == "1.000000" and ranked[ids["b"]]["score"] == "0.000000"
    assert ranked[ids["c"]]["score"] == ranked[ids["d"]]["score"] == "0.500000"
    assert "部分补助" in ranked[ids["b"]]["ranking_note"]
    assert sum(r["granted_fen"] for r in ranked.values()) == 40_000_000  # the budget, exactly


def test_notice_to_payment_and_clawback(client, admin_url):
    city, finance, auditor = Api(client, "city"), Api(client, "finance"), Api(client, "auditor")
    call_id = _call(city, budget_yuan="1000000")
    ids = _through_review(client, call_id, "ab")
    city.ok("post", f"/calls/{call_id}/rank")

    # publicity recorded as published 6 days ago (5 days): an objection comes in and is dismissed
    too_early = city.post(f"/calls/{call_id}/approve")
    assert too_early.status_code == 409 and "尚未公示" in too_early.json()["detail"]
    city.ok("post", f"/calls/{call_id}/publicity", {"starts_on": (TODAY - timedelta(days=6)).isoformat()})
    objection = city.ok("post", f"/applications/{ids['a']}/objections", {"objector": "匿名来信", "content": "研发费用疑似虚报", "received_on": TODAY.isoformat()})
    blocked = city.post(f"/calls/{call_id}/approve")
    assert blocked.status_code == 409 and "异议未处理" in blocked.json()["detail"]
    city.ok("post", f"/objections/{objection['id']}/resolve", {"upheld": False, "note": "经核查税务数据，异议不成立"})
    assert city.ok("post", f"/calls/{call_id}/approve") == {"approved": 2}

    batch = finance.ok("post", f"/calls/{call_id}/payments", {"reference": "津科计〔2023〕12号"})
    assert batch["total_fen"] == 45_000_000
    assert finance.post(f"/calls/{call_id}/payments", json={"reference": "again"}).status_code == 409  # nothing left to pay
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):
        for what, object_id in (("publicity", call_id), ("payments", batch["id"]), ("dashboard", call_id)):
            response = auditor.get(f"/exports/{what}/{object_id}.{fmt}")
            assert response.status_code == 200 and response.content.startswith(magic), (what, fmt)

    # clawback in full with a 失信 record: the enterprise cannot apply to the next call
    reason = "虚报研发费用，骗取补助资金"
    missing_basis = city.post(f"/applications/{ids['b']}/clawback", json={"reason": reason, "dishonest_until": (TODAY + timedelta(days=3 * 365)).isoformat()})
    assert missing_basis.status_code == 422 and missing_basis.json()["detail"][0]["loc"][-1] == "basis"
    claw = city.ok("post", f"/applications/{ids['b']}/clawback", {"reason": reason, "dishonest_until": (TODAY + timedelta(days=3 * 365)).isoformat(),
                                                                 "basis": "天津市社会信用条例及失信惩戒相关规定"})
    assert claw["amount_fen"] == 30_000_000
    detail = Api(client, "ent_b").ok("get", f"/applications/{ids['b']}")
    assert detail["status"] == "clawed_back" and detail["clawbacks"][0]["reason"] == reason
    next_call = _call(city, title="2024年度受理通知")
    refused = Api(client, "ent_b").post(f"/calls/{next_call}/applications", json={"profile": rd_profile("b"), "pledge": True}, headers={"Idempotency-Key": "next-year-b"})
    assert refused.status_code == 409 and "失信" in refused.json()["detail"]

    figures = auditor.ok("get", f"/calls/{call_id}/dashboard")
    assert (figures["budget_fen"], figures["committed_fen"], figures["paid_fen"], figures["clawed_back_fen"], figures["clawbacks"]) == (
        100_000_000, 45_000_000, 45_000_000, 30_000_000, 1)
    assert figures["by_district_fen"] == {"津南区": 45_000_000} and figures["days_to_payment"]["count"] == 2

    with transaction() as db:
        report = check(db)
        assert report.ok and report.applications == 2
        history = [(r.action, r.from_status, r.to_status) for r in db.execute(text(
            "SELECT action, from_status, to_status FROM adm_audit WHERE entity = 'application' AND entity_id = :i ORDER BY id"), {"i": ids["b"]})]
    assert [h[0] for h in history] == ["create", "upload", "submit", "district_approve", "city_approve", "allocate", "publicise", "approve", "pay", "clawback"]


def test_idempotency_returns_and_refusals(client):
    city = Api(client, "city")
    call_id = _call(city)
    ent = Api(client, "ent_a")
    body = {"profile": rd_profile("a"), "pledge": True}
    first = ent.post(f"/calls/{call_id}/applications", json=body, headers={"Idempotency-Key": "same-key-123"})
    again = ent.post(f"/calls/{call_id}/applications", json=body, headers={"Idempotency-Key": "same-key-123"})
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    other = ent.post(f"/calls/{call_id}/applications", json=body, headers={"Idempotency-Key": "other-key-456"})
    assert other.status_code == 409
    no_key = ent.post(f"/calls/{call_id}/applications", json=body)
    assert no_key.status_code == 422

    # submission needs the material; the error names the field, in Chinese
    refused = ent.post(f"/applications/{first.json()['id']}/submit")
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "materials"] and "缺少材料" in refused.json()["detail"][0]["msg"]


def test_return_for_correction_and_rejection_need_reasons(client):
    city = Api(client, "city")
    call_id = _call(city)
    app_id = apply(Api(client, "ent_a"), call_id, "a")["id"]
    jinnan = Api(client, "jinnan")
    no_reason = jinnan.post(f"/applications/{app_id}/review/district_return", json={})
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    jinnan.ok("post", f"/applications/{app_id}/review/district_return", {"reason": "研发支出辅助账汇总表未盖章"})
    ent = Api(client, "ent_a")
    corrected = rd_profile("a")
    corrected["yearly"]["rd_expense"]["2022"] = 12_000_000  # corrected figure: 1200万 × 1.5% = 18万, +20% growth = 21.6万
    assert ent.ok("put", f"/applications/{app_id}", {"profile": corrected, "pledge": True})["requested_fen"] == 21_600_000
    ent.ok("post", f"/applications/{app_id}/submit")
    jinnan.ok("post", f"/applications/{app_id}/review/district_reject", {"reason": "不符合第四条（三）"})
    final = ent.ok("get", f"/applications/{app_id}")
    assert final["status"] == "rejected"
    assert [h["reason"] for h in final["history"] if h["reason"]] == ["研发支出辅助账汇总表未盖章", "不符合第四条（三）"]


def test_first_come_call_funds_in_approval_order_until_the_budget_is_spent(client):
    city = Api(client, "city")
    call_id = _call(city, ranking_rule="first_come", budget_yuan="200000", extra_measure_ids=[])
    ids = {k: apply(Api(client, f"ent_{k}"), call_id, k)["id"] for k in "ab"}
    Api(client, "jinnan").ok("post", f"/applications/{ids['b']}/review/district_approve", {})
    Api(client, "jinnan").ok("post", f"/applications/{ids['a']}/review/district_approve", {})
    b = city.ok("post", f"/applications/{ids['b']}/review/city_approve", {})
    a = city.ok("post", f"/applications/{ids['a']}/review/city_approve", {})
    assert (b["status"], b["granted_fen"]) == ("ranked", 20_000_000)  # b asked 30万: the whole 20万 budget, partially
    assert (a["status"], a["granted_fen"]) == ("not_funded", 0)
    assert city.post(f"/calls/{call_id}/rank").status_code == 409


def test_the_audit_log_is_append_only(client):
    city = Api(client, "city")
    _call(city)
    with pytest.raises(Exception, match="append-only"):
        with transaction() as db:
            db.execute(text("UPDATE adm_audit SET reason = 'tampered'"))
    with pytest.raises(Exception, match="append-only"):
        with transaction() as db:
            db.execute(text("DELETE FROM adm_audit"))


def test_dashboard_pages_per_call_and_per_measure(client):
    city = Api(client, "city")
    first, second = _call(city), _call(city, title="2024年度受理通知")
    client.post("/admin/login", data={"username": "auditor", "password": "correct-horse-battery"})
    for path in (f"/admin/calls/{first}/dashboard", f"/admin/measures/{RD_CALL['measure_id']}/dashboard"):
        page = client.get(path)
        assert page.status_code == 200 and "<svg" in page.text and "预算执行" in page.text and "style=" not in page.text
    assert "¥800,000.00" in client.get(f"/admin/measures/{RD_CALL['measure_id']}/dashboard").text  # two calls' budgets
    assert client.get(f"/admin/calls/{second}/dashboard").status_code == 200
