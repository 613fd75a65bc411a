"""The procedure of 津科规〔2021〕4号 第十条–第十九条 as use cases: publish a call, apply with facts,
materials and the credit pledge, review at district and city level, rank under the budget, publicise,
record objections, approve, pay, claw back and record 失信.

Every function takes an open transaction and the acting user, checks the role and the row-level
access, changes rows, and writes the audit log in the same transaction. Money operations lock the
call row first (SELECT … FOR UPDATE), then application rows, always in that order (no deadlocks).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huiqi.admin import access, assess, ranking, uploads
from huiqi.admin.auth import APPLICANT, CITY, DISTRICT, FINANCE, create_user
from huiqi.admin.db import utcnow
from huiqi.admin.errors import Conflict, Invalid, NotFound
from huiqi.admin.models import (Application, Call, Clawback, DishonestyRecord, Invitation, Material, Objection, Payment, PaymentBatch, User)
from huiqi.admin.money import yuan_text
from huiqi.admin.workflow import ALLOCATION_SOURCES, FUNDED, STATES, move, perform, record
from huiqi.rules.pack import load_pack

PLEDGE_TEXT = (
    "本单位（本人）承诺：如实填报研发经费、营业收入、综合经济贡献等数据，对所填数据和申报材料的真实性负责。"
    "如有弄虚作假、虚报数据、骗取补助资金的，自愿接受取消补助资格、全额退回已发放补助资金、纳入失信行为记录等处理，"
    "并依法承担相应责任。（依据：津科规〔2021〕4号 第十八条 企业信用承诺制度）"
)
REVIEW_ACTIONS = ("district_approve", "district_return", "district_reject", "city_approve", "city_return", "city_reject")
PENDING_REVIEW = ("submitted", "district_approved", "city_approved")


def today() -> date:
    return date.today()


# ---------------------------------------------------------------- accounts


def register_applicant(db: Session, username: str, password: str, display_name: str, subject: str, credit_code: str, district: str) -> User:
    user = create_user(db, username, password, APPLICANT, display_name, district=district, subject=subject, credit_code=credit_code)
    record(db, user, "user", user.id, "register", detail={"username": username, "role": APPLICANT})
    return user


# ---------------------------------------------------------------- calls


def create_call(db: Session, user: User, *, measure_id: str, title: str, opens_on: date, closes_on: date, as_of: date, budget_fen: int,
                materials: list[str], target_groups: list[str], ranking_rule: str, publicity_days: int, proactive: bool = False,
                extra_measure_ids: list[str] | None = None) -> Call:
    access.require_role(user, CITY)
    pack = load_pack()
    for field, ids in (("measure_id", [measure_id]), ("extra_measure_ids", extra_measure_ids or [])):
        unknown = [m for m in ids if m not in pack.measures]
        if unknown:
            raise Invalid(field, f"规则包中没有措施 {'、'.join(unknown)}")
    if ranking_rule not in ranking.RULES:
        raise Invalid("ranking_rule", f"分配规则应为 {'、'.join(ranking.RULES)}")
    if closes_on < opens_on:
        raise Invalid("closes_on", "截止日期不能早于开始日期")
    if budget_fen <= 0:
        raise Invalid("budget_yuan", "年度预算必须大于 0")
    call = Call(measure_id=measure_id, extra_measure_ids=list(extra_measure_ids or []), title=title, year=as_of.year, opens_on=opens_on,
                closes_on=closes_on, as_of=as_of, budget_fen=budget_fen, materials=list(materials), target_groups=list(target_groups),
                ranking_rule=ranking_rule, publicity_days=publicity_days, proactive=proactive, status="draft", created_by=user.id, created_at=utcnow())
    db.add(call)
    db.flush()
    record(db, user, "call", call.id, "create", None, "draft", detail={"measure_id": measure_id, "budget_fen": budget_fen, "ranking_rule": ranking_rule})
    return call


def publish_call(db: Session, user: User, call_id: int) -> Call:
    access.require_role(user, CITY)
    call = access.call(db, user, call_id, lock=True)
    if call.status != "open":
        record(db, user, "call", call.id, "publish", call.status, "open")
        call.status = "open"
    return call


def call_measures(call: Call) -> list[str]:
    return [call.measure_id, *call.extra_measure_ids]


def _require_window(call: Call) -> None:
    if call.status != "open":
        raise Conflict("申报通知尚未发布")
    if not call.opens_on <= today() <= call.closes_on:
        raise Conflict(f"不在申报期内（{call.opens_on.isoformat()} 至 {call.closes_on.isoformat()}）")


def _require_not_dishonest(db: Session, user: User) -> None:
    record_ = active_dishonesty(db, user)
    if record_ is not None:
        raise Conflict(f"已被列入失信行为记录（至 {record_.ends_on.isoformat()}），期间不得申报：{record_.reason}")


def active_dishonesty(db: Session, user: User) -> DishonestyRecord | None:
    who = [DishonestyRecord.applicant_id == user.id]
    if user.credit_code:
        who.append(DishonestyRecord.credit_code == user.credit_code)
    day = today()
    return db.scalar(select(DishonestyRecord).where(or_(*who), DishonestyRecord.starts_on <= day, DishonestyRecord.ends_on >= day).limit(1))


# ---------------------------------------------------------------- applying


def create_application(db: Session, user: User, call_id: int, key: str, profile_data: Any, pledge: bool) -> tuple[Application, bool]:
    """A draft application; the same idempotency key returns the same application (created=False)."""
    access.require_role(user, APPLICANT)
    existing = db.scalar(select(Application).where(Application.applicant_id == user.id, Application.idempotency_key == key))
    if existing is not None:
        return existing, False
    call = access.call(db, user, call_id)
    _require_window(call)
    _require_not_dishonest(db, user)
    if db.scalar(select(Application.id).where(Application.call_id == call.id, Application.applicant_id == user.id)) is not None:
        raise Conflict("您已申报过本通知，请在“我的申请”中查看或修改")
    app = Application(call_id=call.id, applicant_id=user.id, idempotency_key=key, status="draft", name=user.display_name, credit_code=user.credit_code,
                      district=user.district or "", created_at=utcnow())
    _set_profile(app, user, call, profile_data, pledge)
    try:
        with db.begin_nested():  # a concurrent retry with the same key loses here, and gets the winner's row
            db.add(app)
            db.flush()
    except IntegrityError:
        winner = db.scalar(select(Application).where(Application.applicant_id == user.id, Application.idempotency_key == key))
        if winner is None:
            raise Conflict("您已申报过本通知，请在“我的申请”中查看或修改") from None
        return winner, False
    record(db, user, "application", app.id, "create", None, "draft", detail={"call_id": call.id, "idempotency_key": key})
    return app, True


def update_application(db: Session, user: User, application_id: int, profile_data: Any, pledge: bool) -> Application:
    access.require_role(user, APPLICANT)
    app = access.application(db, user, application_id, lock=True)
    if app.status not in ("draft", "returned"):
        raise Conflict(f"申请当前状态为“{STATES[app.status]}”，不能修改")
    call = db.get(Call, app.call_id)
    assert call is not None
    _set_profile(app, user, call, profile_data, pledge)
    record(db, user, "application", app.id, "edit", app.status, app.status)
    return app


def _set_profile(app: Application, user: User, call: Call, profile_data: Any, pledge: bool) -> None:
    profile = assess.validate_profile(profile_data)
    measure = load_pack().measures[call.measure_id]
    if profile.subject != measure.spec.beneficiary or profile.subject != user.subject:
        raise Invalid("profile.subject", f"本通知的申报对象为 {measure.spec.beneficiary}，与档案主体或账号类型不符")
    district = profile.facts.get("district")
    if district is not None and district != user.district:
        raise Invalid("profile.facts.district", f"所在区应为注册所在区“{user.district}”（向注册地所在区申报）")
    result = assess.assess(call_measures(call), profile, call.as_of)
    app.profile = profile_data
    app.name = profile.name or user.display_name
    app.industry = profile.facts.get("industry")
    app.evaluation = result.result
    app.measure_id = result.measure_id
    app.requested_fen = result.requested_fen
    if pledge:
        app.pledge_text, app.pledged_at = PLEDGE_TEXT, utcnow()


def add_material(db: Session, user: User, application_id: int, kind: str, original_name: str, data: bytes) -> Material:
    access.require_role(user, APPLICANT)
    app = access.application(db, user, application_id, lock=True)
    if app.status not in ("draft", "returned"):
        raise Conflict("只有草稿或退回补正的申请可以上传材料")
    call = db.get(Call, app.call_id)
    assert call is not None
    if kind not in call.materials:
        raise Invalid("kind", "材料名称不在申报通知所列材料中")
    stored = uploads.save(original_name, data)
    material = Material(application_id=app.id, kind=kind, original_name=original_name.replace("\x00", "")[:200], stored_name=stored.stored_name, content_type=stored.content_type,
                        size=stored.size, sha256=stored.sha256, uploaded_by=user.id, uploaded_at=utcnow())
    db.add(material)
    db.flush()
    record(db, user, "application", app.id, "upload", app.status, app.status, detail={"material_id": material.id, "kind": kind, "sha256": stored.sha256, "size": stored.size})
    return material


def material_file(db: Session, user: User, material_id: int) -> tuple[Material, bytes]:
    material = db.get(Material, material_id)
    if material is None:
        raise NotFound(f"找不到材料 {material_id}")
    access.application(db, user, material.application_id)  # NotFound unless the application is visible
    return material, uploads.load(material.stored_name, material.sha256)


def submit(db: Session, user: User, application_id: int) -> Application:
    access.require_role(user, APPLICANT)
    app = access.application(db, user, application_id, lock=True)
    if app.status == "submitted":
        return app  # a retry
    call = db.get(Call, app.call_id)
    assert call is not None
    _require_window(call)
    _require_not_dishonest(db, user)
    _require_complete(db, app, call)
    perform(db, app, "submit", user, detail={"requested_fen": app.requested_fen})
    app.submitted_at = app.submitted_at or utcnow()
    return app


def _require_complete(db: Session, app: Application, call: Call) -> None:
    profile = assess.validate_profile(app.profile)
    result = assess.assess(call_measures(call), profile, call.as_of)  # the rules may have been corrected since the draft
    app.evaluation, app.measure_id, app.requested_fen = result.result, result.measure_id, result.requested_fen
    if result.problems:
        raise Invalid("profile", "；".join(result.problems))
    if call.ranking_rule == ranking.RD_POST_SUBSIDY:
        missing = assess.ranking_facts(profile.facts, call.year).missing()
        if missing:
            raise Invalid("profile", f"排序需要：{'、'.join(missing)}")
    if app.pledged_at is None:
        raise Invalid("pledge", "请先阅读并签署信用承诺")
    have = set(db.scalars(select(Material.kind).where(Material.application_id == app.id)))
    lacking = [m for m in call.materials if m not in have]
    if lacking:
        raise Invalid("materials", f"缺少材料：{'、'.join(lacking)}")


# ---------------------------------------------------------------- review


def review(db: Session, user: User, application_id: int, action: str, reason: str | None) -> Application:
    if action not in REVIEW_ACTIONS:
        raise Invalid("action", f"审核操作应为 {'、'.join(REVIEW_ACTIONS)}")
    access.require_role(user, DISTRICT if action.startswith("district") else CITY)
    app = access.application(db, user, application_id)
    call = _locked_call(db, app.call_id) if action == "city_approve" else None
    app = access.application(db, user, application_id, lock=True)
    changed = perform(db, app, action, user, reason)
    if changed and call is not None and call.ranking_rule == ranking.FIRST_COME:
        _allocate_first_come(db, user, call, app)
    return app


def _locked_call(db: Session, call_id: int) -> Call:
    call = db.scalar(access.locked(select(Call).where(Call.id == call_id)))
    if call is None:
        raise NotFound(f"找不到申报通知 {call_id}")
    return call


def committed_fen(db: Session, call_id: int) -> int:
    """The part of a call's budget held by funded applications (call row locked by the caller)."""
    total = db.scalar(select(func.coalesce(func.sum(Application.granted_fen), 0)).where(Application.call_id == call_id, Application.status.in_(FUNDED)))
    return int(total or 0)


