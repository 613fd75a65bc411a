"""Parser for 000_83169ce2e118738d.txt: ~30 Tianjin policy documents exported from PDF, one after another.

Splitting. The file is split at the titles curated in ``manifest.yaml`` (in order; a title matches one to three
printed lines joined with spaces removed). A title listed twice is one document printed twice (天津市优化工业用地管理
促进产业结构调整升级实施办法): the copy with a 文号 (else the longer one) is the document, the other copy's span is
recorded in ``Document.copies`` and all provisions come from the main copy. Spans partition the file.

津人才办〔2019〕6号. The cover "《企业高技能人才培训实施细则》等五个文件（津人才办〔2019〕6号）" is followed by four
实施细则, each with its own 第一条…第N条 and its own 附件. Each 细则 is its own Document with doc_number
津人才办〔2019〕6号 and id "jinrencaiban-2019-6-<suffix>" (suffix from the manifest); the cover lines belong to
the first 细则's span. A 细则's 附件 are part of it (level "annex").

Header. After the title: an optional parenthesised line with the 文号 (or, for the 条例, the adoption date and body).
Issuer: as stated in the text (adoption line, signature above the closing date, or the title "X关于…"), otherwise
the issuing body encoded in the 文号's 机关代字 (manifest ``issuers``). Dates: issued = adoption or signature
date; effective_from from "自YYYY年M月D日起施行" or, for "自印发之日起施行", the issued date when stated;
effective_until from "有效期至…" or "有效期N年" counted from effective_from (last day inclusive).

Provisions. Levels: chapter (第一章), article (第七条), annex (附件1, 附件1的附件), item1…item5 (一、 （一） 1． 1.
（1） ① by nesting depth), preamble (paragraphs before the first numbered node, label "序言") and paragraph (the
closing text after the body — 施行 clause of 一、-style documents, 附件 list, signature and date — label "结尾").
A marker is only accepted at the start of a printed line and only in sequence (first of its kind, or the next
number after the previous marker of that kind), so wrapped lines such as "0%的支持" or "21 年" are never items.
Label convention: the own labels of the ancestors and the node concatenated exactly as printed (spaces removed),
chapters excepted, e.g. "第七条", "第二十九条（一）", "二、（一）1．", "附件1一、（二）". Provision id is
f"{doc_id}/{label}", a repeated label gets "~2", "~3".
Text: a provision's text is its full repaired text INCLUDING its children (each child starting on a new line with
its marker), without its own marker, so an article or item is self-contained for search and quoting; children are
also provisions of their own. Paragraphs are separated by "\\n". heading: chapter titles, heading-only items
("一、优化采购环节") and run-in headings ("（一）严格执行招标投标法规政策。…" → "严格执行招标投标法规政策").
start/end index the original file text.

Repair: printed lines are joined (also numbers split across lines, "3"+"0%" → "30%"), page markers dropped, stray
spaces removed (text.join_wrapped_lines). A paragraph ends after a line ending in 。：；！？ or a short line.
A document title the export glued onto a body line ("…个人。企业高技能人才培养平台资助实施细则") is dropped.
An unnumbered paragraph after an item stays with that item (e.g. the 项目定制培训资助表 under 附件2九、).
departments: 市…局/委/办 names in order of first mention; beneficiaries: enterprise / person / institution by
keyword counts. Both are heuristics.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import yaml

from huiqi.corpus.model import Document, Provision
from huiqi.corpus.text import (
    clean_text,
    cn_to_int,
    find_doc_numbers,
    is_page_marker,
    join_wrapped_lines,
    parse_cn_date,
)

MANIFEST = Path(__file__).with_name("manifest.yaml")

_CN = "一二三四五六七八九十百零〇两"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_ITEM_KINDS = ("cn", "pcn", "num", "pnum", "circ")
_MARKERS = (
    ("chapter", re.compile(rf"第\s*([{_CN}]+)\s*章")),
    ("article", re.compile(rf"第\s*([{_CN}]+)\s*条")),
    ("subannex", re.compile(r"附件\s*(\d{1,2})\s*的附件$")),
    ("annex", re.compile(r"附件\s*(\d{1,2})$")),
    ("cn", re.compile(rf"([{_CN}]+)、")),
    ("pcn", re.compile(rf"[（(]([{_CN}]+)[）)]")),
    ("num", re.compile(r"(\d{1,2})\s*[．.、](?!\d)")),
    ("pnum", re.compile(r"[（(](\d{1,2})[）)]")),
    ("circ", re.compile(rf"([{_CIRCLED}])")),
)
_TERMINAL = re.compile(r"[。：；！？!?;:][）)”’」]*$")
_SHORT_LINE = 24  # display width (CJK = 1, ASCII = 0.5) below which a printed line ends its paragraph
_HEADING_MAX = 40
_RUN_IN_HEADING = re.compile(r"([^。，；：！？,;:]{2,25})。(?=.)")
_IN_FORCE_CLAUSE = re.compile(r"本(?:条例|办法|实施细则|细则|措施|意见|方案|通知|规定|计划|举措)(?:自|从)")
_ANNEX_LIST = re.compile(r"附件[：:]")
_SIGNATORY = re.compile(r"(?:局|委|会|厅|部|政府|办|联|室)$")
_DATE_LINE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
_ADOPTION = re.compile(r"日(.+?)第[一二三四五六七八九十]+次会议通过")
_TITLE_ISSUER = re.compile(r"^(.+?(?:局|委|厅|部|政府))\s*(?:关于|落实)")
_ISSUER_SPLIT = re.compile(r"\s+|(?<=[局委厅部])(?=市|天津|教育部)")
_FROM_DATE = re.compile(r"自(\d{4}年\d{1,2}月\d{1,2}日)起(?:施行|实施|执行|试行)")
_FROM_ISSUE = re.compile(r"自(?:印发|发布|公布)之日起(?:施行|实施|执行|试行)")
_UNTIL_DATE = re.compile(r"有效期至(\d{4}年\d{1,2}月\d{1,2}日)")
_VALID_YEARS = re.compile(r"有效期为?([0-9一二三四五六七八九十]+)年")
_TITLE_QUOTE = re.compile(r"《([^《》]+)》")
_DEPARTMENT = re.compile(
    r"市(?:工商联|总工会|[\u4e00-\u9fff]{1,9}?(?:局|委|办公室|办公厅|办|厅|宣传部))(?!法)"
    r"|天津银保监局|人民银行天津分行|天津海关"
)
_NOT_DEPARTMENT = re.compile(r"[区级县及的等各布举创兴鼓]|有关|人民政府|重点|总体")
_BENEFICIARY_WORDS = {
    "enterprise": re.compile(r"企业|市场主体|个体工商户"),
    "person": re.compile(r"人才|个人|职工|学徒|博士后|毕业生|劳动者|获奖选手|技师"),
    "institution": re.compile(r"高等院校|高校|院校|科研机构|科研院所|事业单位|学校|服务机构|培训机构|担保机构"),
}
_BENEFICIARY_MIN = 3
_PINYIN = {
    "津": "jin", "政": "zheng", "办": "ban", "规": "gui", "发": "fa", "工": "gong", "信": "xin", "科": "ke",
    "财": "cai", "改": "gai", "业": "ye", "资": "zi", "利": "li", "用": "yong", "函": "han", "滨": "bin",
    "党": "dang", "人": "ren", "社": "she", "教": "jiao", "委": "wei", "范": "fan", "局": "ju", "才": "cai",
}


@dataclass(frozen=True)
class _Line:
    """A printed (non-blank, non-page-marker) line: text without surrounding spaces, offsets into the file."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _Entry:
    title: str
    slug: str | None
    cover: str | None
    suffix: str | None


