"""The administration web pages under /admin, in Chinese, for applicants and officers.

Server-rendered forms over the same service layer as the API. The session is an HttpOnly,
SameSite=Strict cookie holding the bearer token; every POST also carries a CSRF token derived from
the session. After a POST the browser is redirected (303) back with a message, so a reload never
repeats an action; the application form carries an idempotency key made when the form was drawn.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from huiqi.admin import access, auth, charts, dashboard, forms, pushlist, service
from huiqi.admin.db import require_schema, transaction
from huiqi.admin.errors import AdminError, Forbidden, Invalid
from huiqi.admin.models import Application, Call, Invitation, PaymentBatch, User
from huiqi.admin.money import to_fen, yuan_text
from huiqi.admin.ranking import POOL_WORDS, RULES
from huiqi.admin.workflow import ACTION_WORDS, ACTIONS, STATES
from huiqi.calculator.evaluate import STATUS_WORDS
from huiqi.rules.pack import load_pack
from huiqi.web.admin_api import COOKIE, application_detail

router = APIRouter(prefix="/admin", include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(ROLES=auth.ROLES, STATES=STATES, ACTION_WORDS=ACTION_WORDS, POOL_WORDS=POOL_WORDS, RULES=RULES, STATUS_WORDS=STATUS_WORDS, yuan=yuan_text)
REVIEW_LABELS = {"district_approve": "初审通过", "district_return": "退回补正", "district_reject": "不予推荐",
                 "city_approve": "审核通过", "city_return": "退回补正", "city_reject": "不予支持"}


class LoginRequired(Exception):
    pass


# ---------------------------------------------------------------- plumbing


@contextmanager
def page_session(request: Request) -> Iterator[tuple[Session, User]]:
    require_schema()
    token = request.cookies.get(COOKIE)
    if not token:
        raise LoginRequired
    with transaction() as db:
        try:
            user = auth.user_for_token(db, token)
        except auth.AuthError:
            raise LoginRequired from None
        yield db, user


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    token = request.cookies.get(COOKIE) or ""
    base = {"csrf": auth.csrf_token(token) if token else "", "msg": request.query_params.get("msg"), "err": request.query_params.get("err")}
    return templates.TemplateResponse(request, f"admin/{name}", {**base, **context}, status_code=status)


def back(url: str, *, msg: str | None = None, err: str | None = None) -> RedirectResponse:
    note = f"?msg={quote(msg)}" if msg else f"?err={quote(err)}" if err else ""
    return RedirectResponse(url + note, status_code=303)


async def posted(request: Request) -> FormData:
    """The form of a POST, refused unless it carries this session's CSRF token."""
    form = await request.form()
    token = request.cookies.get(COOKIE) or ""
    if not token or not secrets.compare_digest(str(form.get("csrf") or ""), auth.csrf_token(token)):
        raise Forbidden("页面已过期，请刷新后重试")
    return form


async def act(request: Request, where: str, done: str, action: Callable[[Session, User, FormData], Any]) -> RedirectResponse:
    """Run a form action; errors come back to `where` as a message, success goes to the returned URL or `where`."""
    try:
        form = await posted(request)
        with page_session(request) as (db, user):
            result = action(db, user, form)
    except (AdminError, auth.AccountError) as exc:
        return back(where, err=str(exc))
    return back(result if isinstance(result, str) else where, msg=done)