def _allocate_first_come(db: Session, user: User, call: Call, app: Application) -> None:
    granted, note = ranking.fund_one(app.requested_fen or 0, call.budget_fen - committed_fen(db, call.id))
    _apply_allocation(db, user, app, ranking.Allocation(app.id, "queue", 0, granted, note=note))


def _apply_allocation(db: Session, user: User, app: Application, allocation: ranking.Allocation) -> None:
    target = "ranked" if allocation.granted_fen > 0 else "not_funded"
    detail = {"granted_fen": allocation.granted_fen, "pool": allocation.pool, "rank": allocation.rank,
              "score": str(allocation.score) if allocation.score is not None else None, **allocation.percentiles}
    app.granted_fen, app.pool, app.rank, app.score, app.ranking_note = allocation.granted_fen, allocation.pool, allocation.rank, allocation.score, allocation.note or None
    move(db, app, target, user, "allocate", allocation.note or None, detail)


def rank_call(db: Session, user: User, call_id: int) -> list[Application]:
    """第十三条 生成拟补助名单: (re)allocate the budget over every application the city has approved."""
    access.require_role(user, CITY)
    call = access.call(db, user, call_id, lock=True)
    if call.ranking_rule != ranking.RD_POST_SUBSIDY:
        raise Conflict("本通知按“先到先得”分配，市级审核通过时即已确定补助额，无需排序")
    if call.publicity_starts_on is not None:
        raise Conflict("拟补助名单已公示，不能重新排序")
    apps = list(db.scalars(access.locked(select(Application).where(Application.call_id == call.id, Application.status.in_(ALLOCATION_SOURCES)).order_by(Application.id))))
    pack = load_pack()
    candidates = [_candidate(app, pack, call.year) for app in apps]
    by_id = {app.id: app for app in apps}
    for allocation in ranking.allocate_rd_post_subsidy(candidates, call.budget_fen):
        _apply_allocation(db, user, by_id[allocation.application_id], allocation)
    record(db, user, "call", call.id, "rank", detail={"applications": len(apps), "committed_fen": sum(a.granted_fen or 0 for a in apps)})
    return apps


