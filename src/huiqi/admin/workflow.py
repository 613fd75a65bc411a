"""The review state machine of an application and the append-only audit log.

    draft ─submit→ submitted ─district_approve→ district_approved ─city_approve→ city_approved
      ↑               │  └─district_return→ returned ─submit→ submitted           │ allocate (ranking or queue)
      └───────────────┘                                                           ↓
    ranked / not_funded ─publicise→ publicity ─approve→ approved ─pay→ paid ─clawback→ clawed_back
    rejected: from any review state, and from publicity when an objection is upheld (reason required)

Every change of state writes one audit row in the same transaction as the change, so the log is
complete by construction: a state without its audit row cannot be committed. A retried request that
asks for the state the application is already in changes nothing and writes nothing (idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from huiqi.admin.auth import APPLICANT, CITY, DISTRICT, FINANCE
from huiqi.admin.db import utcnow
from huiqi.admin.errors import Conflict, Forbidden, Invalid
from huiqi.admin.models import Application, AuditEntry, User

STATES = {
    "draft": "草稿",
    "submitted": "已提交，待区级初审",
    "returned": "退回补正",
    "district_approved": "区级初审通过，待市级审核",
    "city_approved": "市级审核通过，待排序",
    "ranked": "拟补助",
    "not_funded": "预算不足，未获补助",
    "publicity": "公示中",
    "approved": "已批复立项",
    "paid": "已拨付",
    "clawed_back": "已追回",
    "rejected": "不予支持",
}
FUNDED = ("ranked", "publicity", "approved", "paid", "clawed_back")  # states holding a share of the budget
REVIEWABLE = ("submitted", "district_approved", "city_approved", "ranked", "not_funded")


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    reason_required: bool = False


ACTIONS = {a.name: a for a in (
    Action("submit", "提交申请", ("draft", "returned"), "submitted", (APPLICANT,)),
    Action("district_approve", "区级初审通过", ("submitted",), "district_approved", (DISTRICT,)),
    Action("district_return", "退回补正", ("submitted",), "returned", (DISTRICT,), reason_required=True),
    Action("district_reject", "不予推荐", ("submitted",), "rejected", (DISTRICT,), reason_required=True),
    Action("city_approve", "市级审核通过", ("district_approved",), "city_approved", (CITY,)),
    Action("city_return", "退回补正", ("district_approved",), "returned", (CITY,), reason_required=True),
    Action("city_reject", "不予支持", ("district_approved", "city_approved", "ranked", "not_funded"), "rejected", (CITY,), reason_required=True),
    Action("publicise", "进入公示", ("ranked",), "publicity", (CITY,)),
    Action("uphold_objection", "异议成立，取消补助", ("publicity",), "rejected", (CITY,), reason_required=True),
    Action("approve", "批复立项", ("publicity",), "approved", (CITY,)),
    Action("pay", "拨付", ("approved",), "paid", (FINANCE,)),
    Action("clawback", "追回", ("paid",), "clawed_back", (CITY, FINANCE), reason_required=True),
)}
ALLOCATION_SOURCES = ("city_approved", "ranked", "not_funded")
ACTION_WORDS = {name: a.label for name, a in ACTIONS.items()} | {
    "create": "新建申请", "edit": "修改申请", "upload": "上传材料", "allocate": "分配补助额", "objection": "登记异议", "dismiss_objection": "异议不成立",
}


def perform(db: Session, app: Application, name: str, actor: User, reason: str | None = None, detail: dict[str, Any] | None = None) -> bool:
    """Apply a named action; False when the application is already where the action leads (a retry)."""
    action = ACTIONS[name]
    if actor.role not in action.roles:
        raise Forbidden(f"当前角色无权执行“{action.label}”")
    if app.status == action.target:
        return False
    if app.status not in action.sources:
        raise Conflict(f"申请当前状态为“{STATES[app.status]}”，不能{action.label}")
    if action.reason_required and not (reason or "").strip():
        raise Invalid("reason", f"{action.label}必须填写理由")
    move(db, app, action.target, actor, name, reason, detail)
    return True


def move(db: Session, app: Application, target: str, actor: User, action: str, reason: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Change state and log it; callers have checked that the change is allowed."""
    record(db, actor, "application", app.id, action, app.status, target, reason, detail)
    app.status = target


def record(db: Session, actor: User | None, entity: str, entity_id: int, action: str, from_status: str | None = None,
           to_status: str | None = None, reason: str | None = None, detail: dict[str, Any] | None = None) -> None:
    db.add(AuditEntry(
        at=utcnow(), actor_id=actor.id if actor else None, actor_role=actor.role if actor else "system", entity=entity,
        entity_id=entity_id, action=action, from_status=from_status, to_status=to_status, reason=reason, detail=detail or {},
    ))
