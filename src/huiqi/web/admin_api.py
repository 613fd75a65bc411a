"""The administration HTTP API under /api/admin: bearer tokens (POST /api/admin/auth/login), JSON in and
out, Chinese errors (422 names the field), row-level access on every object.

Money is given in yuan (a decimal with at most two places) and returned both as integer fen
(`*_fen`, exact) and as text. Browser pages reuse the same service layer (admin_pages.py); the API
accepts the pages' session cookie only for GET downloads, so a cross-site form can never act.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, File, Form, Header, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.admin import access, auth, dashboard, exports, pushlist, service, uploads
from huiqi.admin.db import AdminDatabaseMissing, require_schema, transaction
from huiqi.admin.errors import AdminError, Invalid, NotFound
from huiqi.admin.models import Application, AuditEntry, Call, Clawback, Invitation, Material, Objection, Payment, PaymentBatch, User
from huiqi.admin.money import to_fen, yuan_text
from huiqi.admin.ranking import POOL_WORDS, RULES
from huiqi.admin.workflow import STATES

router = APIRouter(prefix="/api/admin", tags=["管理端"])
COOKIE = "huiqi_admin"
UPLOAD_PATHS = re.compile(r"^(/api)?/admin/(applications/\d+/materials|calls/\d+/push-list)$")
UPLOAD_BODY_BYTES = uploads.MAX_BYTES + 64 * 1024  # the file plus the multipart envelope

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refuse it as bad input, not as a server error
Yuan = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
Text200 = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
Reason = Annotated[str, Field(max_length=2000, pattern=NO_NUL)]
LongText = Annotated[str, Field(min_length=1, max_length=4000, pattern=NO_NUL)]
Key = Annotated[str, Header(min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$", description="幂等键：同一键重复提交只产生一份申请")]


def upload_body_limit(path: str) -> int | None:
    """The body limit of the upload endpoints (larger than the site's default), None elsewhere."""
    return UPLOAD_BODY_BYTES if UPLOAD_PATHS.match(path) else None


# ---------------------------------------------------------------- session plumbing


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    if request.method in ("GET", "HEAD"):
        return request.cookies.get(COOKIE)
    return None


@contextmanager
def acting(request: Request) -> Iterator[tuple[Session, User]]:
    """A transaction and the logged-in user (401 when there is none)."""
    require_schema()
    token = bearer_token(request)
    if not token:
        raise auth.AuthError("未登录：请先登录（POST /api/admin/auth/login）")
    with transaction() as db:
        yield db, auth.user_for_token(db, token)


# ---------------------------------------------------------------- JSON shapes


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": user.role, "role_label": auth.ROLES[user.role], "display_name": user.display_name,
            "district": user.district, "subject": user.subject, "credit_code": user.credit_code}


def call_json(call: Call) -> dict[str, Any]:
    return {
        "id": call.id, "title": call.title, "measure_id": call.measure_id, "extra_measure_ids": call.extra_measure_ids, "year": call.year,
        "opens_on": call.opens_on.isoformat(), "closes_on": call.closes_on.isoformat(), "as_of": call.as_of.isoformat(),
        "budget_fen": call.budget_fen, "budget_text": yuan_text(call.budget_fen), "materials": call.materials, "target_groups": call.target_groups,
        "ranking_rule": call.ranking_rule, "ranking_rule_label": RULES[call.ranking_rule], "publicity_days": call.publicity_days,
        "publicity_starts_on": call.publicity_starts_on.isoformat() if call.publicity_starts_on else None,
        "publicity_ends_on": (ends.isoformat() if (ends := service.publicity_ends_on(call)) else None),
        "proactive": call.proactive, "status": call.status,
    }


def application_json(app: Application) -> dict[str, Any]:
    return {
        "id": app.id, "call_id": app.call_id, "status": app.status, "status_label": STATES[app.status], "name": app.name, "credit_code": app.credit_code,
        "district": app.district, "industry": app.industry, "measure_id": app.measure_id, "requested_fen": app.requested_fen,
        "requested_text": yuan_text(app.requested_fen), "granted_fen": app.granted_fen, "granted_text": yuan_text(app.granted_fen),
        "pool": app.pool, "pool_label": POOL_WORDS.get(app.pool or ""), "rank": app.rank, "score": str(app.score) if app.score is not None else None,
        "ranking_note": app.ranking_note, "pledged": app.pledged_at is not None,
        "submitted_at": app.submitted_at.isoformat() if app.submitted_at else None, "paid_at": app.paid_at.isoformat() if app.paid_at else None,
    }


