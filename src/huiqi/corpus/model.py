"""Plain data produced by the corpus parsers; storage and search consume these, nothing flows back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class DocRef:
    """A document named by another text, e.g. a compilation entry's 依据文件."""

    doc_number: str | None  # normalised 文号, e.g. "国科发火〔2016〕32号"
    title: str  # as printed, without the book-title marks 《》


@dataclass
class Provision:
    """One node of a document's printed hierarchy (章, 条, 一、, （一）, 1．, （1）, ①)."""

    id: str  # stable, e.g. "jinkegui-2021-4/第七条" ; unique across the library
    doc_id: str
    label: str  # full path as printed, e.g. "第七条" or "二、（一）1"
    own_label: str  # this node's own marker as printed, e.g. "（一）"
    level: str  # chapter | article | item1 | item2 | item3 | item4 | item5 | paragraph | preamble
    heading: str | None  # e.g. chapter title "总 则" or item title "优化采购环节"
    text: str  # repaired clean text of the node including its children (each child on its own line)
    start: int  # character offsets [start, end) of the span in the original file
    end: int
    parent_id: str | None
    ordinal: int  # document order


@dataclass
class Document:
    id: str  # stable slug, derived from 文号 when there is one
    title: str
    doc_number: str | None  # normalised 文号
    issuer: str | None
    issued: date | None  # adoption / issue date where stated
    effective_from: date | None
    effective_until: date | None  # last day in force, inclusive
    repeals: list[str] = field(default_factory=list)  # titles or 文号 of documents it repeals (同时废止)
    source_file: str = ""
    start: int = 0
    end: int = 0
    copies: list[tuple[int, int]] = field(default_factory=list)  # other spans where the same document appears
    provisions: list[Provision] = field(default_factory=list)
    beneficiaries: list[str] = field(default_factory=list)  # enterprise | person | institution
    departments: list[str] = field(default_factory=list)


@dataclass
class CompilationEntry:
    """One entry (one 编号) of 天津市科技创新政策要点汇编（2020年版）."""

    id: str  # e.g. "kjzc2020/二-23"
    section: str  # 一 | 二 | 三
    section_title: str
    category: str  # 支持类别 (carried down from the row above when the cell is empty)
    number: str  # 编号 as printed: "23", "1-1"
    label: str  # f"{section}-{number}"
    name: str  # 政策名称
    conditions: str  # 基本条件, HTML removed, list items one per line
    measures: str  # 资助措施 without the 依据文件 sentence
    basis_text: str  # the 依据文件 sentence as printed (clean)
    basis_refs: list[DocRef]
    application_time: str  # 申报时间 (e.g. 常年受理)
    department: str  # 主管处室 (e.g. 市科技局 高新技术处)
    contact: str  # 联系方式 (phone numbers)
    start: int  # offsets of the entry's rows in the original file
    end: int
    ordinal: int


@dataclass
class Library:
    documents: list[Document]
    compilation: Document  # the compilation itself, as a document without provisions
    entries: list[CompilationEntry]
