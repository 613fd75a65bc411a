"""The HTTP API and pages through FastAPI's test client (the real app, the real library)."""

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

ENTERPRISE = {"subject": "enterprise", "name": "测试企业", "facts": {"registered_in_tianjin": True, "industry": "manufacturing"}}


@pytest.fixture(scope="module")
def client(db_url):
    mp = pytest.MonkeyPatch()
    mp.setenv("HUIQI_DATABASE_URL", db_url)
    from huiqi.web.app import app

    with TestClient(app) as c:
        yield c
    mp.undo()


def test_search_matches_the_cli_contract(client):
    hits = client.get("/api/search", params={"q": "买机器人有补贴吗", "limit": 3}).json()
    assert len(hits) == 3
    assert {"id", "kind", "doc_title", "doc_number", "label", "text", "snippet", "score", "status"} <= set(hits[0])


@pytest.mark.parametrize(
    ("params", "field"),
    [({"q": ""}, "q"), ({"q": "补贴", "limit": 0}, "limit"), ({"q": "补贴", "as_of": "2026-02-30"}, "as_of"), ({"q": "补贴", "beneficiary": "cat"}, "beneficiary")],
)
def test_search_validation_errors_are_422_with_the_field(client, params, field):
    response = client.get("/api/search", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field


def test_documents_items_and_references(client):
    items = client.get("/api/documents").json()
    assert {i["kind"] for i in items} == {"document", "compilation", "reference"}
    provision = client.get("/api/items/jinkegui-2021-4/第七条（三）").json()
    assert "500万元" in provision["text"]
    assert client.get("/api/items/nothing-here").status_code == 404


def test_match_returns_the_contract_and_next_questions(client):
    data = client.post("/api/match", json={"profile": ENTERPRISE, "as_of": "2023-06-30"}).json()
    assert {"as_of", "results", "total_yuan", "total_max_yuan", "next_questions"} <= set(data)
    assert data["as_of"] == "2023-06-30"
    for question in data["next_questions"]:
        assert question["path"].startswith(("facts.", "yearly."))


def test_bad_profile_is_422_naming_the_field(client):
    response = client.post("/api/match", json={"profile": {"subject": "enterprise", "facts": {"employees": -1}}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "profile", "facts", "employees"]
    assert "不能为负数" in response.json()["detail"][0]["msg"]


def test_oversized_body_is_refused(client):
    response = client.post("/api/match", content=b"{" + b" " * 300_000 + b"}", headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_security_headers_and_no_cors(client):
    response = client.get("/api/search", params={"q": "补贴"}, headers={"Origin": "https://evil.example"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "access-control-allow-origin" not in response.headers


def test_exports_carry_results_and_citations(client):
    body = {"profile": ENTERPRISE, "as_of": "2023-06-30"}
    pdf = client.post("/api/export/pdf", json=body)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.post("/api/export/xlsx", json=body)
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["汇总", "措施明细", "计算过程"]
    assert book["汇总"]["B1"].value == "测试企业"
    header = [c.value for c in book["措施明细"][1]]
    assert "原文" in header and "文号" in header


@pytest.mark.parametrize("path", ["/", "/search?q=博士落户", "/documents", "/documents/jinkegui-2021-4", "/measures", "/calculator"])
def test_pages_render_in_chinese(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.text and "惠企" in response.text


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "找不到该页面" in response.text


def test_summary_match_omits_traces_for_a_small_response(client):
    body = {"profile": ENTERPRISE, "as_of": "2023-06-30"}
    full = client.post("/api/match", json=body)
    summary = client.post("/api/match", json={**body, "detail": "summary"})
    assert "trace" in full.json()["results"][0] and "trace" not in summary.json()["results"][0]
    assert len(summary.content) < len(full.content) * 0.6
    assert summary.json()["total_yuan"] == full.json()["total_yuan"]
