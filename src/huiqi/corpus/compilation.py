"""Parser for 天津市科技创新政策要点汇编（2020年版）: one CompilationEntry per 编号 of its three tables.

The text is a table export: one row per line, cells separated by tabs, cells holding HTML fragments
(`<p>`, unclosed `<ol>`). Sections 一 and 二 have six columns (支持类别, 编号, 政策名称, 基本条件,
资助措施 with 依据文件, 申报时间/主管处室/联系方式); section 三 has five (政策名称 = the reform document,
编号 like "1-1", 核心内容, 要点, 相关部门). Export damage handled here:

- header rows repeat on every page; a row with an empty 编号 continues the entry above;
- some rows lost their empty first cell and sit one column left (二-8, 二-29, 二-34), one continuation
  row has its cells scattered (under 二-28) — rows are realigned by content;
- 支持类别 is printed once per group and can be split over rows one character each ("其" / "他");
- in section 三 an entry can continue on the next page under a repeated 编号 (3-3).

Conventions: a 依据文件 document whose parentheses hold a 文号 gets it normalised ("津科规〔2019〕3号");
a law cited by its 主席令 number keeps that number as printed ("主席令第六十三号"); documents without a
number get doc_number None; "依据文件:同上" repeats the entry's earlier basis and is not repeated; text
in 依据文件 that names no document (e.g. a speech) yields no DocRef. In section 三 the reform document
is the entry's basis (basis_text, basis_refs), 要点 are its measures, 相关部门 its department; it has
no 支持类别, 基本条件, 申报时间 or phone, so those are empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from huiqi.corpus.model import CompilationEntry, DocRef, Document
from huiqi.corpus.text import CJK, find_doc_numbers, squeeze_cjk_spaces

COMPILATION_ID = "kjzc2020"
COMPILATION_TITLE = "天津市科技创新政策要点汇编（2020年版）"
COMPILATION_ISSUER = "天津市科学技术局"

_SECTION_HEADING = re.compile(r"^\s*([一二三])、(\S.*?)\s*$")
_ROW_NUMBER = re.compile(r"\d{1,3}(?:-\d{1,3})?")
_SUPPORT_COLUMNS = 6

# Item markers as printed: 1. 1、 (1) (一) ①. A marker only counts at the start or after whitespace.
_MARKER = r"(?:\d{1,2}[.、．](?!\d)|[(（](?:\d{1,2}|[一二三四五六七八九十]{1,3})[)）]|[①-⑳])"
_MARKER_SPLIT = re.compile(rf"\s+(?={_MARKER})")
_HAS_MARKER = re.compile(rf"(?:^|\s){_MARKER}")
_LEADING_MARKER = re.compile(rf"^{_MARKER}\s*")
_SEMICOLON_SPLIT = re.compile(r"(?<=[；;])\s+")
_SPACE_AFTER_ASCII_PUNCT = re.compile(rf"(?<=[,;:)\]])\s+(?=[{CJK}（《“(])")
_SPACE_BEFORE_ASCII_PUNCT = re.compile(rf"(?<=[{CJK}）》”])\s+(?=[(\[,;:])")
_SPACE_AROUND_BRACKET = re.compile(r"\s*([〔〕【】［］])\s*")
_PUNCTUATION = re.compile(r"[，,。；;：:、]")

# 依据文件 runs to the end of the cell, or to a 。 that more (non-basis) text follows.
_BASIS = re.compile(r"依据文件\s*[:：].*?(?:。(?=(?:\s|</?p>)*[^\s<])|$)", re.S)
_BASIS_PREFIX = re.compile(r"^依据文件\s*[:：]\s*")
_SAME_AS_ABOVE = "同上"
_PAREN = re.compile(r"[(（]\s*([^()（）]*?)\s*[)）]")
_BOOK_TITLE = re.compile(r"《([^《》]+)》")
_PRESIDENTIAL_ORDER = re.compile(r"主席令第[零〇一二三四五六七八九十百\d]+号")
_TITLE_SEPARATORS = "、；;"

_PHONE = re.compile(r"(?:0\d{2,3}-)?\d{7,8}|1\d{10}")
_NAME_BEFORE_PHONE = re.compile(rf"(?<=[{CJK}])(?=\d{{7,}})")
_PERSON = re.compile(rf"[{CJK}]{{2,3}}")
_ORGANISATION_SUFFIXES = ("局", "委", "办", "公司", "中心")
_UNIT_SUFFIXES = ("处", "室")
_DEPARTMENT_BOUNDARY = re.compile(r"、|(?<=[局委办门心协部])(?=市|科研)")


@dataclass
class _Row:
    cells: list[str]
    start: int
    end: int


@dataclass
class _Group:
    """The rows of one entry, before their cells are merged."""

    section: str
    section_title: str
    number: str
    first_cell: str  # 支持类别 (sections 一, 二) or the reform document (section 三), carried down
    rows: list[_Row] = field(default_factory=list)


def parse_compilation(text: str, source_file: str) -> tuple[Document, list[CompilationEntry]]:
    """The compilation as a Document (without provisions) and its entries in file order."""
    groups = _group_rows(text)
    if not groups:
        raise ValueError(f"{source_file} 中未找到《{COMPILATION_TITLE}》的表格")
    document = Document(
        id=COMPILATION_ID,
        title=COMPILATION_TITLE,
        doc_number=None,
        issuer=COMPILATION_ISSUER,
        issued=None,  # the cover only says "2020.6"
        effective_from=None,
        effective_until=None,
        source_file=source_file,
        start=0,
        end=len(text),
    )
    entries = [_build_entry(group, ordinal) for ordinal, group in enumerate(groups)]
    return document, entries


# --- rows and groups ---------------------------------------------------------------------------


def _group_rows(text: str) -> list[_Group]:
    groups: list[_Group] = []
    for section, title, rows in _section_tables(text):
        if len(rows[0].cells) == _SUPPORT_COLUMNS:
            groups.extend(_support_groups(section, title, rows))
        else:
            groups.extend(_reform_groups(section, title, rows))
    return groups


def _section_tables(text: str) -> list[tuple[str, str, list[_Row]]]:
    """(section, section title, data rows) per section; header rows and non-table lines dropped."""
    tables: list[tuple[str, str, list[_Row]]] = []
    offset = 0
    for line in text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        heading = _SECTION_HEADING.match(line)
        if heading and "\t" not in line:
            tables.append((heading.group(1), heading.group(2), []))
            continue
        if not tables or "\t" not in line:
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if cells[1] == "编号":
            continue
        tables[-1][2].append(_Row(cells, start, start + len(line)))
    return [table for table in tables if table[2]]


def _support_groups(section: str, title: str, rows: list[_Row]) -> list[_Group]:
    for row in rows:
        row.cells = _align_support_row(row.cells)
        row.cells[0] = _tidy(row.cells[0])
    _join_split_categories(rows)
    groups: list[_Group] = []
    category = ""
    for row in rows:
        category = row.cells[0] or category
        if row.cells[1]:
            groups.append(_Group(section, title, row.cells[1], category))
        elif not groups:
            raise ValueError(f"第{section}部分的第一行缺少编号：{row.cells!r}")
        groups[-1].rows.append(row)
    return groups


def _align_support_row(cells: list[str]) -> list[str]:
    """Put a row's cells back under their headers when the export shifted them."""
    cells = (cells + [""] * _SUPPORT_COLUMNS)[:_SUPPORT_COLUMNS]
    category, number, name = cells[0], cells[1], cells[2]
    if _ROW_NUMBER.fullmatch(category) and name and not _ROW_NUMBER.fullmatch(number):
        # The empty 支持类别 cell is missing: every cell sits one column to the left.
        if cells[-1]:
            raise ValueError(f"无法对齐的表格行：{cells!r}")
        return ["", *cells[:-1]]
    if category and not number and not _looks_like_category(category):
        # A continuation row whose cells slid left: in order they are 基本条件, 资助措施, 申报时间….
        values = [cell for cell in cells if cell]
        return ["", "", "", *values, *[""] * (3 - len(values))]
    return cells