@dataclass
class _Manifest:
    entries: list[_Entry]
    issuers: dict[str, str]


@dataclass(eq=False)
class _Node:
    kind: str  # a _MARKERS kind, or "preamble" / "closing"
    number: int
    own_label: str
    parent: _Node | None
    lines: list[list[_Line]] = field(default_factory=list)  # own paragraphs, the first one holding the marker
    marker_len: int = 0  # characters of the marker at the start of the first line
    children: list[_Node] = field(default_factory=list)
    heading: str | None = None


@dataclass
class _Span:
    entry: _Entry
    start: int  # index of the first printed line (cover or title)
    title_end: int  # index of the first line after the title
    end: int = 0  # index after the last line
    number: str | None = None


def parse_documents(text: str, source_file: str) -> list[Document]:
    """Every document of the compilation, in order of first appearance, duplicates merged."""
    manifest = _load_manifest()
    lines = _printed_lines(text)
    spans = _locate(lines, manifest.entries)
    lines = _strip_running_titles(lines, {entry.title for entry in manifest.entries})
    documents = [_build_document(span, lines, manifest, source_file) for span in spans]
    return _merge_copies(documents)


@cache
def _load_manifest() -> _Manifest:
    raw = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    entries = [
        _Entry(item["title"], item.get("slug"), item.get("cover"), item.get("suffix")) for item in raw["documents"]
    ]
    return _Manifest(entries, dict(raw["issuers"]))


