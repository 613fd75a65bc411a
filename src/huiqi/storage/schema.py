"""Tables of the policy library. Later features (applications, reviews) add their own tables beside these."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Key/value facts about the stored library (the corpus fingerprint, when it was built)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class DocumentRow(Base):
    __tablename__ = "documents"
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # document | compilation
    title: Mapped[str] = mapped_column(Text)
    doc_number: Mapped[str | None] = mapped_column(String(80), index=True)
    issuer: Mapped[str | None] = mapped_column(Text)
    issued: Mapped[date | None] = mapped_column(Date)
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_until: Mapped[date | None] = mapped_column(Date)
    repeals: Mapped[list] = mapped_column(JSON, default=list)
    beneficiaries: Mapped[list] = mapped_column(JSON, default=list)
    departments: Mapped[list] = mapped_column(JSON, default=list)
    source_file: Mapped[str] = mapped_column(String(200))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    copies: Mapped[list] = mapped_column(JSON, default=list)
    ordinal: Mapped[int] = mapped_column(Integer)


class ProvisionRow(Base):
    """A provision of a document, or an entry of the compilation (kind says which)."""

    __tablename__ = "provisions"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    doc_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # provision | compilation_entry
    label: Mapped[str] = mapped_column(String(200))
    own_label: Mapped[str] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(String(20))
    heading: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(String(200))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    ordinal: Mapped[int] = mapped_column(Integer)
    department: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)  # compilation cells: section, number, category, ...
    tokens: Mapped[str] = mapped_column(Text)  # search tokens, space-separated (the index is rebuilt from these)


class ReferenceRow(Base):
    """A document named as a basis (依据文件) by compilation entries; it may or may not be in the library."""

    __tablename__ = "doc_references"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    doc_number: Mapped[str | None] = mapped_column(String(80), index=True)
    title: Mapped[str] = mapped_column(Text)
    library_doc_id: Mapped[str | None] = mapped_column(String(120))  # set when the library holds the document
    cited_by: Mapped[list] = mapped_column(JSON, default=list)  # compilation entry ids
