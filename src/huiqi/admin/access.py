"""Row-level authorisation: which rows a user may see, and which roles may change anything at all.

An object a user may not see is reported exactly like one that does not exist (NotFound), so ids
cannot be probed. Every query of applications goes through `applications_visible_to`.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from huiqi.admin.auth import APPLICANT, AUDITOR, CITY, DISTRICT, FINANCE, ROLES
from huiqi.admin.errors import Forbidden, NotFound
from huiqi.admin.models import Application, Call, User


def require_role(user: User, *roles: str) -> None:
    """Refuse unless the user has one of the roles; the auditor is never among them (read-only)."""
    if user.role not in roles:
        allowed = "、".join(ROLES[r] for r in roles)
        raise Forbidden(f"只有{allowed}可以执行此操作")


def applications_visible_to(user: User) -> Select:
    query = select(Application)
    if user.role == APPLICANT:
        return query.where(Application.applicant_id == user.id)
    query = query.where(Application.status != "draft")  # a draft is the applicant's own business
    if user.role == DISTRICT:
        return query.where(Application.district == user.district)
    if user.role in (CITY, FINANCE, AUDITOR):
        return query
    return query.where(Application.id.is_(None))


def application(db: Session, user: User, application_id: int, lock: bool = False) -> Application:
    query = applications_visible_to(user).where(Application.id == application_id)
    found = db.scalar(locked(query) if lock else query)
    if found is None:
        raise NotFound(f"找不到申请 {application_id}")
    return found


def calls_visible_to(user: User) -> Select:
    query = select(Call)
    if user.role == APPLICANT:
        return query.where(Call.status == "open")
    return query


def call(db: Session, user: User, call_id: int, lock: bool = False) -> Call:
    query = calls_visible_to(user).where(Call.id == call_id)
    found = db.scalar(locked(query) if lock else query)
    if found is None:
        raise NotFound(f"找不到申报通知 {call_id}")
    return found


def locked(query: Select) -> Select:
    """SELECT … FOR UPDATE that also refreshes a row already loaded in this session: the lock is only worth
    anything if the state read after waiting for it is the state the other transaction committed."""
    return query.with_for_update().execution_options(populate_existing=True)