def _candidate(app: Application, pack: Any, year: int) -> ranking.Candidate:
    facts = pack.registry.validate(app.profile).facts
    rf = assess.ranking_facts(facts, year)
    assert app.requested_fen is not None and app.submitted_at is not None
    return ranking.Candidate(app.id, app.requested_fen, app.submitted_at, bool(rf.above_designated_size), rf.chuying_this_year,
                             rf.rd_intensity or 0, rf.contribution or 0)


def ranking_list(db: Session, user: User, call_id: int) -> list[Application]:
    call = access.call(db, user, call_id)
    query = access.applications_visible_to(user).where(Application.call_id == call.id, Application.pool.is_not(None))
    return list(db.scalars(query.order_by(Application.pool, Application.rank, Application.id)))


# ---------------------------------------------------------------- publicity and approval


def start_publicity(db: Session, user: User, call_id: int, starts_on: date) -> int:
    """第十四条: the list is published on the bureau's website on `starts_on`; huiqi records it."""
    access.require_role(user, CITY)
    call = access.call(db, user, call_id, lock=True)
    if call.publicity_starts_on is not None:
        return 0  # already publicised (a retry)
    if starts_on > today():
        raise Invalid("starts_on", "公示开始日期不能晚于今天")
    pending = db.scalar(select(func.count()).select_from(Application).where(Application.call_id == call.id, Application.status.in_(PENDING_REVIEW)))
    if pending:
        raise Conflict(f"还有 {pending} 份申请未完成审核或排序，不能公示")
    apps = list(db.scalars(access.locked(select(Application).where(Application.call_id == call.id, Application.status == "ranked"))))
    if not apps:
        raise Conflict("没有拟补助的申请，请先排序")
    for app in apps:
        perform(db, app, "publicise", user)
    call.publicity_starts_on = starts_on
    record(db, user, "call", call.id, "publicise", detail={"starts_on": starts_on.isoformat(), "days": call.publicity_days, "applications": len(apps)})
    return len(apps)


