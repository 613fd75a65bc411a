"""The Chinese web pages: home, search, document reader, measures, calculator. Server-rendered with Jinja2;
the calculator page is a small script over the JSON API."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from huiqi.calculator.evaluate import STATUS_WORDS, Evaluator, format_yuan
from huiqi.calculator.match import result_json
from huiqi.calculator.render import amount_text
from huiqi.corpus.validity import STATUS_WORDS as DOC_STATUS_WORDS
from huiqi.rules.describe import describe_measure, describe_pack
from huiqi.rules.model import PER_WORDS
from huiqi.rules.pack import load_pack
from huiqi.search.service import get_index
from huiqi.storage import repo
from huiqi.storage.db import session

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(
    STATUS_WORDS=STATUS_WORDS, DOC_STATUS_WORDS=DOC_STATUS_WORDS, PER_WORDS=PER_WORDS, format_yuan=format_yuan,
    KIND_WORDS={"grant": "资金支持", "tax": "税收优惠", "fee": "费用减免", "loan": "贷款", "guarantee": "担保", "equity": "股权投资", "qualification": "资格认定", "service": "服务", "right": "权利待遇"},
    BENEFICIARY_WORDS={"enterprise": "企业", "person": "个人", "institution": "机构"},
)
templates.env.filters["marked"] = lambda snippet: Markup(snippet)  # snippets are escaped by the engine, <mark> only


def _parse_day(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, detail=f"日期格式错误：{value}，应为 YYYY-MM-DD") from None


def error_page(request: Request, status: int) -> HTMLResponse:
    message = "找不到该页面" if status == 404 else "请求方式不正确"
    return templates.TemplateResponse(request, "error.html", {"status": status, "message": message}, status_code=status)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    today = date.today()
    measures = describe_pack(load_pack())
    dated = [m for m in measures if m["validity"]["from"]]
    newest = sorted(dated, key=lambda m: m["validity"]["from"], reverse=True)[:6]
    horizon = (today + timedelta(days=180)).isoformat()
    expiring = sorted(
        (m for m in measures if m["validity"]["until"] and today.isoformat() <= m["validity"]["until"] <= horizon),
        key=lambda m: m["validity"]["until"],
    )[:6]
    counts = {b: sum(1 for m in measures if m["beneficiary"] == b) for b in ("enterprise", "person", "institution")}
    return templates.TemplateResponse(request, "home.html", {"newest": newest, "expiring": expiring, "counts": counts, "total": len(measures)})


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: str = "", as_of: str | None = None, beneficiary: str | None = None, status: str | None = None, department: str | None = None) -> HTMLResponse:
    day = _parse_day(as_of)
    hits: list[dict[str, Any]] = []
    if q.strip():
        hits = get_index().search(
            q[:200], limit=20, as_of=day, beneficiary=beneficiary or None,
            status=status if status in DOC_STATUS_WORDS else None, department=department or None,
        )
    context = {"q": q, "hits": hits, "as_of": day.isoformat(), "beneficiary": beneficiary or "", "status": status or "", "department": department or ""}
    return templates.TemplateResponse(request, "search.html", context)


@router.get("/documents", response_class=HTMLResponse)
def documents_page(request: Request, as_of: str | None = None) -> HTMLResponse:
    day = _parse_day(as_of)
    with session() as db:
        docs = repo.list_documents(db, day)
    return templates.TemplateResponse(request, "documents.html", {"docs": docs, "as_of": day.isoformat()})


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, doc_id: str, as_of: str | None = None) -> HTMLResponse:
    day = _parse_day(as_of)
    with session() as db:
        try:
            doc = repo.get_item(db, doc_id, day)
        except repo.NotFound:
            return error_page(request, 404)
    if doc["kind"] not in ("document", "compilation"):
        return error_page(request, 404)
    pack = load_pack()
    encoded: dict[str, list[dict[str, str]]] = {}
    for measure in pack.measures.values():
        for citation in measure.citations:
            encoded.setdefault(citation.clause_id, []).append({"id": measure.id, "title": measure.spec.title})
    _add_own_text(doc["provisions"])
    repealed_by = _repealed_by(doc)
    return templates.TemplateResponse(request, "document.html", {"doc": doc, "encoded": encoded, "as_of": day.isoformat(), "repealed_by": repealed_by})


def _add_own_text(provisions: list[dict[str, Any]]) -> None:
    """A provision's text holds its children's too; the reader shows each node once, with its own part."""
    first_child: dict[str, dict[str, Any]] = {}
    depth: dict[str, int] = {}
    for p in provisions:
        parent = p.get("parent")
        depth[p["id"]] = depth.get(parent, -1) + 1 if parent in depth else 0
        p["depth"] = depth[p["id"]]
        if parent in depth and parent not in first_child:
            first_child[parent] = p
    for p in provisions:
        own = p["text"]
        child = first_child.get(p["id"])
        if child is not None and child["text"]:
            cut = own.find(child["text"].split("\n", 1)[0])
            if cut > 0:
                own = own[:cut].rstrip()
                marker = own.rsplit("\n", 1)
                own = marker[0] if len(marker) > 1 and len(marker[1]) <= 6 else own  # drop the child's marker line
        if p.get("heading") and own.startswith(p["heading"]):
            own = own[len(p["heading"]):].lstrip("\n。 ")
        p["own_text"] = own


def _repealed_by(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if not doc.get("doc_number"):
        return []
    with session() as db:
        return [d for d in repo.list_documents(db, date.today()) if doc["doc_number"] in (d.get("repeals") or [])]


@router.get("/measures", response_class=HTMLResponse)
def measures_page(request: Request, beneficiary: str | None = None, kind: str | None = None) -> HTMLResponse:
    measures = describe_pack(load_pack())
    shown = [m for m in measures if (not beneficiary or m["beneficiary"] == beneficiary) and (not kind or m["kind"] == kind)]
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for m in shown:
        source = m["sources"][0]
        by_doc.setdefault(f"{source['doc_title']}|{source['doc_number'] or ''}|{source['doc_id']}", []).append(m)
    return templates.TemplateResponse(request, "measures.html", {"by_doc": by_doc, "count": len(shown), "beneficiary": beneficiary or "", "kind": kind or ""})


@router.get("/measures/{measure_id}", response_class=HTMLResponse)
def measure_page(request: Request, measure_id: str) -> HTMLResponse:
    pack = load_pack()
    measure = pack.measures.get(measure_id)
    if measure is None:
        return error_page(request, 404)
    return templates.TemplateResponse(request, "measure.html", {"m": describe_measure(measure), "example": _worked_example(pack, measure)})


def _worked_example(pack, measure) -> dict[str, Any] | None:
    """The first hand-computed test case in which the measure applies, evaluated live."""
    evaluator = Evaluator(pack.registry)
    for case in measure.spec.tests:
        if case.expect.status != "eligible":
            continue
        profile = pack.registry.validate({"subject": measure.spec.beneficiary, **case.profile})
        result = result_json(evaluator.evaluate(measure, profile, case.as_of), evaluator)
        facts = [(evaluator.column_label(k), v) for k, v in profile.facts.items()]
        return {"name": case.name, "as_of": case.as_of.isoformat(), "facts": facts, "result": result, "amount": amount_text(result)}
    return None


@router.get("/calculator", response_class=HTMLResponse)
def calculator_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "calculator.html", {"today": date.today().isoformat()})
