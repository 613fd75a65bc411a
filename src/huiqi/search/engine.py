"""BM25 search over provisions and compilation entries, with filters, snippets and citations.

The index is built in memory from the token column of the stored library (no re-segmentation at
start-up), scored with bm25s, filtered with numpy masks, and each hit is returned with its
document, 文号, label, a highlighted snippet and the document's status on the query date.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import bm25s
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.corpus.validity import STATUS_WORDS, status_on
from huiqi.search.tokenize import tokenize, words
from huiqi.storage.schema import DocumentRow, ProvisionRow

SNIPPET_CHARS = 120

PERSON_HINTS = ("人才", "博士", "青年", "个人", "学徒", "毕业生", "职称", "技能", "落户", "专家", "劳动者", "职工")
INSTITUTION_HINTS = ("高校", "院所", "科研院", "事业单位", "孵化器", "众创空间", "研究院", "机构")


class EmptyQuery(ValueError):
    pass


@dataclass
class Unit:
    """One searchable unit with what filters and hits need."""

    id: str
    kind: str
    doc_id: str
    label: str
    heading: str | None
    text: str
    department: str
    beneficiaries: tuple[str, ...]
    lineage: tuple[str, ...]  # ids of this unit and its ancestors


class SearchIndex:
    def __init__(self, units: list[Unit], tokens: list[list[str]], documents: dict[str, DocumentRow]):
        self.units = units
        self.documents = documents
        self.retriever = bm25s.BM25()
        self.retriever.index(tokens, show_progress=False)
        self.vocab = set(self.retriever.vocab_dict)
        self._doc_of = np.array([u.doc_id for u in units], dtype=object)

    @classmethod
    def load(cls, db: Session) -> SearchIndex:
        documents = {d.id: d for d in db.scalars(select(DocumentRow))}
        rows = db.scalars(select(ProvisionRow).order_by(ProvisionRow.doc_id, ProvisionRow.ordinal)).all()
        parents = {r.id: r.parent_id for r in rows}
        units, tokens = [], []
        for row in rows:
            doc = documents[row.doc_id]
            units.append(
                Unit(
                    id=row.id, kind=row.kind, doc_id=row.doc_id, label=row.label, heading=row.heading, text=row.text,
                    department=" ".join(filter(None, [row.department, *doc.departments])),
                    beneficiaries=tuple(doc.beneficiaries) if row.kind == "provision" else _entry_beneficiaries(row),
                    lineage=_lineage(row.id, parents),
                )
            )
            tokens.append(row.tokens.split() or [""])
        return cls(units, tokens, documents)

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        as_of: date,
        doc: str | None = None,
        department: str | None = None,
        beneficiary: str | None = None,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        if not query or not query.strip():
            raise EmptyQuery("查询内容不能为空")
        query_tokens = list(dict.fromkeys(t for t in tokenize(query) if t in self.vocab))
        if not query_tokens:
            return []
        scores = self.retriever.get_scores(query_tokens)
        scores = np.where(self._mask(as_of, doc, department, beneficiary, status), scores, 0.0)
        order = np.argsort(-scores, kind="stable")
        highlight = sorted({w for w in words(query)}, key=len, reverse=True)
        hits: list[dict[str, Any]] = []
        seen: set[str] = set()
        for i in order:
            if scores[i] <= 0 or len(hits) >= limit:
                break
            unit = self.units[i]
            if seen.intersection(unit.lineage):
                continue  # a clause and the article containing it are one answer: keep the better ranked
            seen.update(unit.lineage)
            hits.append(self._hit(unit, float(scores[i]), highlight, as_of))
        return hits

    def _mask(self, as_of: date, doc: str | None, department: str | None, beneficiary: str | None, status: str | None) -> np.ndarray:
        mask = np.ones(len(self.units), dtype=bool)
        if doc:
            wanted = {d.id for d in self.documents.values() if doc in (d.id, d.doc_number)}
            mask &= np.isin(self._doc_of, list(wanted))
        if department:
            mask &= np.array([department in u.department for u in self.units])
        if beneficiary:
            mask &= np.array([beneficiary in u.beneficiaries for u in self.units])
        if status:
            doc_status = {d.id: status_on(d.effective_from, d.effective_until, as_of) for d in self.documents.values()}
            mask &= np.array([doc_status[u.doc_id] == status for u in self.units])
        return mask

    def _hit(self, unit: Unit, score: float, highlight: list[str], as_of: date) -> dict[str, Any]:
        doc = self.documents[unit.doc_id]
        doc_status = status_on(doc.effective_from, doc.effective_until, as_of)
        return {
            "kind": unit.kind,
            "id": unit.id,
            "doc_id": doc.id,
            "doc_title": doc.title,
            "doc_number": doc.doc_number,
            "label": unit.label,
            "heading": unit.heading,
            "text": unit.text,
            "snippet": snippet(unit.text, highlight),
            "score": round(score, 4),
            "status": doc_status,
            "status_label": STATUS_WORDS[doc_status],
            "parent": doc.id if unit.kind == "compilation_entry" else (unit.lineage[1] if len(unit.lineage) > 1 else doc.id),
            "department": unit.department.split(" ")[0] if unit.department else None,
        }


def snippet(text: str, highlight: list[str], width: int = SNIPPET_CHARS) -> str:
    """The window of the text with the most query words, HTML-escaped, matches wrapped in <mark>."""
    flat = re.sub(r"\s+", " ", text)
    pattern = re.compile("|".join(re.escape(w) for w in highlight), re.IGNORECASE) if highlight else None
    positions = [m.start() for m in pattern.finditer(flat)] if pattern else []
    start = _densest_window(positions, width)
    start = max(0, start - width // 4) if positions else 0
    window = flat[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(flat) else ""
    if pattern is None:
        return prefix + html.escape(window) + suffix
    out, last = [], 0
    for m in pattern.finditer(window):
        out.append(html.escape(window[last : m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    out.append(html.escape(window[last:]))
    return prefix + "".join(out) + suffix


def _densest_window(positions: list[int], width: int) -> int:
    """Start of the window of `width` characters holding the most match positions (two pointers, linear)."""
    best_start, best_count, left = 0, 0, 0
    for right, position in enumerate(positions):
        while position - positions[left] >= width:
            left += 1
        if right - left + 1 > best_count:
            best_count, best_start = right - left + 1, positions[left]
    return best_start


def _lineage(unit_id: str, parents: dict[str, str | None]) -> tuple[str, ...]:
    chain = [unit_id]
    while parents.get(chain[-1]):
        chain.append(parents[chain[-1]])  # type: ignore[arg-type]
    return tuple(chain)


def _entry_beneficiaries(row: ProvisionRow) -> tuple[str, ...]:
    text = f"{row.heading or ''} {row.extra.get('category', '')} {row.extra.get('conditions', '')}"
    found = ["enterprise"] if "企业" in text or not any(h in text for h in PERSON_HINTS) else []
    if any(h in text for h in PERSON_HINTS):
        found.append("person")
    if any(h in text for h in INSTITUTION_HINTS):
        found.append("institution")
    return tuple(found)