def application_detail(db: Session, user: User, app: Application) -> dict[str, Any]:
    data = application_json(app)
    data["profile"] = app.profile
    data["evaluation"] = app.evaluation
    data["pledge_text"] = app.pledge_text
    data["materials"] = [material_json(m) for m in db.scalars(select(Material).where(Material.application_id == app.id).order_by(Material.id))]
    data["history"] = [audit_json(e) for e in db.scalars(select(AuditEntry).where(AuditEntry.entity == "application", AuditEntry.entity_id == app.id).order_by(AuditEntry.id))]
    data["clawbacks"] = [{"amount_fen": c.amount_fen, "amount_text": yuan_text(c.amount_fen), "reason": c.reason, "at": c.created_at.isoformat()}
                         for c in db.scalars(select(Clawback).where(Clawback.application_id == app.id))]
    paid = db.scalar(select(Payment.amount_fen).where(Payment.application_id == app.id))
    data["paid_fen"] = paid
    if user.role != auth.APPLICANT:  # objectors' names stay with the officers
        data["objections"] = [objection_json(o) for o in db.scalars(select(Objection).where(Objection.application_id == app.id).order_by(Objection.id))]
    return data


def material_json(m: Material) -> dict[str, Any]:
    return {"id": m.id, "kind": m.kind, "original_name": m.original_name, "content_type": m.content_type, "size": m.size, "sha256": m.sha256,
            "uploaded_at": m.uploaded_at.isoformat()}


def objection_json(o: Objection) -> dict[str, Any]:
    return {"id": o.id, "application_id": o.application_id, "objector": o.objector, "content": o.content, "received_on": o.received_on.isoformat(),
            "resolution": o.resolution, "resolution_note": o.resolution_note}


def audit_json(e: AuditEntry) -> dict[str, Any]:
    return {"id": e.id, "at": e.at.isoformat(), "actor_id": e.actor_id, "actor_role": e.actor_role, "entity": e.entity, "entity_id": e.entity_id,
            "action": e.action, "from": e.from_status, "to": e.to_status, "reason": e.reason, "detail": e.detail}


def invitation_json(i: Invitation) -> dict[str, Any]:
    return {"id": i.id, "call_id": i.call_id, "enterprise_id": i.credit_code, "name": i.name, "amount_fen": i.amount_fen,
            "amount_text": yuan_text(i.amount_fen), "status": i.status, "application_id": i.application_id}


def batch_json(b: PaymentBatch) -> dict[str, Any]:
    return {"id": b.id, "call_id": b.call_id, "reference": b.reference, "total_fen": b.total_fen, "total_text": yuan_text(b.total_fen),
            "created_at": b.created_at.isoformat()}


# ---------------------------------------------------------------- requests


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class RegisterRequest(Strict):
    username: Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    password: Annotated[str, Field(min_length=auth.MIN_PASSWORD, max_length=200)]
    display_name: Text200
    subject: Literal["enterprise", "person"]
    credit_code: Annotated[str, Field(min_length=6, max_length=40, pattern=r"^[0-9A-Za-z]+$", description="统一社会信用代码（个人为身份证号）")]
    district: Annotated[str, Field(min_length=2, max_length=40, pattern=NO_NUL)]


class CallRequest(Strict):
    measure_id: Text200
    extra_measure_ids: Annotated[list[Text200], Field(max_length=10)] = []
    title: Text200
    opens_on: date
    closes_on: date
    as_of: date = Field(description="计算器的评估日期（适用哪一年的规定）")
    budget_yuan: Yuan
    materials: Annotated[list[Text200], Field(max_length=30)] = []
    target_groups: Annotated[list[Text200], Field(max_length=30)] = []
    ranking_rule: Literal["rd_post_subsidy", "first_come"]
    publicity_days: Annotated[int, Field(ge=1, le=30)] = 5
    proactive: bool = False