def publicity_ends_on(call: Call) -> date | None:
    return call.publicity_starts_on + timedelta(days=call.publicity_days) if call.publicity_starts_on else None


def record_objection(db: Session, user: User, application_id: int, objector: str, content: str, received_on: date) -> Objection:
    access.require_role(user, CITY)
    app = access.application(db, user, application_id, lock=True)
    if app.status != "publicity":
        raise Conflict("只有公示中的申请可以登记异议")
    objection = Objection(application_id=app.id, objector=objector, content=content, received_on=received_on, recorded_by=user.id, created_at=utcnow())
    db.add(objection)
    db.flush()
    record(db, user, "application", app.id, "objection", app.status, app.status, content, {"objection_id": objection.id, "objector": objector})
    return objection


def resolve_objection(db: Session, user: User, objection_id: int, upheld: bool, note: str) -> Objection:
    access.require_role(user, CITY)
    objection = db.get(Objection, objection_id)
    if objection is None:
        raise NotFound(f"找不到异议 {objection_id}")
    app = access.application(db, user, objection.application_id, lock=True)
    if objection.resolution is not None:
        return objection
    if not note.strip():
        raise Invalid("note", "处理意见必须填写")
    objection.resolution, objection.resolution_note = ("upheld" if upheld else "dismissed"), note
    if upheld:
        perform(db, app, "uphold_objection", user, note, {"objection_id": objection.id})
    else:
        record(db, user, "application", app.id, "dismiss_objection", app.status, app.status, note, {"objection_id": objection.id})
    return objection


