"""The whole shipped corpus, parsed once per process, with lookups by 文号, id and label."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from huiqi.corpus.compilation import parse_compilation
from huiqi.corpus.documents import parse_documents
from huiqi.corpus.model import CompilationEntry, Document, Library, Provision

DOCUMENTS_FILE = "000_83169ce2e118738d.txt"
COMPILATION_FILE = "002_33bf23e9d5955842.txt"

_WHITESPACE = re.compile(r"\s+")


def corpus_text(name: str) -> str:
    return resources.files("huiqi.data").joinpath("corpus", name).read_text(encoding="utf-8")


@cache
def load_library() -> Library:
    documents = parse_documents(corpus_text(DOCUMENTS_FILE), DOCUMENTS_FILE)
    compilation, entries = parse_compilation(corpus_text(COMPILATION_FILE), COMPILATION_FILE)
    return Library(documents=documents, compilation=compilation, entries=entries)


def entry_text(entry: CompilationEntry) -> str:
    """The searchable and quotable text of a compilation entry, all its cells in printed order."""
    parts = [entry.name, entry.conditions, entry.measures, entry.basis_text, entry.application_time, entry.department, entry.contact]
    return "\n".join(p for p in parts if p)


def squash(text: str) -> str:
    """Text with all whitespace removed: quotes are compared in this form, so line layout never matters."""
    return _WHITESPACE.sub("", text)


@dataclass(frozen=True)
class Clause:
    """A quotable unit: a provision of a document or an entry of the compilation."""

    id: str
    doc_id: str
    doc_title: str
    doc_number: str | None
    label: str
    text: str


class Index:
    """Lookups over a parsed library: documents by 文号 or id, clauses by (document, label)."""

    def __init__(self, library: Library):
        self.library = library
        self.documents: dict[str, Document] = {}
        for doc in [*library.documents, library.compilation]:
            self.documents[doc.id] = doc
            if doc.doc_number:
                self.documents.setdefault(doc.doc_number, doc)
        self.clauses: dict[tuple[str, str], Clause] = {}
        for doc in library.documents:
            for provision in doc.provisions:
                self.clauses.setdefault((doc.id, provision.label), _provision_clause(doc, provision))
        compilation = library.compilation
        for entry in library.entries:
            clause = Clause(entry.id, compilation.id, compilation.title, None, entry.label, entry_text(entry))
            self.clauses[(compilation.id, entry.label)] = clause

    def document(self, key: str) -> Document | None:
        return self.documents.get(key)

    def documents_for(self, key: str) -> list[Document]:
        """All documents a key names: several 细则 can share one 文号 (津人才办〔2019〕6号)."""
        by_id = self.documents.get(key)
        if by_id is not None and by_id.id == key:
            return [by_id]
        return [d for d in self.library.documents if d.doc_number == key]

    def clause(self, doc_key: str, label: str) -> Clause | None:
        for doc in self.documents_for(doc_key) or ([self.library.compilation] if doc_key == self.library.compilation.id else []):
            clause = self.clauses.get((doc.id, label))
            if clause is not None:
                return clause
        return None


def _provision_clause(doc: Document, provision: Provision) -> Clause:
    return Clause(provision.id, doc.id, doc.title, doc.doc_number, provision.label, provision.text)


@cache
def library_index() -> Index:
    return Index(load_library())