class ApplicationRequest(Strict):
    profile: dict[str, Any] = Field(description="主体档案，结构见 GET /api/schema/profile")
    pledge: bool = Field(default=False, description="签署信用承诺（津科规〔2021〕4号 第十八条）")


class ReasonRequest(Strict):
    reason: Reason | None = None


class PublicityRequest(Strict):
    starts_on: date = Field(description="名单在市科技局网站公示的开始日期")


class PaymentRequest(Strict):
    reference: Text200 = Field(description="资金计划文号或批次编号")


class ObjectionRequest(Strict):
    objector: Text200
    content: LongText
    received_on: date


class ResolveRequest(Strict):
    upheld: bool
    note: Annotated[Reason, Field(min_length=1)]


class ClawbackRequest(Strict):
    amount_yuan: Yuan | None = Field(default=None, description="不填则全额追回")
    reason: Annotated[Reason, Field(min_length=1)]
    dishonest_until: date | None = Field(default=None, description="失信记录截止日期（不填则不记录失信）")
    basis: Annotated[str, Field(max_length=500, pattern=NO_NUL)] | None = Field(default=None, description="失信记录及期限所依据的规定")


class ConfirmRequest(Strict):
    pledge: bool


# ---------------------------------------------------------------- accounts


@router.post("/auth/login", summary="登录，返回访问令牌")
def login(body: LoginRequest) -> dict[str, Any]:
    require_schema()
    with transaction() as db:
        token = auth.login(db, body.username, body.password)
        user = auth.user_for_token(db, token)
        return {"token": token, "token_type": "bearer", "expires_in_hours": auth.session_hours(), "user": user_json(user)}


@router.post("/auth/logout", summary="退出登录")
def logout(request: Request) -> dict[str, Any]:
    with acting(request) as (db, _user):
        auth.logout(db, bearer_token(request) or "")
    return {"ok": True}


@router.post("/auth/register", summary="申报人注册（企业或个人）", status_code=201)
def register(body: RegisterRequest) -> dict[str, Any]:
    require_schema()
    with transaction() as db:
        user = service.register_applicant(db, body.username, body.password, body.display_name, body.subject, body.credit_code, body.district)
        return user_json(user)


@router.get("/me", summary="当前用户")
def me(request: Request) -> dict[str, Any]:
    with acting(request) as (_db, user):
        return user_json(user)


# ---------------------------------------------------------------- calls


@router.get("/calls", summary="申报通知列表")
def list_calls(request: Request) -> list[dict[str, Any]]:
    with acting(request) as (db, user):
        return [call_json(c) for c in db.scalars(access.calls_visible_to(user).order_by(Call.id.desc()))]


@router.post("/calls", summary="新建申报通知（市级）", status_code=201)
def create_call(request: Request, body: CallRequest) -> dict[str, Any]:
    with acting(request) as (db, user):
        fields = body.model_dump(exclude={"budget_yuan"})
        return call_json(service.create_call(db, user, budget_fen=to_fen(body.budget_yuan), **fields))


@router.get("/calls/{call_id}", summary="一份申报通知")
def get_call(request: Request, call_id: int) -> dict[str, Any]:
    with acting(request) as (db, user):
        return call_json(access.call(db, user, call_id))


@router.post("/calls/{call_id}/publish", summary="发布申报通知")
def publish_call(request: Request, call_id: int) -> dict[str, Any]:
    with acting(request) as (db, user):
        return call_json(service.publish_call(db, user, call_id))


@router.post("/calls/{call_id}/rank", summary="排序并生成拟补助名单（研发投入后补助）")
def rank_call(request: Request, call_id: int) -> list[dict[str, Any]]:
    with acting(request) as (db, user):
        service.rank_call(db, user, call_id)
        return [application_json(a) for a in service.ranking_list(db, user, call_id)]