def _printed_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped and not is_page_marker(stripped):
            lead = len(raw) - len(raw.lstrip())
            lines.append(_Line(stripped, pos + lead, pos + lead + len(stripped)))
        pos += len(raw) + 1
    return lines


def _nospace(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _find_title(lines: list[_Line], title: str, start: int) -> tuple[int, int]:
    """Index of the first line at or after start where 1–3 joined lines spell the title, and the line after it."""
    key = _nospace(title)
    for i in range(start, len(lines)):
        joined = ""
        for j in range(i, min(i + 3, len(lines))):
            joined += _nospace(lines[j].text)
            if joined == key:
                return i, j + 1
            if not key.startswith(joined):
                break
    raise ValueError(f"清单中的标题未在文本中找到：{title}")


def _locate(lines: list[_Line], entries: list[_Entry]) -> list[_Span]:
    spans: list[_Span] = []
    position, group_number = 0, None
    for entry in entries:
        if entry.cover:
            start, position = _find_title(lines, entry.cover, position)
            group_number, position = _read_number(lines, position)
            _, title_end = _find_title(lines, entry.title, position)
        else:
            start, title_end = _find_title(lines, entry.title, position)
        span = _Span(entry, start, title_end, number=group_number if entry.suffix else None)
        spans.append(span)
        position = title_end
    for span, following in zip(spans, spans[1:] + [None]):
        span.end = following.start if following else len(lines)
    return spans


def _read_number(lines: list[_Line], index: int) -> tuple[str | None, int]:
    """The 文号 printed in parentheses on the line at index, if any, and the index after it."""
    if index < len(lines) and lines[index].text[0] in "（(":
        numbers = find_doc_numbers(lines[index].text)
        if numbers:
            return numbers[0][0], index + 1
    return None, index


def _strip_running_titles(lines: list[_Line], titles: set[str]) -> list[_Line]:
    """Drop a document title the export glued to the end of a body line ("…个人。企业高技能人才培养平台资助实施细则")."""
    repaired = []
    for line in lines:
        for title in titles:
            cut = len(line.text) - len(title)
            if cut > 0 and line.text.endswith(title) and line.text[cut - 1] == "。":
                line = _Line(line.text[:cut], line.start, line.start + cut)
                break
        repaired.append(line)
    return repaired


# --- one document -----------------------------------------------------------------------------------------------


def _build_document(span: _Span, lines: list[_Line], manifest: _Manifest, source_file: str) -> Document:
    number, issuer, issued, body_start = _read_header(span, lines)
    doc_id = _doc_id(span.entry, number)
    nodes = _parse_body(lines[body_start : span.end])
    signature_issuer, signature_date = _signature(nodes)
    issued = issued or signature_date
    issuer = issuer or signature_issuer or _title_issuer(span.entry.title) or _number_issuer(number, manifest)
    full_text = "\n".join(_node_text(node) for node in nodes)
    effective_from, effective_until = _validity(full_text, issued)
    return Document(
        id=doc_id,
        title=span.entry.title,
        doc_number=number,
        issuer=issuer,
        issued=issued,
        effective_from=effective_from,
        effective_until=effective_until,
        repeals=_repeals(full_text),
        source_file=source_file,
        start=lines[span.start].start,
        end=lines[span.end - 1].end,
        provisions=_provisions(doc_id, nodes),
        beneficiaries=_beneficiaries(full_text),
        departments=_departments(full_text),
    )


def _read_header(span: _Span, lines: list[_Line]) -> tuple[str | None, str | None, date | None, int]:
    """文号, adopting body and adoption date printed under the title, and the index of the first body line."""
    if span.number is not None:
        return span.number, None, None, span.title_end
    number, body_start = _read_number(lines, span.title_end)
    if number is not None:
        return number, None, None, body_start
    note_end = _parenthesised_end(lines, body_start)
    note = clean_text("".join(line.text for line in lines[body_start:note_end]))
    match = _ADOPTION.search(note)
    return None, match.group(1) if match else None, parse_cn_date(note), note_end


def _parenthesised_end(lines: list[_Line], index: int) -> int:
    """Index after a parenthesised header block (e.g. the 条例's adoption note) starting at index, else index."""
    if index >= len(lines) or lines[index].text[0] not in "（(":
        return index
    for j in range(index, min(index + 3, len(lines))):
        if lines[j].text[-1] in "）)":
            return j + 1
    return index


def _doc_id(entry: _Entry, number: str | None) -> str:
    if number is None:
        return entry.slug or "doc-" + hashlib.sha1(entry.title.encode()).hexdigest()[:8]
    match = re.fullmatch(r"(.+)〔(\d{4})〕(\d+)号", number)
    if not match:
        raise ValueError(f"文号格式异常：{number}")
    prefix, year, serial = match.groups()
    code = "".join(_PINYIN.get(ch, f"u{ord(ch):x}") for ch in prefix)
    slug = f"{code}-{year}-{serial}"
    return f"{slug}-{entry.suffix}" if entry.suffix else slug


def _title_issuer(title: str) -> str | None:
    match = _TITLE_ISSUER.match(title)
    if not match:
        return None
    return "、".join(part for part in _ISSUER_SPLIT.split(match.group(1)) if part)


def _number_issuer(number: str | None, manifest: _Manifest) -> str | None:
    return manifest.issuers.get(number.split("〔")[0]) if number else None


# --- body structure ---------------------------------------------------------------------------------------------


def _width(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.5 for ch in text)


def _ends_paragraph(line: _Line) -> bool:
    return bool(_TERMINAL.search(line.text)) or _width(line.text) < _SHORT_LINE


class _BodyParser:
    """Walks a document body line by line, accepting numbered markers only in sequence."""

    def __init__(self) -> None:
        self.nodes: list[_Node] = []  # top-level nodes in order (preamble, chapters/articles/items, closing)
        self.stack: list[_Node] = []
        self.last: dict[str, int] = {}
        self.closing: _Node | None = None
        self.in_closing = False

    def feed(self, lines: list[_Line]) -> list[_Node]:
        paragraph: list[_Line] | None = None
        for index, line in enumerate(lines):
            node = self._marker(line)
            if node is not None:
                self._attach(node)
                paragraph = node.lines[0]
            elif paragraph is not None and not _ends_paragraph(lines[index - 1]):
                paragraph.append(line)
            else:
                paragraph = [line]
                self._add_paragraph(paragraph)
        return self.nodes

    def _marker(self, line: _Line) -> _Node | None:
        """A node for the numbered marker the line starts with, if the marker is the next one in sequence."""
        for kind, pattern in _MARKERS:
            match = pattern.match(line.text)
            if not match:
                continue
            number = _CIRCLED.index(match.group(1)) + 1 if kind == "circ" else cn_to_int(match.group(1))
            if self._accepts(kind, number):
                label = _nospace(match.group(0))
                return _Node(kind, number, label, None, lines=[[line]], marker_len=match.end())
        return None

    def _accepts(self, kind: str, number: int) -> bool:
        if kind == "subannex":
            return self.last.get("annex") == number
        if kind in ("chapter", "article", "annex"):
            return number == self.last.get(kind, 0) + 1
        if self.in_closing:
            return False
        for node in reversed(self.stack):
            if node.kind == kind:
                return number == node.number + 1
            if node.kind not in _ITEM_KINDS:
                break
        return number in (1, self.last.get(kind, 0) + 1)

    def _attach(self, node: _Node) -> None:
        kind = node.kind
        if kind in ("chapter", "article", "annex", "subannex"):
            self.in_closing = False
            self._reset_items()
        if kind in ("chapter", "annex", "subannex"):
            self.stack.clear()
        elif kind == "article":
            while self.stack and self.stack[-1].kind not in ("chapter", "annex", "subannex"):
                self.stack.pop()
        else:
            same = [i for i, open_node in enumerate(self.stack) if open_node.kind == kind]
            if same:
                del self.stack[same[-1] :]
        if kind == "subannex":
            self.last["annex"] = node.number
        else:
            self.last[kind] = node.number
        node.parent = self.stack[-1] if self.stack else None
        (node.parent.children if node.parent else self.nodes).append(node)
        self.stack.append(node)

    def _reset_items(self) -> None:
        for kind in _ITEM_KINDS:
            self.last.pop(kind, None)

    def _add_paragraph(self, paragraph: list[_Line]) -> None:
        top = self.stack[-1] if self.stack else None
        if not self.in_closing and _starts_closing(paragraph[0].text, top):
            self.in_closing = True
        if self.in_closing:
            self._closing_node().lines.append(paragraph)
        elif top is None:
            self._preamble().lines.append(paragraph)
        else:
            top.lines.append(paragraph)

    def _closing_node(self) -> _Node:
        if self.closing is None:
            self.closing = _Node("closing", 0, "", None)
            self.nodes.append(self.closing)
        return self.closing

    def _preamble(self) -> _Node:
        if not self.nodes or self.nodes[0].kind != "preamble":
            self.nodes.insert(0, _Node("preamble", 0, "", None))
        return self.nodes[0]


def _starts_closing(text: str, top: _Node | None) -> bool:
    """The 附件 list, or an unnumbered 施行 clause after the last item (an article keeps its own clause)."""
    if _ANNEX_LIST.match(text):
        return True
    in_item = top is None or top.kind in _ITEM_KINDS
    return bool(_IN_FORCE_CLAUSE.match(text)) and in_item and not _awaits_body(top)


def _awaits_body(node: _Node | None) -> bool:
    """A heading-only node ("三、附 则") still waiting for its text: the next paragraph belongs to it."""
    return node is not None and len(node.lines) == 1 and not node.children and _is_heading_only(_rest_text(node))


def _is_heading_only(text: str) -> bool:
    return bool(text) and len(text) <= _HEADING_MAX and not _TERMINAL.search(text)


def _rest_text(node: _Node) -> str:
    first = node.lines[0]
    return join_wrapped_lines([first[0].text[node.marker_len :]] + [line.text for line in first[1:]])


def _marker_heading(node: _Node) -> str | None:
    """Heading-only items ("一、优化采购环节") and run-in headings ("（一）严格执行招标投标法规政策。…")."""
    rest = _rest_text(node)
    if _is_heading_only(rest):
        return rest
    match = _RUN_IN_HEADING.match(rest)
    return match.group(1) if match else None


def _parse_body(lines: list[_Line]) -> list[_Node]:
    nodes = _BodyParser().feed(lines)
    for node in _walk(nodes):
        if node.kind in ("annex", "subannex"):
            _set_annex_heading(node)
        elif node.kind not in ("preamble", "closing"):
            node.heading = _marker_heading(node)
    _move_signature(nodes)
    return nodes


def _set_annex_heading(node: _Node) -> None:
    """An annex's heading: the short unpunctuated paragraphs between "附件 1" and its first numbered item."""
    parts = [join_wrapped_lines([line.text for line in paragraph]) for paragraph in node.lines[1:]]
    if parts and all(len(part) <= _HEADING_MAX and not _TERMINAL.search(part) for part in parts):
        node.heading = "".join(parts)


def _move_signature(nodes: list[_Node]) -> None:
    """The signing bodies and date at the end of a document belong to its closing text, not to the last item."""
    last = _last_leaf(nodes)
    if last is None or last.kind == "closing" or len(last.lines) < 2:
        return
    tail = last.lines[-1]
    if not (len(tail) == 1 and _DATE_LINE.fullmatch(clean_text(tail[0].text))):
        return
    moved = 1
    while moved < min(3, len(last.lines) - 1) and _is_signatory(last.lines[-1 - moved]):
        moved += 1
    closing = _Node("closing", 0, "", None, lines=last.lines[-moved:])
    del last.lines[-moved:]
    nodes.append(closing)


def _is_signatory(paragraph: list[_Line]) -> bool:
    """A signature line: one short line of body names ("市人社局 市财政局 市国资委")."""
    text = paragraph[0].text
    return len(paragraph) == 1 and _width(text) < _SHORT_LINE and all(_SIGNATORY.search(name) for name in text.split())


def _last_leaf(nodes: list[_Node]) -> _Node | None:
    node = nodes[-1] if nodes else None
    while node is not None and node.children:
        node = node.children[-1]
    return node


def _walk(nodes: list[_Node]):
    for node in nodes:
        yield node
        yield from _walk(node.children)


def _signature(nodes: list[_Node]) -> tuple[str | None, date | None]:
    """Issuer and date signed at the end of the closing text, if any."""
    closing = next((node for node in nodes if node.kind == "closing"), None)
    if closing is None:
        return None, None
    texts = [join_wrapped_lines([line.text for line in paragraph]) for paragraph in closing.lines]
    dates = [i for i, text in enumerate(texts) if _DATE_LINE.fullmatch(text)]
    if not dates:
        return None, None
    at = dates[-1]
    signatories = []
    for paragraph in reversed(closing.lines[:at]):
        if not _is_signatory(paragraph):
            break
        signatories.insert(0, paragraph[0].text)
    issuer = "、".join(part for text in signatories for part in text.split()) or None
    return issuer, parse_cn_date(texts[at])


# --- provisions -------------------------------------------------------------------------------------------------


def _paragraphs(node: _Node) -> list[tuple[_Node, list[_Line]]]:
    """The node's paragraphs and its descendants', in document order, each with the node it belongs to."""
    paragraphs = [(node, paragraph) for paragraph in node.lines]
    for child in node.children:
        paragraphs.extend(_paragraphs(child))
    return sorted(paragraphs, key=lambda item: item[1][0].start)


def _node_text(node: _Node) -> str:
    """Full text of the node without its own marker; descendants keep theirs, one paragraph per line."""
    texts = []
    for owner, paragraph in _paragraphs(node):
        lines = [line.text for line in paragraph]
        prefix = ""
        if paragraph is owner.lines[0] and owner.marker_len:
            lines[0] = lines[0][owner.marker_len :]
            if owner is not node:
                prefix = owner.own_label + (" " if owner.kind in ("chapter", "article") else "")
        if owner.kind == "closing" and _is_signatory(paragraph):
            joined = " ".join(clean_text(name) for name in lines[0].split())
        else:
            joined = join_wrapped_lines(lines)
        if joined or prefix:
            texts.append((prefix + joined).strip())
    return "\n".join(texts)


def _level(node: _Node) -> str:
    if node.kind in _ITEM_KINDS:
        depth = 1
        parent = node.parent
        while parent is not None and parent.kind in _ITEM_KINDS:
            depth += 1
            parent = parent.parent
        return f"item{depth}"
    return {"subannex": "annex", "closing": "paragraph"}.get(node.kind, node.kind)


def _label(node: _Node) -> str:
    if node.kind == "preamble":
        return "序言"
    if node.kind == "closing":
        return "结尾"
    parts = []
    current: _Node | None = node
    while current is not None:
        if current.kind != "chapter" or current is node:
            parts.append(current.own_label)
        current = current.parent
    return "".join(reversed(parts))


def _provisions(doc_id: str, nodes: list[_Node]) -> list[Provision]:
    ordered = sorted(_walk(nodes), key=lambda node: node.lines[0][0].start)
    ids: dict[int, str] = {}
    seen: dict[str, int] = {}
    provisions = []
    for ordinal, node in enumerate(ordered):
        label = _label(node)
        seen[label] = seen.get(label, 0) + 1
        provision_id = f"{doc_id}/{label}" + (f"~{seen[label]}" if seen[label] > 1 else "")
        ids[id(node)] = provision_id
        last_paragraph = _paragraphs(node)[-1][1]
        provisions.append(
            Provision(
                id=provision_id,
                doc_id=doc_id,
                label=label,
                own_label=node.own_label,
                level=_level(node),
                heading=node.heading,
                text=_node_text(node),
                start=node.lines[0][0].start,
                end=last_paragraph[-1].end,
                parent_id=ids[id(node.parent)] if node.parent else None,
                ordinal=ordinal,
            )
        )
    return provisions


# --- document facts ---------------------------------------------------------------------------------------------


def _validity(text: str, issued: date | None) -> tuple[date | None, date | None]:
    start = None
    if match := _FROM_DATE.search(text):
        start = parse_cn_date(match.group(1))
    elif _FROM_ISSUE.search(text):
        start = issued
    until = None
    if match := _UNTIL_DATE.search(text):
        until = parse_cn_date(match.group(1))
    elif (match := _VALID_YEARS.search(text)) and start is not None:
        until = _add_years(start, cn_to_int(match.group(1))) - timedelta(days=1)
    return start, until


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _repeals(text: str) -> list[str]:
    repealed: list[str] = []
    for sentence in re.split(r"(?<=。)", text):
        if "废止" not in sentence:
            continue
        clause = sentence[: sentence.index("废止")]
        numbers = [number for number, _, _ in find_doc_numbers(clause)]
        repealed.extend(numbers or _TITLE_QUOTE.findall(clause))
    return repealed


def _beneficiaries(text: str) -> list[str]:
    counts = {name: len(pattern.findall(text)) for name, pattern in _BENEFICIARY_WORDS.items()}
    return [name for name, count in sorted(counts.items(), key=lambda kv: -kv[1]) if count >= _BENEFICIARY_MIN]


def _departments(text: str) -> list[str]:
    found: list[str] = []
    for match in _DEPARTMENT.finditer(text):
        name = match.group(0)
        if name not in found and not _NOT_DEPARTMENT.search(name[1:-1]):
            found.append(name)
    return found


def _merge_copies(documents: list[Document]) -> list[Document]:
    """One document per title: the copy with a 文号 (else the longest) is kept, the others become copies."""
    by_title: dict[str, list[Document]] = {}
    for document in documents:
        by_title.setdefault(document.title, []).append(document)
    merged = []
    for document in documents:
        group = by_title[document.title]
        if document is not group[0]:
            continue
        main = max(group, key=lambda d: (d.doc_number is not None, d.end - d.start))
        main.copies = [(other.start, other.end) for other in group if other is not main]
        merged.append(main)
    return merged