def _looks_like_category(cell: str) -> bool:
    text = _tidy(cell)
    return len(text) <= 12 and not _PUNCTUATION.search(text)


def _join_split_categories(rows: list[_Row]) -> None:
    """Join a 支持类别 printed one character per row ("其", "他") into one label on its first row."""
    labelled = [row for row in rows if row.cells[0]]
    index = 0
    while index < len(labelled):
        end = index
        while end < len(labelled) and len(labelled[end].cells[0]) == 1:
            end += 1
        if end - index > 1:
            labelled[index].cells[0] = "".join(row.cells[0] for row in labelled[index:end])
            for row in labelled[index + 1 : end]:
                row.cells[0] = ""
        index = max(end, index + 1)


def _reform_groups(section: str, title: str, rows: list[_Row]) -> list[_Group]:
    groups: list[_Group] = []
    document = ""
    for row in rows:
        document = row.cells[0] or document
        number = row.cells[1]
        # A repeated 编号 after a page break continues the entry (三 3-3).
        if number and (not groups or number != groups[-1].number):
            groups.append(_Group(section, title, number, document))
        elif not groups:
            raise ValueError(f"第{section}部分的第一行缺少编号：{row.cells!r}")
        groups[-1].rows.append(row)
    return groups


# --- entries -----------------------------------------------------------------------------------