@router.get("/calls/{call_id}/ranking", summary="排序结果与拟补助名单")
def ranking(request: Request, call_id: int) -> list[dict[str, Any]]:
    with acting(request) as (db, user):
        return [application_json(a) for a in service.ranking_list(db, user, call_id)]


@router.post("/calls/{call_id}/publicity", summary="登记名单公示")
def publicity(request: Request, call_id: int, body: PublicityRequest) -> dict[str, Any]:
    with acting(request) as (db, user):
        count = service.start_publicity(db, user, call_id, body.starts_on)
        return {"publicised": count, "call": call_json(access.call(db, user, call_id))}


@router.post("/calls/{call_id}/approve", summary="公示期满后批复立项")
def approve(request: Request, call_id: int) -> dict[str, Any]:
    with acting(request) as (db, user):
        return {"approved": service.approve_call(db, user, call_id)}


@router.post("/calls/{call_id}/payments", summary="生成拨付批次（财政）", status_code=201)
def pay(request: Request, call_id: int, body: PaymentRequest) -> dict[str, Any]:
    with acting(request) as (db, user):
        return batch_json(service.pay_call(db, user, call_id, body.reference))


@router.get("/calls/{call_id}/payments", summary="拨付批次")
def list_batches(request: Request, call_id: int) -> list[dict[str, Any]]:
    with acting(request) as (db, user):
        access.require_role(user, auth.CITY, auth.FINANCE, auth.AUDITOR)
        call = access.call(db, user, call_id)
        return [batch_json(b) for b in db.scalars(select(PaymentBatch).where(PaymentBatch.call_id == call.id).order_by(PaymentBatch.id))]


@router.post("/calls/{call_id}/push-list", summary="导入免申即享推送名单（JSON/CSV/Parquet）")
async def push_list(request: Request, call_id: int, file: Annotated[UploadFile, File(description="推送名单文件")]) -> dict[str, Any]:
    data = await file.read(uploads.MAX_BYTES + 1)
    rows = pushlist.parse(file.filename or "", data)
    with acting(request) as (db, user):
        return service.load_push_list(db, user, call_id, rows)


@router.get("/calls/{call_id}/invitations", summary="免申即享名单及确认情况")
def call_invitations(request: Request, call_id: int) -> list[dict[str, Any]]:
    with acting(request) as (db, user):
        access.require_role(user, auth.CITY, auth.AUDITOR)
        call = access.call(db, user, call_id)
        return [invitation_json(i) for i in db.scalars(select(Invitation).where(Invitation.call_id == call.id).order_by(Invitation.id))]


@router.get("/calls/{call_id}/dashboard", summary="绩效：一份通知")
def call_dashboard(request: Request, call_id: int) -> dict[str, Any]:
    with acting(request) as (db, user):
        return dashboard.for_call(db, user, call_id).as_json()


@router.get("/measures/{measure_id}/dashboard", summary="绩效：一项措施的全部通知")
def measure_dashboard(request: Request, measure_id: Annotated[str, Path(max_length=200, pattern=NO_NUL)]) -> dict[str, Any]:
    with acting(request) as (db, user):
        return dashboard.for_measure(db, user, measure_id).as_json()


# ---------------------------------------------------------------- exports


