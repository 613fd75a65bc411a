"""Building the stored library from the parsed corpus. Idempotent: a rebuild replaces the library rows."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from sqlalchemy import delete

from huiqi.corpus.library import COMPILATION_FILE, DOCUMENTS_FILE, corpus_text, entry_text, load_library
from huiqi.corpus.model import CompilationEntry, Document, Library, Provision
from huiqi.search.tokenize import tokenize
from huiqi.storage.db import engine, session
from huiqi.storage.schema import Base, DocumentRow, Meta, ProvisionRow, ReferenceRow


def corpus_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in (DOCUMENTS_FILE, COMPILATION_FILE):
        digest.update(corpus_text(name).encode("utf-8"))
    return digest.hexdigest()[:16]


def build_library(url: str | None = None) -> dict[str, int]:
    """(Re)build the library tables; returns counts of what was stored."""
    library = load_library()
    Base.metadata.create_all(engine(url))
    with session(url) as db, db.begin():
        for table in (ProvisionRow, ReferenceRow, DocumentRow, Meta):
            db.execute(delete(table))
        for ordinal, doc in enumerate(library.documents):
            db.add(_document_row(doc, "document", ordinal))
        db.add(_document_row(library.compilation, "compilation", len(library.documents)))
        db.flush()
        db.add_all(_provision_row(p) for doc in library.documents for p in doc.provisions)
        db.add_all(_entry_row(e, library.compilation.id) for e in library.entries)
        references = _reference_rows(library)
        db.add_all(references)
        db.add(Meta(key="corpus_fingerprint", value=corpus_fingerprint()))
        db.add(Meta(key="built_at", value=datetime.now(timezone.utc).isoformat(timespec="seconds")))
    return {
        "documents": len(library.documents) + 1,
        "provisions": sum(len(d.provisions) for d in library.documents),
        "compilation_entries": len(library.entries),
        "references": len(references),
    }


def _document_row(doc: Document, kind: str, ordinal: int) -> DocumentRow:
    return DocumentRow(
        id=doc.id, kind=kind, title=doc.title, doc_number=doc.doc_number, issuer=doc.issuer, issued=doc.issued,
        effective_from=doc.effective_from, effective_until=doc.effective_until, repeals=list(doc.repeals),
        beneficiaries=list(doc.beneficiaries), departments=list(doc.departments), source_file=doc.source_file,
        start=doc.start, end=doc.end, copies=[list(c) for c in doc.copies], ordinal=ordinal,
    )


def _provision_row(p: Provision) -> ProvisionRow:
    heading = p.heading or ""
    return ProvisionRow(
        id=p.id, doc_id=p.doc_id, kind="provision", label=p.label, own_label=p.own_label, level=p.level,
        heading=p.heading, text=p.text, parent_id=p.parent_id, start=p.start, end=p.end, ordinal=p.ordinal,
        department=None, extra={}, tokens=" ".join(tokenize(f"{heading} {p.text}")),
    )


def _entry_row(e: CompilationEntry, compilation_id: str) -> ProvisionRow:
    text = entry_text(e)
    extra = {
        "section": e.section, "section_title": e.section_title, "category": e.category, "number": e.number,
        "name": e.name, "conditions": e.conditions, "measures": e.measures, "basis_text": e.basis_text,
        "basis_refs": [{"doc_number": r.doc_number, "title": r.title} for r in e.basis_refs],
        "application_time": e.application_time, "contact": e.contact,
    }
    # the policy name is the strongest signal of what an entry is about: count it twice
    return ProvisionRow(
        id=e.id, doc_id=compilation_id, kind="compilation_entry", label=e.label, own_label=e.number, level="entry",
        heading=e.name, text=text, parent_id=None, start=e.start, end=e.end, ordinal=e.ordinal,
        department=e.department, extra=extra, tokens=" ".join(tokenize(f"{e.name} {e.category} {text}")),
    )


def _reference_rows(library: Library) -> list[ReferenceRow]:
    by_number = {d.doc_number: d.id for d in library.documents if d.doc_number}
    by_title = {d.title: d.id for d in library.documents}
    refs: dict[str, ReferenceRow] = {}
    for entry in library.entries:
        for ref in entry.basis_refs:
            key = ref.doc_number or ref.title
            row = refs.get(key)
            if row is None:
                ref_id = "ref/" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
                library_id = by_number.get(ref.doc_number or "") or by_title.get(ref.title)
                row = refs[key] = ReferenceRow(id=ref_id, doc_number=ref.doc_number, title=ref.title, library_doc_id=library_id, cited_by=[])
            if entry.id not in row.cited_by:
                row.cited_by = [*row.cited_by, entry.id]
    return list(refs.values())