def _build_entry(group: _Group, ordinal: int) -> CompilationEntry:
    label = f"{group.section}-{group.number}"
    common = dict(
        id=f"{COMPILATION_ID}/{label}",
        section=group.section,
        section_title=group.section_title,
        number=group.number,
        label=label,
        start=group.rows[0].start,
        end=group.rows[-1].end,
        ordinal=ordinal,
    )
    if len(group.rows[0].cells) == _SUPPORT_COLUMNS:
        return CompilationEntry(**common, **_support_fields(group))
    return CompilationEntry(**common, **_reform_fields(group))


def _support_fields(group: _Group) -> dict[str, Any]:
    names = _unique(_tidy(row.cells[2]) for row in group.rows if row.cells[2])
    conditions: list[str] = []
    measures: list[str] = []
    basis: list[str] = []
    times: list[str] = []
    departments: list[str] = []
    contacts: list[str] = []
    for row in group.rows:
        # An entry covering several named policies (二-35) says which lines belong to which.
        heading = [f"{_tidy(row.cells[2])}："] if len(names) > 1 and row.cells[2] else []
        row_conditions = _cell_lines(row.cells[3])
        row_measures, row_basis = _split_basis(row.cells[4])
        if row_conditions:
            conditions += heading + row_conditions
        if row_measures:
            measures += heading + row_measures
        basis += [segment for segment in row_basis if _BASIS_PREFIX.sub("", segment) != _SAME_AS_ABOVE]
        row_times, row_departments, row_contacts = _parse_contact_cell(row.cells[5])
        times += row_times
        departments += row_departments
        contacts += row_contacts
    basis = _unique(basis)
    return dict(
        category=group.first_cell,
        name="、".join(names),
        conditions="\n".join(conditions),
        measures="\n".join(measures),
        basis_text="\n".join(basis),
        basis_refs=_unique_refs(ref for segment in basis for ref in _doc_refs(_BASIS_PREFIX.sub("", segment))),
        application_time="；".join(_unique(times)),
        department="、".join(_unique(departments)),
        contact="、".join(_unique(contacts)),
    )


def _reform_fields(group: _Group) -> dict[str, Any]:
    basis_text = _tidy(_strip_tags(group.first_cell))
    return dict(
        category="",
        name=_tidy(group.rows[0].cells[2]),
        conditions="",
        measures="\n".join(line for row in group.rows for line in _cell_lines(row.cells[3])),
        basis_text=basis_text,
        basis_refs=_doc_refs(basis_text),
        application_time="",
        department=_join_departments(name for row in group.rows for name in _department_list(row.cells[4])),
        contact="",
    )


