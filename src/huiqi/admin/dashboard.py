"""绩效管理 (津科规〔2021〕4号 第十九条): the figures of a call, or of every call of a measure.

Budget used and left, amounts by district and industry, days from submission to payment, rejections
and clawbacks. Only the applications the user may see are counted (a district reviewer gets its
district's figures); budgets are the calls' own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from statistics import mean, median
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi.admin import access
from huiqi.admin.auth import AUDITOR, CITY, DISTRICT, FINANCE
from huiqi.admin.errors import NotFound
from huiqi.admin.models import Application, AuditEntry, Call, Clawback, Payment
from huiqi.admin.workflow import FUNDED

REJECTIONS = {"district_reject": "区级不予推荐", "city_reject": "市级不予支持", "uphold_objection": "公示异议成立"}


@dataclass
class Figures:
    title: str
    calls: list[dict[str, Any]]
    budget_fen: int = 0
    committed_fen: int = 0
    paid_fen: int = 0
    clawed_back_fen: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_district: dict[str, int] = field(default_factory=dict)  # committed fen
    by_industry: dict[str, int] = field(default_factory=dict)
    days_to_payment: list[float] = field(default_factory=list)
    rejections: dict[str, int] = field(default_factory=dict)
    clawbacks: int = 0

    @property
    def left_fen(self) -> int:
        return self.budget_fen - self.committed_fen

    def days_summary(self) -> dict[str, float | None]:
        values = self.days_to_payment
        return {"count": len(values), "median": round(median(values), 1) if values else None, "mean": round(mean(values), 1) if values else None,
                "max": round(max(values), 1) if values else None}

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title, "calls": self.calls, "budget_fen": self.budget_fen, "committed_fen": self.committed_fen, "left_fen": self.left_fen,
            "paid_fen": self.paid_fen, "clawed_back_fen": self.clawed_back_fen, "by_status": self.by_status, "by_district_fen": self.by_district,
            "by_industry_fen": self.by_industry, "days_to_payment": self.days_summary(), "rejections": self.rejections, "clawbacks": self.clawbacks,
        }


def for_call(db: Session, user: Any, call_id: int) -> Figures:
    access.require_role(user, CITY, FINANCE, AUDITOR, DISTRICT)
    call = access.call(db, user, call_id)
    return _figures(db, user, call.title, [call])


def for_measure(db: Session, user: Any, measure_id: str) -> Figures:
    access.require_role(user, CITY, FINANCE, AUDITOR, DISTRICT)
    calls = list(db.scalars(access.calls_visible_to(user).where(Call.measure_id == measure_id).order_by(Call.id)))
    if not calls:
        raise NotFound(f"措施 {measure_id} 没有申报通知")
    return _figures(db, user, f"措施 {measure_id}", calls)


def _figures(db: Session, user: Any, title: str, calls: list[Call]) -> Figures:
    ids = [c.id for c in calls]
    figures = Figures(title, [{"id": c.id, "title": c.title, "year": c.year} for c in calls], budget_fen=sum(c.budget_fen for c in calls))
    apps = list(db.scalars(access.applications_visible_to(user).where(Application.call_id.in_(ids))))
    visible = [a.id for a in apps]
    by_district: dict[str, int] = defaultdict(int)
    by_industry: dict[str, int] = defaultdict(int)
    for app in apps:
        if app.status in FUNDED:
            figures.committed_fen += app.granted_fen or 0
            by_district[app.district] += app.granted_fen or 0
            by_industry[app.industry or "未填"] += app.granted_fen or 0
        if app.paid_at and app.submitted_at:
            figures.days_to_payment.append((app.paid_at - app.submitted_at).total_seconds() / 86400)
    figures.by_status = dict(Counter(a.status for a in apps))
    figures.by_district, figures.by_industry = dict(by_district), dict(by_industry)
    figures.paid_fen = int(db.scalar(select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(Payment.application_id.in_(visible))) or 0)
    clawed = db.execute(select(func.count(), func.coalesce(func.sum(Clawback.amount_fen), 0)).where(Clawback.application_id.in_(visible))).one()
    figures.clawbacks, figures.clawed_back_fen = int(clawed[0]), int(clawed[1])
    rejected = db.execute(select(AuditEntry.action, func.count()).where(AuditEntry.entity == "application", AuditEntry.entity_id.in_(visible),
                                                                        AuditEntry.action.in_(REJECTIONS)).group_by(AuditEntry.action)).all()
    figures.rejections = {REJECTIONS[action]: count for action, count in rejected}
    return figures