def approve_call(db: Session, user: User, call_id: int) -> int:
    """第十五条 批复立项: after the publicity period, with every objection decided."""
    access.require_role(user, CITY)
    call = access.call(db, user, call_id, lock=True)
    ends = publicity_ends_on(call)
    if ends is None:
        raise Conflict("尚未公示")
    if today() < ends:
        raise Conflict(f"公示期至 {ends.isoformat()}，期满后才能批复")
    open_objections = db.scalar(select(func.count()).select_from(Objection).join(Application, Objection.application_id == Application.id)
                                .where(Application.call_id == call.id, Objection.resolution.is_(None)))
    if open_objections:
        raise Conflict(f"还有 {open_objections} 条异议未处理")
    apps = list(db.scalars(access.locked(select(Application).where(Application.call_id == call.id, Application.status == "publicity"))))
    for app in apps:
        perform(db, app, "approve", user)
    if apps:
        record(db, user, "call", call.id, "approve", detail={"applications": len(apps)})
    return len(apps)


# ---------------------------------------------------------------- payment and clawback


def pay_call(db: Session, user: User, call_id: int, reference: str) -> PaymentBatch:
    """第十六条 资金拨付: one batch with every approved application of the call."""
    access.require_role(user, FINANCE)
    call = access.call(db, user, call_id, lock=True)
    apps = list(db.scalars(access.locked(select(Application).where(Application.call_id == call.id, Application.status == "approved").order_by(Application.id))))
    if not apps:
        raise Conflict("没有待拨付的申请")
    already = int(db.scalar(select(func.coalesce(func.sum(Payment.amount_fen), 0)).join(PaymentBatch).where(PaymentBatch.call_id == call.id)) or 0)
    total = sum(app.granted_fen or 0 for app in apps)
    if already + total > call.budget_fen:  # cannot happen when allocation is right; the last line of defence
        raise Conflict(f"拨付合计 {yuan_text(already + total)} 将超过预算 {yuan_text(call.budget_fen)}")
    batch = PaymentBatch(call_id=call.id, reference=reference, total_fen=total, created_by=user.id, created_at=utcnow())
    db.add(batch)
    db.flush()
    now = utcnow()
    for app in apps:
        db.add(Payment(batch_id=batch.id, application_id=app.id, amount_fen=app.granted_fen or 0))
        perform(db, app, "pay", user, detail={"batch_id": batch.id, "amount_fen": app.granted_fen})
        app.paid_at = now
    record(db, user, "payment_batch", batch.id, "create", detail={"call_id": call.id, "total_fen": total, "reference": reference})
    return batch


def clawback(db: Session, user: User, application_id: int, amount_fen: int | None, reason: str,
             dishonest_until: date | None = None, basis: str | None = None) -> Clawback:
    """第十八条: recover paid money (in full unless an amount is given) and, for fraud, record 失信."""
    access.require_role(user, CITY, FINANCE)
    app = access.application(db, user, application_id)
    _locked_call(db, app.call_id)
    app = access.application(db, user, application_id, lock=True)
    paid = db.scalar(select(Payment.amount_fen).where(Payment.application_id == app.id))
    if paid is None or app.status != "paid":
        raise Conflict("只有已拨付的申请可以追回")
    amount = paid if amount_fen is None else amount_fen
    if not 0 < amount <= paid:
        raise Invalid("amount_yuan", f"追回金额应大于 0 且不超过已拨付金额 {yuan_text(paid)}")
    if dishonest_until is not None and (dishonest_until <= today() or not (basis or "").strip()):
        raise Invalid("dishonest_until" if dishonest_until <= today() else "basis", "失信记录须填写晚于今天的截止日期和所依据的规定")
    entry = Clawback(application_id=app.id, amount_fen=amount, reason=reason, recorded_by=user.id, created_at=utcnow())
    db.add(entry)
    db.flush()
    perform(db, app, "clawback", user, reason, {"clawback_id": entry.id, "amount_fen": amount})
    if dishonest_until is not None:
        _record_dishonesty(db, user, app, reason, basis or "", dishonest_until)
    return entry