def _join_departments(names: Iterable[str]) -> str:
    """Departments of all rows, once each; when a row's list ends with 等, the joined list does."""
    names = list(names)
    open_ended = any(name.endswith("等") for name in names)
    return "、".join(_unique(name.removesuffix("等") for name in names)) + ("等" if open_ended else "")


# --- cell text ---------------------------------------------------------------------------------


class _BlockParser(HTMLParser):
    """Splits an HTML cell into blocks: (text, whether it sits directly inside a list without <li>)."""

    _BLOCK_TAGS = frozenset({"p", "ol", "ul", "li", "div", "br"})
    _LIST_TAGS = frozenset({"ol", "ul"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, bool]] = []
        self._buffer: list[str] = []
        self._bare_list = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK_TAGS:
            self._flush()
            self._bare_list = tag in self._LIST_TAGS

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCK_TAGS:
            self._flush()
            self._bare_list = False

    def handle_data(self, data: str) -> None:
        self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        text = " ".join("".join(self._buffer).split())
        if text:
            self.blocks.append((text, self._bare_list))
        self._buffer = []


def _html_blocks(cell: str) -> list[tuple[str, bool]]:
    parser = _BlockParser()
    parser.feed(cell)
    parser.close()
    return parser.blocks


def _cell_lines(cell: str) -> list[str]:
    """A cell as clean lines: one per <p>, list item or printed item marker."""
    return [line for text, bare_list in _html_blocks(cell) for line in _block_lines(text, bare_list)]


def _block_lines(text: str, bare_list: bool) -> list[str]:
    if bare_list and not _HAS_MARKER.search(text):
        items = [item for item in _SEMICOLON_SPLIT.split(text) if item]
        if len(items) > 1:
            return [f"{number}. {_tidy(item)}" for number, item in enumerate(items, 1)]
    return [_tidy(part) for part in _MARKER_SPLIT.split(text) if part.strip()]


def _strip_tags(cell: str) -> str:
    return " ".join(text for text, _ in _html_blocks(cell))


def _tidy(text: str) -> str:
    """One line of clean text: single spaces, no stray spaces between Chinese characters or around punctuation."""
    text = squeeze_cjk_spaces(" ".join(text.split()))
    text = _SPACE_AROUND_BRACKET.sub(r"\1", text)
    text = _SPACE_AFTER_ASCII_PUNCT.sub("", text)
    return _SPACE_BEFORE_ASCII_PUNCT.sub("", text)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


# --- 资助措施 and 依据文件 ---------------------------------------------------------------------------


def _split_basis(cell: str) -> tuple[list[str], list[str]]:
    """(measure lines, 依据文件 segments) of a 资助措施 cell."""
    pieces: list[str] = []
    segments: list[str] = []
    position = 0
    for match in _BASIS.finditer(cell):
        pieces.append(cell[position : match.start()])
        segments.append(_tidy(_strip_tags(match.group(0))))
        position = match.end()
    pieces.append(cell[position:])
    # A removed segment ends a block, so measures before and after it stay separate lines.
    return _cell_lines("<p>".join(pieces)), segments


def _doc_refs(text: str) -> list[DocRef]:
    """Documents named in a 依据文件 text: 《title》(文号), 《title》, or a bare title followed by (文号)."""
    titles = [(m.start(), m.end(), m.group(1)) for m in _BOOK_TITLE.finditer(text)]
    claimed: set[int] = set()
    found: list[tuple[int, DocRef]] = []
    item_start = 0
    for paren in _PAREN.finditer(text):
        number = _doc_number(paren.group(1))
        if number is None:
            continue
        book = next((t for t in titles if item_start <= t[0] and _only_space_between(text, t[1], paren.start())), None)
        if book is not None:
            claimed.add(book[0])
            found.append((book[0], DocRef(number, _clean_title(book[2]))))
        else:
            title_start = _bare_title_start(text, item_start, paren.start())
            claimed.update(t[0] for t in titles if title_start <= t[0] < paren.start())
            title = _LEADING_MARKER.sub("", text[title_start : paren.start()].strip())
            found.append((title_start, DocRef(number, _clean_title(title))))
        item_start = paren.end()
    found += [(start, DocRef(None, _clean_title(title))) for start, _, title in titles if start not in claimed]
    return _unique_refs(ref for _, ref in sorted(found, key=lambda item: item[0]))


