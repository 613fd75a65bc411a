"""Tables of the administration side: users and sessions, calls, applications, materials, the audit log,
objections, payments, clawbacks, 失信 records and proactive (免申即享) invitations.

The tables live on their own metadata (prefix adm_) so Alembic manages them without touching the
policy library's tables, which `huiqi init` rebuilds. Money is always an integer number of fen
(BigInteger): never a float. Scores of the ranking are Numeric. Times are naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, MetaData, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s", "pk": "pk_%(table_name)s"}


class AdminBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(AdminBase):
    __tablename__ = "adm_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(24))  # see auth.ROLES
    display_name: Mapped[str] = mapped_column(String(120))
    district: Mapped[str | None] = mapped_column(String(40))  # reviewers: their district; applicants: where registered
    subject: Mapped[str | None] = mapped_column(String(16))  # applicants: enterprise | person
    credit_code: Mapped[str | None] = mapped_column(String(40), index=True)  # 统一社会信用代码 (or ID number of a person)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime())


class SessionToken(AdminBase):
    """A login session; only the SHA-256 of the bearer token is stored, so a database leak yields no usable token."""

    __tablename__ = "adm_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("adm_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime())
    expires_at: Mapped[datetime] = mapped_column(DateTime())


class Call(AdminBase):
    """A 申报通知 for one measure of the rule pack."""

    __tablename__ = "adm_calls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[str] = mapped_column(String(200), index=True)
    extra_measure_ids: Mapped[list] = mapped_column(JSON, default=list)  # e.g. the 雏鹰 measure beside the general one
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)  # the evaluation date for the calculator (the year of the call)
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    materials: Mapped[list] = mapped_column(JSON, default=list)  # names of required materials
    target_groups: Mapped[list] = mapped_column(JSON, default=list)
    ranking_rule: Mapped[str] = mapped_column(String(24))  # see ranking.RULES
    publicity_days: Mapped[int] = mapped_column(Integer)
    publicity_starts_on: Mapped[date | None] = mapped_column(Date)
    proactive: Mapped[bool] = mapped_column(Boolean, default=False)  # 免申即享: seeded from a push list
    status: Mapped[str] = mapped_column(String(16))  # draft | open
    created_by: Mapped[int] = mapped_column(ForeignKey("adm_users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime())


class Application(AdminBase):
    __tablename__ = "adm_applications"
    __table_args__ = (
        UniqueConstraint("call_id", "applicant_id", name="uq_adm_applications_call_applicant"),
        UniqueConstraint("applicant_id", "idempotency_key", name="uq_adm_applications_idempotency"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("adm_calls.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("adm_users.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(24), index=True)  # see workflow.STATES
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(40))
    district: Mapped[str] = mapped_column(String(40), index=True)
    industry: Mapped[str | None] = mapped_column(String(40))
    profile: Mapped[dict] = mapped_column(JSON)
    evaluation: Mapped[dict] = mapped_column(JSON)  # the calculator's result_json: status, amount, trace, citations
    measure_id: Mapped[str] = mapped_column(String(200))  # the measure that gave the amount (general or 雏鹰)
    requested_fen: Mapped[int | None] = mapped_column(BigInteger)
    granted_fen: Mapped[int | None] = mapped_column(BigInteger)
    pool: Mapped[str | None] = mapped_column(String(16))  # ranking pool: above | below | chuying | queue
    rank: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    ranking_note: Mapped[str | None] = mapped_column(Text)
    pledge_text: Mapped[str | None] = mapped_column(Text)
    pledged_at: Mapped[datetime | None] = mapped_column(DateTime())
    created_at: Mapped[datetime] = mapped_column(DateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime())
    paid_at: Mapped[datetime | None] = mapped_column(DateTime())


class Material(AdminBase):
    __tablename__ = "adm_materials"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("adm_applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(200))  # which required material this is
    original_name: Mapped[str] = mapped_column(String(200))  # shown only; never used as a path
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("adm_users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime())


class AuditEntry(AdminBase):
    """Append-only (a database trigger refuses UPDATE and DELETE): who, when, what, from, to, why."""

    __tablename__ = "adm_audit"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("adm_users.id"))
    actor_role: Mapped[str] = mapped_column(String(24))
    entity: Mapped[str] = mapped_column(String(24))  # application | call | user | payment_batch | dishonesty
    entity_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Objection(AdminBase):
    """An objection received during 公示, and what the city officer decided about it."""

    __tablename__ = "adm_objections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("adm_applications.id"), index=True)
    objector: Mapped[str] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("adm_users.id"))
    resolution: Mapped[str | None] = mapped_column(String(16))  # upheld | dismissed
    resolution_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime())


class PaymentBatch(AdminBase):
    __tablename__ = "adm_payment_batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("adm_calls.id"), index=True)
    reference: Mapped[str] = mapped_column(String(80))  # e.g. the 联文 number of the funding plan
    total_fen: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int] = mapped_column(ForeignKey("adm_users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime())


class Payment(AdminBase):
    __tablename__ = "adm_payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("adm_payment_batches.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("adm_applications.id"), unique=True)  # paid once, ever
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class Clawback(AdminBase):
    __tablename__ = "adm_clawbacks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("adm_applications.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("adm_users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime())


class DishonestyRecord(AdminBase):
    """A 失信行为记录: blocks new applications by the same credit code (or account) until ends_on."""

    __tablename__ = "adm_dishonesty"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("adm_users.id"), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(40), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("adm_applications.id"))
    reason: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(Text)  # the regulation that sets the period (津科规〔2021〕4号 第十八条 defers to it)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("adm_users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime())


class Invitation(AdminBase):
    """免申即享: an enterprise on a call's push list, notified; it confirms instead of applying."""

    __tablename__ = "adm_invitations"
    __table_args__ = (UniqueConstraint("call_id", "credit_code", name="uq_adm_invitations_call_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("adm_calls.id"), index=True)
    credit_code: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    profile: Mapped[dict] = mapped_column(JSON)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)  # the calculator's amount when the list was loaded
    status: Mapped[str] = mapped_column(String(16))  # notified | confirmed | declined
    application_id: Mapped[int | None] = mapped_column(ForeignKey("adm_applications.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime())