def error_or_json(api_handler: Callable[[Request, Exception], Response]) -> Callable[[Request, Exception], Any]:
    async def handle(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/admin"):
            return api_handler(request, exc)
        if isinstance(exc, auth.AuthError | LoginRequired):
            return RedirectResponse("/admin/login", status_code=303)
        status = exc.status if isinstance(exc, AdminError) else 503 if not isinstance(exc, auth.AccountError) else 422
        return render(request, "message.html", {"title": "无法完成", "message": str(exc), "user": None}, status)

    return handle


def _text(form: FormData, name: str, label: str, required: bool = True, limit: int = 2000) -> str:
    value = str(form.get(name) or "").strip()
    if required and not value:
        raise Invalid(name, f"请填写{label}")
    if len(value) > limit:
        raise Invalid(name, f"{label}过长（最多 {limit} 字）")
    if "\x00" in value:
        raise Invalid(name, f"{label}含有不允许的控制字符")
    return value


def _day(form: FormData, name: str, label: str) -> date:
    try:
        return date.fromisoformat(_text(form, name, label))
    except ValueError:
        raise Invalid(name, f"{label}应为日期（YYYY-MM-DD）") from None


def _yuan(form: FormData, name: str, label: str, required: bool = True) -> int | None:
    raw = _text(form, name, label, required).replace(",", "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Invalid(name, f"{label}应为金额（元）") from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise Invalid(name, f"{label}应为大于 0、最多两位小数的金额（元）")
    return to_fen(value)


# ---------------------------------------------------------------- login


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", {"user": None})


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    require_schema()
    try:
        with transaction() as db:
            token = auth.login(db, str(form.get("username") or ""), str(form.get("password") or ""))
    except auth.AuthError as exc:
        return back("/admin/login", err=str(exc))
    response = RedirectResponse("/admin", status_code=303)
    response.set_cookie(COOKIE, token, max_age=int(auth.session_hours() * 3600), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await posted(request)
    with page_session(request) as (db, _user):
        auth.logout(db, request.cookies.get(COOKIE) or "")
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request) -> HTMLResponse:
    return render(request, "register.html", {"user": None})


@router.post("/register")
async def register(request: Request) -> Response:
    form = await request.form()
    require_schema()
    try:
        code = _text(form, "credit_code", "统一社会信用代码", limit=40)
        with transaction() as db:
            service.register_applicant(db, _text(form, "username", "用户名", limit=64), str(form.get("password") or ""), _text(form, "display_name", "名称", limit=120),
                                       _text(form, "subject", "类型"), code, _text(form, "district", "所在区", limit=40))
    except (AdminError, auth.AccountError) as exc:
        return back("/admin/register", err=str(exc))
    return back("/admin/login", msg="注册成功，请登录")


# ---------------------------------------------------------------- home


@router.get("", response_class=HTMLResponse)
def home(request: Request) -> Response:
    with page_session(request) as (db, user):
        calls = list(db.scalars(access.calls_visible_to(user).order_by(Call.id.desc())))
        apps = list(db.scalars(access.applications_visible_to(user).order_by(Application.id.desc()).limit(200)))
        invitations = service.invitations_for(db, user)
        blocked = service.active_dishonesty(db, user) if user.role == auth.APPLICANT else None
        return render(request, "home.html", {"user": user, "calls": calls, "apps": apps, "invitations": invitations, "blocked": blocked})


# ---------------------------------------------------------------- calls


@router.get("/calls/new", response_class=HTMLResponse)
def new_call(request: Request) -> Response:
    with page_session(request) as (_db, user):
        access.require_role(user, auth.CITY)
        measures = sorted((m.id, m.spec.title) for m in load_pack().measures.values())
        return render(request, "call_form.html", {"user": user, "measures": measures, "today": date.today().isoformat()})


@router.post("/calls")
async def create_call(request: Request) -> Response:
    def action(db: Session, user: User, form: FormData) -> str:
        lines = lambda name: [line.strip() for line in str(form.get(name) or "").splitlines() if line.strip()]  # noqa: E731
        days = _text(form, "publicity_days", "公示天数")
        if not days.isdigit() or not 1 <= int(days) <= 30:
            raise Invalid("publicity_days", "公示天数应为 1 至 30")
        call = service.create_call(
            db, user, measure_id=_text(form, "measure_id", "措施"), extra_measure_ids=lines("extra_measure_ids"), title=_text(form, "title", "标题", limit=200),
            opens_on=_day(form, "opens_on", "开始日期"), closes_on=_day(form, "closes_on", "截止日期"), as_of=_day(form, "as_of", "政策适用日期"),
            budget_fen=_yuan(form, "budget_yuan", "年度预算") or 0, materials=lines("materials"), target_groups=lines("target_groups"),
            ranking_rule=_text(form, "ranking_rule", "分配规则"), publicity_days=int(days), proactive=form.get("proactive") == "on")
        return f"/admin/calls/{call.id}"

    return await act(request, "/admin/calls/new", "申报通知已保存（草稿），发布后企业可见", action)


@router.get("/calls/{call_id}", response_class=HTMLResponse)
def call_page(request: Request, call_id: int) -> Response:
    with page_session(request) as (db, user):
        call = access.call(db, user, call_id)
        apps = list(db.scalars(access.applications_visible_to(user).where(Application.call_id == call.id).order_by(Application.pool, Application.rank, Application.id)))
        batches = list(db.scalars(select(PaymentBatch).where(PaymentBatch.call_id == call.id))) if user.role in (auth.CITY, auth.FINANCE, auth.AUDITOR) else []
        invitations = list(db.scalars(select(Invitation).where(Invitation.call_id == call.id))) if user.role in (auth.CITY, auth.AUDITOR) else []
        measure = load_pack().measures.get(call.measure_id)
        return render(request, "call.html", {"user": user, "call": call, "apps": apps, "batches": batches, "invitations": invitations, "measure": measure,
                                             "ends_on": service.publicity_ends_on(call), "today": date.today().isoformat()})


@router.get("/calls/{call_id}/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, call_id: int) -> Response:
    with page_session(request) as (db, user):
        figures = dashboard.for_call(db, user, call_id)
        return render(request, "dashboard.html", {"user": user, "call_id": call_id, "f": figures, "charts": charts.for_figures(figures)})


@router.get("/measures/{measure_id}/dashboard", response_class=HTMLResponse)
def measure_dashboard_page(request: Request, measure_id: str) -> Response:
    with page_session(request) as (db, user):
        figures = dashboard.for_measure(db, user, measure_id)
        return render(request, "dashboard.html", {"user": user, "call_id": None, "f": figures, "charts": charts.for_figures(figures)})


# ---------------------------------------------------------------- applying


@router.get("/calls/{call_id}/apply", response_class=HTMLResponse)
def apply_page(request: Request, call_id: int) -> Response:
    with page_session(request) as (db, user):
        access.require_role(user, auth.APPLICANT)
        call = access.call(db, user, call_id)
        existing = db.scalar(select(Application).where(Application.call_id == call.id, Application.applicant_id == user.id))
        fields = forms.fields_for(service.call_measures(call), call.as_of, call.ranking_rule == "rd_post_subsidy")
        values = forms.form_values(existing.profile) if existing else {"facts.district": user.district or ""}
        return render(request, "apply.html", {"user": user, "call": call, "fields": fields, "values": values, "app": existing,
                                              "key": secrets.token_urlsafe(16), "pledge_text": service.PLEDGE_TEXT})


@router.post("/calls/{call_id}/apply")
async def apply(request: Request, call_id: int) -> Response:
    def action(db: Session, user: User, form: FormData) -> str:
        access.require_role(user, auth.APPLICANT)
        call = access.call(db, user, call_id)
        fields = forms.fields_for(service.call_measures(call), call.as_of, call.ranking_rule == "rd_post_subsidy")
        profile = forms.profile_from_form({k: str(v) for k, v in form.items()}, fields, user.subject or "enterprise", user.display_name)
        pledge = form.get("pledge") == "on"
        existing = db.scalar(select(Application).where(Application.call_id == call.id, Application.applicant_id == user.id))
        if existing is not None and existing.status in ("draft", "returned"):
            app = service.update_application(db, user, existing.id, profile, pledge)
        else:
            app, _ = service.create_application(db, user, call.id, _text(form, "key", "表单编号", limit=80), profile, pledge)
        return f"/admin/applications/{app.id}"

    return await act(request, f"/admin/calls/{call_id}/apply", "已保存。请核对计算结果、上传材料后提交", action)


@router.get("/applications/{application_id}", response_class=HTMLResponse)
def application_page(request: Request, application_id: int) -> Response:
    with page_session(request) as (db, user):
        app = access.application(db, user, application_id)
        call = db.get(Call, app.call_id)
        assert call is not None
        actions = [(name, label) for name, label in REVIEW_LABELS.items() if _may_review(user, app, name)]
        return render(request, "application.html", {"user": user, "app": app, "call": call, "d": application_detail(db, user, app), "actions": actions,
                                                    "today": date.today().isoformat()})


def _may_review(user: User, app: Application, action: str) -> bool:
    return user.role in ACTIONS[action].roles and app.status in ACTIONS[action].sources


@router.post("/applications/{application_id}/{operation}")
async def application_operation(request: Request, application_id: int, operation: str) -> Response:
    operations: dict[str, tuple[str, Callable[[Session, User, FormData], Any]]] = {
        "submit": ("已提交，等待区级初审", lambda db, user, form: service.submit(db, user, application_id)),
        "review": ("已处理", lambda db, user, form: service.review(db, user, application_id, _text(form, "action", "操作"), _text(form, "reason", "理由", required=False))),
        "materials": ("材料已上传", lambda db, user, form: _material(db, user, application_id, form)),
        "objections": ("异议已登记", lambda db, user, form: service.record_objection(
            db, user, application_id, _text(form, "objector", "异议人", limit=200), _text(form, "content", "异议内容", limit=4000), _day(form, "received_on", "收到日期"))),
        "clawback": ("已追回", lambda db, user, form: _clawback(db, user, application_id, form)),
    }
    if operation not in operations:
        return render(request, "message.html", {"title": "找不到该页面", "message": "找不到该操作", "user": None}, 404)
    done, action = operations[operation]
    return await act(request, f"/admin/applications/{application_id}", done, action)


def _material(db: Session, user: User, application_id: int, form: FormData) -> None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Invalid("file", "请选择要上传的文件")
    service.add_material(db, user, application_id, _text(form, "kind", "材料名称", limit=200), upload.filename, upload.file.read(service.uploads.MAX_BYTES + 1))


def _clawback(db: Session, user: User, application_id: int, form: FormData) -> None:
    until = _day(form, "dishonest_until", "失信截止日期") if form.get("dishonest_until") else None
    service.clawback(db, user, application_id, _yuan(form, "amount_yuan", "追回金额", required=False), _text(form, "reason", "追回理由"), until,
                     _text(form, "basis", "依据", required=until is not None, limit=500) or None)


@router.post("/objections/{objection_id}/resolve")
async def resolve_objection(request: Request, objection_id: int) -> Response:
    def action(db: Session, user: User, form: FormData) -> str:
        objection = service.resolve_objection(db, user, objection_id, form.get("upheld") == "yes", _text(form, "note", "处理意见"))
        return f"/admin/applications/{objection.application_id}"

    return await act(request, "/admin", "异议已处理", action)


@router.post("/invitations/{invitation_id}/{operation}")
async def invitation_operation(request: Request, invitation_id: int, operation: str) -> Response:
    if operation not in ("confirm", "decline"):
        return render(request, "message.html", {"title": "找不到该页面", "message": "找不到该操作", "user": None}, 404)

    def action(db: Session, user: User, form: FormData) -> str | None:
        if operation == "confirm":
            return f"/admin/applications/{service.confirm_invitation(db, user, invitation_id, form.get('pledge') == 'on').id}"
        service.decline_invitation(db, user, invitation_id)
        return None

    return await act(request, "/admin", "已确认享受，申请已提交" if operation == "confirm" else "已放弃", action)


# the generic call operations come last: FastAPI matches routes in order, and /calls/{id}/apply is more specific
@router.post("/calls/{call_id}/{operation}")
async def call_operation(request: Request, call_id: int, operation: str) -> Response:
    operations: dict[str, tuple[str, Callable[[Session, User, FormData], Any]]] = {
        "publish": ("已发布", lambda db, user, form: service.publish_call(db, user, call_id)),
        "rank": ("已排序，生成拟补助名单", lambda db, user, form: service.rank_call(db, user, call_id)),
        "publicity": ("已登记公示", lambda db, user, form: service.start_publicity(db, user, call_id, _day(form, "starts_on", "公示开始日期"))),
        "approve": ("已批复立项", lambda db, user, form: service.approve_call(db, user, call_id)),
        "pay": ("已生成拨付批次", lambda db, user, form: service.pay_call(db, user, call_id, _text(form, "reference", "资金计划文号", limit=200))),
        "push-list": ("推送名单已导入，符合条件的企业已收到通知", lambda db, user, form: _push_list(db, user, call_id, form)),
    }
    if operation not in operations:
        return render(request, "message.html", {"title": "找不到该页面", "message": "找不到该操作", "user": None}, 404)
    done, action = operations[operation]
    return await act(request, f"/admin/calls/{call_id}", done, action)


def _push_list(db: Session, user: User, call_id: int, form: FormData) -> None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid("file", "请选择推送名单文件")
    rows = pushlist.parse(upload.filename or "", upload.file.read())
    service.load_push_list(db, user, call_id, rows)
