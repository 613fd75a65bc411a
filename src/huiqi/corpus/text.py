"""Small text utilities shared by the corpus parsers: 文号, Chinese numerals and dates, width and spacing."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}

CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{CJK}，。、；：？！（）《》“”‘’〔〕【】])[ \t\u3000]+(?=[{CJK}，。、；：？！（）《》“”‘’〔〕【】])")

# 津政办规〔2022〕4 号, (国科发火〔2016〕32号), 津规资利用函〔2020〕427 — brackets vary: 〔〕 [] 【】 ［］
_DOC_NUMBER = re.compile(
    rf"([{CJK}A-Za-z]{{1,12}})\s*[〔\[【［(（]\s*((?:19|20)\d\d)\s*[〕\]】］)）]\s*(\d{{1,4}})\s*(号?)"
)


def cn_to_int(text: str) -> int:
    """Convert a Chinese numeral ("十七", "二十九", "一百零二") or ASCII digits to an int."""
    text = text.strip()
    if text.isdigit():
        return int(unicodedata.normalize("NFKC", text))
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        raise ValueError(f"不是中文数字：{text!r}")
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        else:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
    return total + current


def normalize_doc_number(raw: str) -> str:
    """Canonical form of a 文号: no spaces, 〔〕 brackets, trailing 号 — "津政办规〔2022〕4 号" → "津政办规〔2022〕4号"."""
    match = _DOC_NUMBER.search(raw)
    if not match:
        raise ValueError(f"无法识别的文号：{raw!r}")
    prefix, year, serial, _ = match.groups()
    return f"{prefix}〔{year}〕{int(serial)}号"


def find_doc_numbers(text: str) -> list[tuple[str, int, int]]:
    """Every 文号 in the text, normalised, with its span."""
    return [(normalize_doc_number(m.group(0)), m.start(), m.end()) for m in _DOC_NUMBER.finditer(text)]


def to_halfwidth_digits(text: str) -> str:
    """Full-width digits, letters and percent signs to ASCII; Chinese punctuation is kept as printed."""
    return "".join(
        unicodedata.normalize("NFKC", ch) if ("０" <= ch <= "９" or "Ａ" <= ch <= "ｚ" or ch == "％") else ch
        for ch in text
    )


def squeeze_cjk_spaces(text: str) -> str:
    """Remove the stray spaces the PDF export leaves between Chinese characters ("总 则" → "总则")."""
    return _SPACE_BETWEEN_CJK.sub("", text)


_CN_DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def parse_cn_date(text: str) -> date | None:
    """The first date written as "2021 年 9 月 27 日" in the text, or None."""
    match = _CN_DATE.search(to_halfwidth_digits(text))
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    return date(year, month, day)


def find_cn_dates(text: str) -> list[tuple[date, int, int]]:
    """Every "YYYY年M月D日" date in the text with its span (spans index the half-width text, same length)."""
    half = to_halfwidth_digits(text)
    return [(date(int(m[1]), int(m[2]), int(m[3])), m.start(), m.end()) for m in _CN_DATE.finditer(half)]


_PAGE_MARKER = re.compile(r"[-－—]\s*\d{1,4}\s*[-－—]")
_CJK_OR_PUNCT = rf"{CJK}，。、；：？！（）《》“”‘’〔〕【】"
_SPACE_CJK_ALNUM = re.compile(
    rf"(?<=[{_CJK_OR_PUNCT}])[ \t\u3000]+(?=[0-9A-Za-z%‰])|(?<=[0-9A-Za-z%‰])[ \t\u3000]+(?=[{_CJK_OR_PUNCT}])"
)
_SPACE_BEFORE_PERCENT = re.compile(r"(?<=\d)[ \t\u3000]+(?=[%‰])")
_SPACE_RUN = re.compile(r"[ \t\u3000]{2,}")
_ASCII_PUNCT_IN_CJK = re.compile(rf"(?<=[{CJK}])[,;](?=[{CJK}“])")
_FULL_WIDTH_PUNCT = {",": "，", ";": "；"}


def is_page_marker(line: str) -> bool:
    """True for the page numbers the PDF export leaves on their own line ("- 28 -")."""
    return _PAGE_MARKER.fullmatch(line.strip()) is not None


def clean_text(text: str) -> str:
    """Repair one run of text: ASCII digits, no stray spaces around Chinese ("2021 年 9 月" → "2021年9月"),
    ASCII comma and semicolon between Chinese characters made full-width."""
    text = squeeze_cjk_spaces(to_halfwidth_digits(text))
    text = _SPACE_BEFORE_PERCENT.sub("", _SPACE_CJK_ALNUM.sub("", text))
    text = _ASCII_PUNCT_IN_CJK.sub(lambda m: _FULL_WIDTH_PUNCT[m.group(0)], text)
    return _SPACE_RUN.sub(" ", text).strip()


def join_wrapped_lines(lines: list[str]) -> str:
    """One paragraph from its printed lines: wrapped lines (and numbers split across them) joined, then cleaned.

    "给予项目总投资 3" + "0%的支持" → "给予项目总投资30%的支持"; "20" + "21 年" → "2021年".
    """
    return clean_text("".join(line.strip() for line in lines))