def _only_space_between(text: str, start: int, end: int) -> bool:
    return start <= end and not text[start:end].strip()


def _doc_number(text: str) -> str | None:
    """The normalised 文号 when the parenthesised text is exactly one, else None ("境", "试行")."""
    text = text.strip()
    if _PRESIDENTIAL_ORDER.fullmatch(text):
        return text
    numbers = find_doc_numbers(text)
    if len(numbers) == 1 and numbers[0][1] == 0 and numbers[0][2] == len(text):
        return numbers[0][0]
    return None


def _bare_title_start(text: str, lower: int, upper: int) -> int:
    """Where a title without 《》 begins: after the last separator outside 《》 before its 文号."""
    depth = 0
    start = lower
    for index in range(lower, upper):
        char = text[index]
        depth += (char == "《") - (char == "》")
        if depth == 0 and char in _TITLE_SEPARATORS:
            start = index + 1
    return start


def _clean_title(title: str) -> str:
    return re.sub(r"\s+", "", squeeze_cjk_spaces(title.replace("《", "").replace("》", "")))


def _unique_refs(refs: Iterable[DocRef]) -> list[DocRef]:
    unique: dict[str, DocRef] = {}
    for ref in refs:
        unique.setdefault(ref.doc_number or ref.title, ref)
    return list(unique.values())


# --- 申报时间、主管处室、联系方式 and 相关部门 ----------------------------------------------------------


def _parse_contact_cell(cell: str) -> tuple[list[str], list[str], list[str]]:
    """(申报时间 phrases, 主管处室, phone contacts) of the last column, told apart by content."""
    text = _NAME_BEFORE_PHONE.sub(" ", _strip_tags(cell))
    tokens = [token for token in (word.strip(";；,，") for word in text.split()) if token]
    kinds = [_token_kind(token, following) for token, following in zip(tokens, [*tokens[1:], ""])]
    times: list[str] = []
    departments: list[str] = []
    contacts: list[str] = []
    organisation = person = ""
    for index, (token, kind) in enumerate(zip(tokens, kinds)):
        previous = kinds[index - 1] if index else ""
        following = kinds[index + 1] if index + 1 < len(kinds) else ""
        if kind == "time" and previous == "time":
            # Words stay apart: "绩效评估时间为5-6月 备案时间为9-10月" are two dates of one cell.
            times[-1] += f" {token}"
        elif kind == "time":
            times.append(token)
        elif kind == "organisation":
            organisation = token
            if following != "unit":
                departments.append(token)
        elif kind == "unit":
            # A bare 处 after another one's phone belongs to the same 局: "市人社局 就业促进处 … 失业保险处".
            departments.append(organisation + token)
        elif kind == "person":
            person = token
        else:
            contacts.append(f"{person} {token}" if person else token)
            person = ""
    return times, departments, contacts


def _token_kind(token: str, following: str) -> str:
    if _PHONE.fullmatch(token):
        return "phone"
    if token.endswith(_UNIT_SUFFIXES):
        return "unit"
    if token.endswith(_ORGANISATION_SUFFIXES):
        return "organisation"
    if _PERSON.fullmatch(token) and _PHONE.fullmatch(following):
        return "person"
    return "time"


def _department_list(cell: str) -> list[str]:
    """相关部门 names: the export wrapped them mid-name and sometimes dropped the 、 between two."""
    text = re.sub(r"\s+", "", _strip_tags(cell))
    return [name for name in _DEPARTMENT_BOUNDARY.split(text) if name]