def _record_dishonesty(db: Session, user: User, app: Application, reason: str, basis: str, until: date) -> None:
    entry = DishonestyRecord(applicant_id=app.applicant_id, credit_code=app.credit_code, application_id=app.id, reason=reason, basis=basis,
                             starts_on=today(), ends_on=until, recorded_by=user.id, created_at=utcnow())
    db.add(entry)
    db.flush()
    record(db, user, "dishonesty", entry.id, "record", reason=reason, detail={"application_id": app.id, "ends_on": until.isoformat(), "basis": basis})


# ---------------------------------------------------------------- 免申即享


def load_push_list(db: Session, user: User, call_id: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Notify every eligible enterprise of a push list; the others are reported with the reason."""
    access.require_role(user, CITY)
    call = access.call(db, user, call_id, lock=True)
    if not call.proactive:
        raise Conflict("本通知不是免申即享通知")
    known = set(db.scalars(select(Invitation.credit_code).where(Invitation.call_id == call.id)))
    notified, skipped = 0, []
    for row in rows:
        profile = assess.validate_profile(row["profile"])
        result = assess.assess(call_measures(call), profile, call.as_of)
        if row["enterprise_id"] in known or result.problems:
            skipped.append({"enterprise_id": row["enterprise_id"], "reason": "已在名单中" if row["enterprise_id"] in known else "；".join(result.problems)})
            continue
        db.add(Invitation(call_id=call.id, credit_code=row["enterprise_id"], name=row["name"], profile=row["profile"], amount_fen=result.requested_fen,
                          status="notified", created_at=utcnow()))
        known.add(row["enterprise_id"])
        notified += 1
    record(db, user, "call", call.id, "push_list", detail={"notified": notified, "skipped": len(skipped)})
    return {"notified": notified, "skipped": skipped}


def invitations_for(db: Session, user: User) -> list[Invitation]:
    if user.role != APPLICANT or not user.credit_code:
        return []
    return list(db.scalars(select(Invitation).join(Call).where(Invitation.credit_code == user.credit_code, Call.status == "open").order_by(Invitation.id)))


def confirm_invitation(db: Session, user: User, invitation_id: int, pledge: bool) -> Application:
    """The enterprise confirms instead of applying: its application is created already submitted."""
    access.require_role(user, APPLICANT)
    invitation = db.scalar(access.locked(select(Invitation).where(Invitation.id == invitation_id, Invitation.credit_code == user.credit_code)))
    if invitation is None or not user.credit_code:
        raise NotFound(f"找不到通知 {invitation_id}")
    if invitation.application_id is not None:
        app = db.get(Application, invitation.application_id)
        assert app is not None
        return app
    if not pledge:
        raise Invalid("pledge", "确认享受前请先签署信用承诺")
    app, _ = create_application(db, user, invitation.call_id, f"invitation-{invitation.id}", invitation.profile, pledge=True)
    call = db.get(Call, invitation.call_id)
    assert call is not None
    _require_complete(db, app, call)
    perform(db, app, "submit", user, detail={"invitation_id": invitation.id, "requested_fen": app.requested_fen})
    app.submitted_at = utcnow()
    invitation.status, invitation.application_id = "confirmed", app.id
    return app


def decline_invitation(db: Session, user: User, invitation_id: int) -> Invitation:
    access.require_role(user, APPLICANT)
    invitation = db.scalar(access.locked(select(Invitation).where(Invitation.id == invitation_id, Invitation.credit_code == user.credit_code)))
    if invitation is None or not user.credit_code:
        raise NotFound(f"找不到通知 {invitation_id}")
    if invitation.status == "notified":
        invitation.status = "declined"
        record(db, user, "call", invitation.call_id, "decline_invitation", detail={"invitation_id": invitation.id})
    return invitation
