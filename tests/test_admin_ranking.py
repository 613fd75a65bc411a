"""The ranking rules as pure functions (津科规〔2021〕4号 第五条), the money helpers, and 免申即享 push lists."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from fastapi.testclient import TestClient

from huiqi.admin import pushlist
from huiqi.admin.errors import Invalid
from huiqi.admin.money import to_fen, yuan_text
from huiqi.admin.ranking import Candidate, allocate_rd_post_subsidy, percentile_ranks, split_budget
from huiqi.web.app import app
from test_admin_support import RD_CALL, Api, credit_code, rd_profile, seed_people, sqlite_admin  # noqa: F401  (fixture)

T0 = datetime(2023, 7, 1, 9)


def _c(i: int, fen: int, above: bool, intensity: str, tax: int, chuying: bool = False) -> Candidate:
    return Candidate(i, fen, T0 + timedelta(minutes=i), above, chuying, Fraction(intensity), Fraction(tax))


def test_percentile_ranks_count_ties_half():
    assert percentile_ranks([Fraction(3), Fraction(1), Fraction(2)]) == [1, 0, Fraction(1, 2)]
    assert percentile_ranks([Fraction(5), Fraction(5), Fraction(1)]) == [Fraction(3, 4), Fraction(3, 4), 0]
    assert percentile_ranks([Fraction(7)]) == [1]


def test_split_is_proportional_and_exact_to_the_fen():
    assert split_budget(1000, 300, 700) == (300, 700)  # enough for everyone
    assert split_budget(100, 450, 90) == (83, 17)  # 100 × 450/540 = 83.3 → 83, the rest to 规下
    above, below = split_budget(999_999, 123_457, 654_321 * 3)
    assert above + below == 999_999


def test_three_in_a_pool_composite_and_the_marginal_rule():
    pool = [_c(1, 100, True, "0.10", 50), _c(2, 100, True, "0.05", 90), _c(3, 100, True, "0.02", 10)]
    result = {a.application_id: a for a in allocate_rd_post_subsidy(pool, 250)}
    # intensity percentiles 1, 0.5, 0; contribution 0.5, 1, 0 → composites 0.75, 0.75, 0: tie broken by intensity
    assert [(result[i].rank, str(result[i].score), result[i].granted_fen) for i in (1, 2, 3)] == [(1, "0.750000", 100), (2, "0.750000", 100), (3, "0.000000", 50)]
    assert "部分补助" in result[3].note


def test_chuying_come_first_and_off_the_top():
    result = {a.application_id: a for a in allocate_rd_post_subsidy([_c(1, 80, False, "0.5", 1, chuying=True), _c(2, 100, True, "0.1", 1)], 100)}
    assert (result[1].pool, result[1].granted_fen) == ("chuying", 80)
    assert (result[2].pool, result[2].granted_fen) == ("above", 20)


def test_money_is_exact():
    assert to_fen(216000.0) == 21_600_000 and to_fen("0.005") == 1 and to_fen(0.1 + 0.2) == 30
    assert yuan_text(-123456) == "-¥1,234.56"


def test_push_list_forms(tmp_path):
    rows = [{"enterprise_id": "91120000X", "name": "甲", "profile": {"subject": "enterprise"}}]
    assert pushlist.parse("list.json", json.dumps(rows).encode())[0]["enterprise_id"] == "91120000X"
    csv = "enterprise_id,name,profile\n91120000X,甲,\"{\"\"subject\"\": \"\"enterprise\"\"}\"\n".encode()
    assert pushlist.parse("list.csv", csv)[0]["profile"] == {"subject": "enterprise"}
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "list.parquet"
    pq.write_table(pa.Table.from_pylist([{**rows[0], "profile": json.dumps(rows[0]["profile"])}]), path)
    assert pushlist.parse("list.parquet", path.read_bytes())[0]["name"] == "甲"
    for name, data in (("list.txt", b"x"), ("list.json", b"{}"), ("list.json", b'[{"name": "no id"}]')):
        with pytest.raises(Invalid):
            pushlist.parse(name, data)


def test_proactive_call_enterprises_confirm_instead_of_applying(sqlite_admin):
    seed_people()
    with TestClient(app) as client:
        city = Api(client, "city")
        call = city.ok("post", "/calls", {**RD_CALL, "materials": [], "proactive": True, "title": "免申即享：研发投入后补助"})
        city.ok("post", f"/calls/{call['id']}/publish")
        push = [{"enterprise_id": credit_code(k), "name": rd_profile(k)["name"], "profile": rd_profile(k)} for k in "ab"]
        push.append({"enterprise_id": "91120000NOTELIGIB", "name": "不符合", "profile": {**rd_profile("c"), "facts": {**rd_profile("c")["facts"], "registered_in_tianjin": False}}})
        response = client.post(f"/api/admin/calls/{call['id']}/push-list", headers=city.headers, files={"file": ("push.json", json.dumps(push).encode(), "application/json")})
        assert response.status_code == 200 and response.json()["notified"] == 2 and len(response.json()["skipped"]) == 1
        ent_a = Api(client, "ent_a")
        [invitation] = ent_a.ok("get", "/invitations")
        assert invitation["amount_fen"] == 15_000_000
        assert ent_a.post(f"/invitations/{invitation['id']}/confirm", json={"pledge": False}).status_code == 422
        app_json = ent_a.ok("post", f"/invitations/{invitation['id']}/confirm", {"pledge": True})
        assert app_json["status"] == "submitted" and app_json["requested_fen"] == 15_000_000
        assert ent_a.ok("post", f"/invitations/{invitation['id']}/confirm", {"pledge": True})["id"] == app_json["id"]  # a retry
        assert Api(client, "ent_c").ok("get", "/invitations") == []
        assert Api(client, "ent_b").post(f"/invitations/{invitation['id']}/confirm", json={"pledge": True}).status_code == 404  # not its notice
