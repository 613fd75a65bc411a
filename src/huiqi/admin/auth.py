"""Accounts, passwords and sessions.

Passwords are hashed with Argon2id (argon2-cffi); the plain password lives only in the call stack of
`hash_password`/`login` and is never logged, stored, echoed in an error or written to the audit log.
A login yields a random bearer token (256 bits); the database stores only its SHA-256, with an
expiry (HUIQI_SESSION_HOURS, default 8 hours).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from huiqi.admin.db import utcnow
from huiqi.admin.models import SessionToken, User

APPLICANT, DISTRICT, CITY, FINANCE, AUDITOR = "applicant", "district_reviewer", "city_officer", "finance", "auditor"
ROLES = {APPLICANT: "申报人", DISTRICT: "区级初审", CITY: "市级主管", FINANCE: "财政拨付", AUDITOR: "审计（只读）"}
STAFF = (DISTRICT, CITY, FINANCE, AUDITOR)
MIN_PASSWORD = 10

_hasher = PasswordHasher()
# verifying against this keeps a login for an unknown name as slow as one with a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AuthError(Exception):
    """Not logged in, or the session is unknown or expired (HTTP 401)."""


class AccountError(ValueError):
    """An account cannot be created as asked; `field` names the offending field."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def session_hours() -> float:
    return float(os.environ.get("HUIQI_SESSION_HOURS") or 8)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError("password", f"密码至少 {MIN_PASSWORD} 位")
    return _hasher.hash(password)


def create_user(db: Session, username: str, password: str, role: str, display_name: str, district: str | None = None,
                subject: str | None = None, credit_code: str | None = None) -> User:
    if role not in ROLES:
        raise AccountError("role", f"角色无效：{role}，应为 {'、'.join(ROLES)}")
    if role in (DISTRICT, APPLICANT) and not district:
        raise AccountError("district", "区级初审人员和申报人必须填写所在区")
    if role == APPLICANT and subject not in ("enterprise", "person"):
        raise AccountError("subject", "申报人类型应为 enterprise（企业）或 person（个人）")
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError("username", f"用户名 {username} 已被使用")
    user = User(username=username, password_hash=hash_password(password), role=role, display_name=display_name,
                district=district, subject=subject if role == APPLICANT else None, credit_code=credit_code, active=True, created_at=utcnow())
    db.add(user)
    db.flush()
    return user


def login(db: Session, username: str, password: str) -> str:
    """Check the password and open a session; returns the bearer token (shown once, stored hashed)."""
    user = db.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if not _verify(user.password_hash if user else _DUMMY_HASH, password) or user is None:
        raise AuthError("用户名或密码错误")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.execute(delete(SessionToken).where(SessionToken.user_id == user.id, SessionToken.expires_at < now))
    db.add(SessionToken(token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=now + timedelta(hours=session_hours())))
    return token


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def user_for_token(db: Session, token: str) -> User:
    row = db.get(SessionToken, _digest(token))
    if row is None or row.expires_at <= utcnow():
        raise AuthError("未登录或登录已过期，请重新登录")
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthError("账号已停用")
    return user


def logout(db: Session, token: str) -> None:
    db.execute(delete(SessionToken).where(SessionToken.token_hash == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    """The form token of a browser session: derived from the session, so it needs no storage."""
    return hashlib.sha256(b"csrf:" + session_token.encode()).hexdigest()[:40]
