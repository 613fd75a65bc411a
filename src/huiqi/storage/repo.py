"""Read access to the stored library, shaped as the plain dicts the CLI's --json and the API return."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi.corpus.validity import STATUS_WORDS, status_on
from huiqi.storage.schema import DocumentRow, ProvisionRow, ReferenceRow


class NotFound(LookupError):
    pass


def document_json(row: DocumentRow, as_of: date, provision_count: int) -> dict[str, Any]:
    status = status_on(row.effective_from, row.effective_until, as_of)
    return {
        "kind": row.kind if row.kind == "compilation" else "document",
        "id": row.id,
        "title": row.title,
        "doc_number": row.doc_number,
        "issuer": row.issuer,
        "issued": _iso(row.issued),
        "effective_from": _iso(row.effective_from),
        "effective_until": _iso(row.effective_until),
        "repeals": row.repeals,
        "status": status,
        "status_label": STATUS_WORDS[status],
        "provision_count": provision_count,
        "beneficiaries": row.beneficiaries,
        "departments": row.departments,
        "source_file": row.source_file,
        "copies": row.copies,
    }


def provision_json(row: ProvisionRow, doc: DocumentRow, as_of: date) -> dict[str, Any]:
    status = status_on(doc.effective_from, doc.effective_until, as_of)
    data = {
        "kind": "compilation_entry" if row.kind == "compilation_entry" else "provision",
        "id": row.id,
        "doc_id": doc.id,
        "doc_title": doc.title,
        "doc_number": doc.doc_number,
        "label": row.label,
        "own_label": row.own_label,
        "heading": row.heading,
        "level": row.level,
        "text": row.text,
        "status": status,
        "status_label": STATUS_WORDS[status],
        "parent": row.parent_id if row.kind == "provision" else doc.id,
        "department": row.department,
        "start": row.start,
        "end": row.end,
        "source_file": doc.source_file,
    }
    if row.kind == "compilation_entry":
        data.update(row.extra)
    return data


def reference_json(row: ReferenceRow) -> dict[str, Any]:
    return {
        "kind": "reference",
        "id": row.id,
        "doc_number": row.doc_number,
        "title": row.title,
        "library_doc_id": row.library_doc_id,
        "cited_by": row.cited_by,
    }


def list_documents(db: Session, as_of: date) -> list[dict[str, Any]]:
    counts = dict(db.execute(select(ProvisionRow.doc_id, func.count()).group_by(ProvisionRow.doc_id)).all())
    rows = db.scalars(select(DocumentRow).order_by(DocumentRow.ordinal)).all()
    return [document_json(row, as_of, counts.get(row.id, 0)) for row in rows]


def list_references(db: Session) -> list[dict[str, Any]]:
    return [reference_json(r) for r in db.scalars(select(ReferenceRow).order_by(ReferenceRow.doc_number, ReferenceRow.title))]


def get_item(db: Session, item_id: str, as_of: date) -> dict[str, Any]:
    """A document (with its provisions), a provision or entry (with its context), or a reference."""
    doc = db.get(DocumentRow, item_id)
    if doc is not None:
        provisions = db.scalars(select(ProvisionRow).where(ProvisionRow.doc_id == doc.id).order_by(ProvisionRow.ordinal)).all()
        data = document_json(doc, as_of, len(provisions))
        data["provisions"] = [provision_json(p, doc, as_of) for p in provisions]
        data["references"] = _references_of(db, doc)
        return data
    row = db.get(ProvisionRow, item_id)
    if row is not None:
        parent_doc = db.get(DocumentRow, row.doc_id)
        data = provision_json(row, parent_doc, as_of)
        data["context"] = _context(db, row, parent_doc, as_of)
        return data
    ref = db.get(ReferenceRow, item_id)
    if ref is not None:
        return reference_json(ref)
    raise NotFound(f"找不到编号为 {item_id} 的文件、条款或引用")


def _context(db: Session, row: ProvisionRow, doc: DocumentRow, as_of: date) -> dict[str, Any]:
    parent = db.get(ProvisionRow, row.parent_id) if row.parent_id else None
    children = db.scalars(select(ProvisionRow).where(ProvisionRow.parent_id == row.id).order_by(ProvisionRow.ordinal)).all()
    return {
        "parent": provision_json(parent, doc, as_of) if parent else None,
        "children": [{"id": c.id, "label": c.label, "heading": c.heading} for c in children],
    }


def _references_of(db: Session, doc: DocumentRow) -> list[dict[str, Any]]:
    rows = db.scalars(select(ReferenceRow)).all()
    if doc.kind == "compilation":
        return [reference_json(r) for r in rows]
    return [reference_json(r) for r in rows if r.library_doc_id == doc.id]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
