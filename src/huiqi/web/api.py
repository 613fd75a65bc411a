"""The HTTP API: the CLI's --json contracts over HTTP (FastAPI; OpenAPI docs at /docs).

Every endpoint returns the same field names as the matching CLI command. Errors are JSON with a
Chinese `detail`; validation errors are 422 with the field path.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
import orjson
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from huiqi.calculator.evaluate import Evaluator
from huiqi.calculator.match import match, report_json, result_json
from huiqi.calculator.questions import next_questions
from huiqi.rules.describe import describe_measure, describe_pack
from huiqi.rules.facts import ProfileError
from huiqi.rules.pack import load_pack
from huiqi.search.service import get_index
from huiqi.storage import repo
from huiqi.storage.db import session
from huiqi.web import export

router = APIRouter(prefix="/api")


class FastJSONResponse(JSONResponse):
    """Plain JSON data written by orjson: a match is a few hundred results, and the standard encoder took
    longer to write them than the calculator took to compute them."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)

Beneficiary = Literal["enterprise", "person", "institution"]
DocStatus = Literal["in_force", "expired", "not_yet_in_force", "unknown"]
AsOfQuery = Annotated[date | None, Query(description="评估日期 YYYY-MM-DD，默认今天")]


class ProfileError422(HTTPException):
    def __init__(self, problems: list[tuple[str, str]]):
        detail = [{"loc": ["body", "profile", *path.split(".")], "msg": message, "type": "profile"} for path, message in problems]
        super().__init__(status_code=422, detail=detail)


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    profile: dict[str, Any] = Field(description="主体档案，结构见 GET /api/schema/profile", examples=[{"subject": "enterprise", "facts": {"registered_in_tianjin": True}}])
    as_of: date | None = Field(default=None, description="评估日期，默认今天")


class ExplainRequest(MatchRequest):
    measure_id: str = Field(max_length=200, description="措施编号")


class MatchDetailRequest(MatchRequest):
    detail: Literal["full", "summary"] = Field(
        default="full", description="full：每项结果含计算过程 trace 与全部出处 sources；summary：省略二者（需要时用 /api/explain 取单项），响应小得多"
    )



def _today(as_of: date | None) -> date:
    return as_of or date.today()


def _validated(profile: dict[str, Any]):
    pack = load_pack()
    try:
        return pack, pack.registry.validate(profile)
    except ProfileError as exc:
        raise ProfileError422(exc.problems) from None


def run_match(request: MatchRequest, *, detail: bool = True) -> dict[str, Any]:
    pack, profile = _validated(request.profile)
    data = report_json(match(pack, profile, _today(request.as_of)), pack, detail=detail)
    data["next_questions"] = next_questions(data, pack.registry)
    return data


# ---------------------------------------------------------------- library


# Search, match and explain work in memory on the loaded index and pack, in a few milliseconds: they run
# on the event loop (async def) one after another, instead of contending for the GIL in the thread pool.


@router.get("/search", summary="中文检索政策条款", response_class=FastJSONResponse)
async def search(
    q: Annotated[str, Query(min_length=1, max_length=200, description="问题或关键词，例如：买机器人有补贴吗")],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    as_of: AsOfQuery = None,
    doc: Annotated[str | None, Query(max_length=120, description="文件编号或文号")] = None,
    department: Annotated[str | None, Query(max_length=60)] = None,
    beneficiary: Beneficiary | None = None,
    status: DocStatus | None = None,
) -> JSONResponse:
    if not q.strip():
        raise HTTPException(422, detail=[{"loc": ["query", "q"], "msg": "查询内容不能为空", "type": "value_error"}])
    return FastJSONResponse(get_index().search(q, limit=limit, as_of=_today(as_of), doc=doc, department=department, beneficiary=beneficiary, status=status))


@router.get("/documents", summary="全部文件（含汇编与依据文件引用）")
def documents(as_of: AsOfQuery = None) -> list[dict[str, Any]]:
    with session() as db:
        return repo.list_documents(db, _today(as_of)) + repo.list_references(db)


@router.get("/items/{item_id:path}", summary="一份文件、一个条款、一个汇编条目或一个引用")
def item(item_id: str, as_of: AsOfQuery = None) -> dict[str, Any]:
    with session() as db:
        try:
            return repo.get_item(db, item_id, _today(as_of))
        except repo.NotFound as exc:
            raise HTTPException(404, detail=str(exc)) from None


# ---------------------------------------------------------------- rules and calculator


@router.get("/measures", summary="规则包中的全部措施（完整规则结构与出处）")
def measures(beneficiary: Beneficiary | None = None) -> list[dict[str, Any]]:
    items = describe_pack(load_pack())
    return [m for m in items if beneficiary is None or m["beneficiary"] == beneficiary]


@router.get("/measures/{measure_id}", summary="一项措施")
def measure(measure_id: str) -> dict[str, Any]:
    found = load_pack().measures.get(measure_id)
    if found is None:
        raise HTTPException(404, detail=f"找不到措施 {measure_id}")
    return describe_measure(found)


@router.get("/facts", summary="全部事实（名称、中文标签、类型、单位、取值）")
def facts(subject: Beneficiary | None = None) -> list[dict[str, Any]]:
    specs = load_pack().registry.specs.values()
    return [s.model_dump(exclude_none=True) for s in specs if subject is None or subject in s.subject]


@router.get("/schema/profile", summary="主体档案的 JSON Schema")
def profile_schema() -> dict[str, Any]:
    return load_pack().registry.json_schema()


@router.post("/match", summary="计算一个主体可享受的措施、金额与依据", response_class=FastJSONResponse)
async def match_endpoint(request: MatchDetailRequest) -> FastJSONResponse:
    data = run_match(request, detail=request.detail == "full")
    return FastJSONResponse(data)  # already plain JSON data: skip re-validating hundreds of results


@router.post("/explain", summary="解释一项措施的判断与计算过程")
async def explain(request: ExplainRequest) -> dict[str, Any]:
    pack, profile = _validated(request.profile)
    found = pack.measures.get(request.measure_id)
    if found is None:
        raise HTTPException(404, detail=f"找不到措施 {request.measure_id}")
    if found.spec.beneficiary != profile.subject:
        raise HTTPException(422, detail=[{"loc": ["body", "measure_id"], "msg": f"措施对象为 {found.spec.beneficiary}，与档案主体 {profile.subject} 不符", "type": "value_error"}])
    evaluator = Evaluator(pack.registry)
    return result_json(evaluator.evaluate(found, profile, _today(request.as_of)), evaluator)


@router.post("/export/xlsx", summary="计算结果导出为 Excel", response_class=Response, responses={200: {"content": {export.XLSX_TYPE: {}}}})
def export_xlsx(request: MatchRequest) -> Response:
    data = run_match(request)
    return Response(export.to_xlsx(data), media_type=export.XLSX_TYPE, headers={"Content-Disposition": 'attachment; filename="huiqi-result.xlsx"'})


@router.post("/export/pdf", summary="计算结果导出为 PDF 报告", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def export_pdf(request: MatchRequest) -> Response:
    data = run_match(request)
    return Response(export.to_pdf(data), media_type="application/pdf", headers={"Content-Disposition": 'attachment; filename="huiqi-result.pdf"'})