def _download(data: bytes, media_type: str, name: str) -> Response:
    return Response(data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def export_sheets(db: Session, user: User, what: str, object_id: int) -> tuple[list[exports.Sheet], str]:
    """The sheets of a publicity list (call id), a payment batch (batch id) or a call's figures (call id)."""
    if what == "publicity":
        call = access.call(db, user, object_id)
        ends = service.publicity_ends_on(call)
        if ends is None:
            raise NotFound("该通知尚未公示")
        visible = access.applications_visible_to(user).where(Application.call_id == call.id, Application.status.in_(("publicity", "approved", "paid", "clawed_back")))
        apps = list(db.scalars(visible.order_by(Application.pool, Application.rank)))
        return [exports.publicity_sheet(call, apps, ends)], f"publicity-{call.id}"
    if what == "payments":
        access.require_role(user, auth.CITY, auth.FINANCE, auth.AUDITOR)
        batch = db.get(PaymentBatch, object_id)
        if batch is None:
            raise NotFound(f"找不到拨付批次 {object_id}")
        call = access.call(db, user, batch.call_id)
        rows = db.execute(select(Application, Payment.amount_fen).join(Payment, Payment.application_id == Application.id).where(Payment.batch_id == batch.id).order_by(Application.id)).all()
        return [exports.payment_sheet(call, batch, [(a, amount) for a, amount in rows])], f"payments-{batch.id}"
    return exports.dashboard_sheets(dashboard.for_call(db, user, object_id)), f"dashboard-{object_id}"


@router.get("/exports/{what}/{object_id}.{fmt}", summary="导出：公示名单（通知编号）、拨付清单（批次编号）、绩效（通知编号）",
            response_class=Response, responses={200: {"content": {exports.XLSX_TYPE: {}, "application/pdf": {}}}})
def export(request: Request, what: Literal["publicity", "payments", "dashboard"], object_id: int, fmt: Literal["xlsx", "pdf"]) -> Response:
    with acting(request) as (db, user):
        sheets, name = export_sheets(db, user, what, object_id)
    if fmt == "xlsx":
        return _download(exports.to_xlsx(sheets), exports.XLSX_TYPE, f"{name}.xlsx")
    return _download(exports.to_pdf(sheets), "application/pdf", f"{name}.pdf")


# ---------------------------------------------------------------- applications


@router.post("/calls/{call_id}/applications", summary="新建申请（需幂等键）", status_code=201)
def create_application(request: Request, call_id: int, body: ApplicationRequest, idempotency_key: Key) -> JSONResponse:
    with acting(request) as (db, user):
        app, created = service.create_application(db, user, call_id, idempotency_key, body.profile, body.pledge)
        data = application_detail(db, user, app)
    return JSONResponse(data, status_code=201 if created else 200)


@router.get("/applications", summary="我可以看到的申请")
def list_applications(request: Request, call_id: int | None = None, status: Annotated[str | None, Query(max_length=24, pattern=NO_NUL)] = None,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 200, offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    with acting(request) as (db, user):
        query = access.applications_visible_to(user)
        if call_id is not None:
            query = query.where(Application.call_id == call_id)
        if status is not None:
            query = query.where(Application.status == status)
        return [application_json(a) for a in db.scalars(query.order_by(Application.id).limit(limit).offset(offset))]


@router.get("/applications/{application_id}", summary="一份申请（含计算过程、材料、流转记录）")
def get_application(request: Request, application_id: int) -> dict[str, Any]:
    with acting(request) as (db, user):
        return application_detail(db, user, access.application(db, user, application_id))


@router.put("/applications/{application_id}", summary="修改草稿或退回补正的申请")
def update_application(request: Request, application_id: int, body: ApplicationRequest) -> dict[str, Any]:
    with acting(request) as (db, user):
        return application_detail(db, user, service.update_application(db, user, application_id, body.profile, body.pledge))


@router.post("/applications/{application_id}/materials", summary="上传申报材料（PDF/PNG/JPG/XLSX，≤10 MB）", status_code=201)
async def upload_material(request: Request, application_id: int, kind: Annotated[str, Form(min_length=1, max_length=200, pattern=NO_NUL)],
                          file: Annotated[UploadFile, File(description="材料文件")]) -> dict[str, Any]:
    data = await file.read(uploads.MAX_BYTES + 1)
    with acting(request) as (db, user):
        return material_json(service.add_material(db, user, application_id, kind, file.filename or "", data))


@router.get("/materials/{material_id}", summary="下载材料", response_class=Response)
def download_material(request: Request, material_id: int) -> Response:
    with acting(request) as (db, user):
        material, data = service.material_file(db, user, material_id)
    return _download(data, material.content_type, material.stored_name)


@router.post("/applications/{application_id}/submit", summary="提交申请")
def submit(request: Request, application_id: int) -> dict[str, Any]:
    with acting(request) as (db, user):
        return application_json(service.submit(db, user, application_id))


@router.post("/applications/{application_id}/review/{action}", summary="审核：区级/市级 通过、退回补正、不予支持（后两者须填理由）")
def review(request: Request, application_id: int, action: Literal[service.REVIEW_ACTIONS], body: ReasonRequest) -> dict[str, Any]:  # type: ignore[valid-type]
    with acting(request) as (db, user):
        return application_json(service.review(db, user, application_id, action, body.reason))


@router.post("/applications/{application_id}/objections", summary="登记公示异议", status_code=201)
def objection(request: Request, application_id: int, body: ObjectionRequest) -> dict[str, Any]:
    with acting(request) as (db, user):
        return objection_json(service.record_objection(db, user, application_id, body.objector, body.content, body.received_on))


@router.post("/objections/{objection_id}/resolve", summary="处理异议：成立则取消补助")
def resolve(request: Request, objection_id: int, body: ResolveRequest) -> dict[str, Any]:
    with acting(request) as (db, user):
        return objection_json(service.resolve_objection(db, user, objection_id, body.upheld, body.note))


@router.post("/applications/{application_id}/clawback", summary="追回已拨付资金，可同时记录失信", status_code=201)
def clawback(request: Request, application_id: int, body: ClawbackRequest) -> dict[str, Any]:
    with acting(request) as (db, user):
        amount = to_fen(body.amount_yuan) if body.amount_yuan is not None else None
        entry = service.clawback(db, user, application_id, amount, body.reason, body.dishonest_until, body.basis)
        return {"id": entry.id, "amount_fen": entry.amount_fen, "amount_text": yuan_text(entry.amount_fen), "reason": entry.reason}


# ---------------------------------------------------------------- 免申即享 and audit


@router.get("/invitations", summary="我收到的免申即享通知")
def my_invitations(request: Request) -> list[dict[str, Any]]:
    with acting(request) as (db, user):
        return [invitation_json(i) for i in service.invitations_for(db, user)]


@router.post("/invitations/{invitation_id}/confirm", summary="确认享受（代替申报）")
def confirm(request: Request, invitation_id: int, body: ConfirmRequest) -> dict[str, Any]:
    with acting(request) as (db, user):
        return application_json(service.confirm_invitation(db, user, invitation_id, body.pledge))


@router.post("/invitations/{invitation_id}/decline", summary="放弃")
def decline(request: Request, invitation_id: int) -> dict[str, Any]:
    with acting(request) as (db, user):
        return invitation_json(service.decline_invitation(db, user, invitation_id))


@router.get("/audit", summary="审计日志（市级与审计）")
def audit(request: Request, entity: Annotated[str | None, Query(max_length=24, pattern=NO_NUL)] = None, entity_id: int | None = None,
          after_id: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[dict[str, Any]]:
    with acting(request) as (db, user):
        access.require_role(user, auth.CITY, auth.AUDITOR)
        query = select(AuditEntry).where(AuditEntry.id > after_id)
        if entity is not None:
            query = query.where(AuditEntry.entity == entity)
        if entity_id is not None:
            query = query.where(AuditEntry.entity_id == entity_id)
        return [audit_json(e) for e in db.scalars(query.order_by(AuditEntry.id).limit(limit))]


# ---------------------------------------------------------------- wiring


def error_response(request: Request, exc: Exception) -> Response:
    """AdminError, AuthError, AccountError and a missing schema as Chinese JSON (the pages render their own)."""
    if isinstance(exc, auth.AuthError):
        return JSONResponse({"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, Invalid | auth.AccountError):
        return JSONResponse({"detail": [{"loc": ["body", *exc.field.split(".")], "msg": str(exc), "type": "value_error"}]}, status_code=422)
    if isinstance(exc, AdminDatabaseMissing):
        return JSONResponse({"detail": str(exc)}, status_code=503)
    assert isinstance(exc, AdminError)
    return JSONResponse({"detail": str(exc)}, status_code=exc.status)


def install(app: FastAPI) -> None:
    """Mount the administration API and pages on the web app, with their error handlers."""
    from huiqi.web import admin_pages

    app.include_router(router)
    app.include_router(admin_pages.router)
    for kind in (AdminError, auth.AuthError, auth.AccountError, AdminDatabaseMissing, admin_pages.LoginRequired):
        app.add_exception_handler(kind, admin_pages.error_or_json(error_response))
