"""Chinese tokenisation for search: jieba with the domain dictionary, stop words and synonym groups.

The same function tokenises documents at build time and questions at query time, so a word a user
types and the word printed in the clause meet on the same token. Synonym groups add a canonical
token next to every member ("高企" and "高新技术企业" both also yield "高新技术企业").
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import cache
from importlib import resources

import jieba

_WORDISH = re.compile(r"[\w%]", re.UNICODE)


def _dict_text(name: str) -> str:
    return resources.files("huiqi.data").joinpath("dict", name).read_text(encoding="utf-8")


@cache
def _tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for line in _dict_text("domain.txt").splitlines():
        word, _, rest = line.strip().partition(" ")
        if word:
            tokenizer.add_word(_normalize(word), int(rest.split()[0]) if rest else None)
    for group in synonym_groups():
        for word in group:
            tokenizer.add_word(word)
    return tokenizer


@cache
def stopwords() -> frozenset[str]:
    return frozenset(_dict_text("stopwords.txt").split())


@cache
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    groups = []
    for line in _dict_text("synonyms.txt").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            groups.append(tuple(_normalize(word) for word in line.split()))
    return tuple(groups)


@cache
def _canonical() -> dict[str, tuple[str, ...]]:
    mapping: dict[str, list[str]] = {}
    for group in synonym_groups():
        for word in group:
            mapping.setdefault(word, []).append(group[0])
    return {word: tuple(canon) for word, canon in mapping.items()}


_BRACKETED_SET = re.compile(r"\(\s*套\s*\)")  # 首台(套) is printed with brackets jieba would split on


def _normalize(text: str) -> str:
    return _BRACKETED_SET.sub("套", unicodedata.normalize("NFKC", text).lower())


def _segments(text: str) -> list[str]:
    """Precise-mode words, each long word followed by the dictionary words inside it (专精特新小巨人 → 专精特新, 小巨人)."""
    tokenizer = _tokenizer()
    out: list[str] = []
    for word in tokenizer.cut(text):
        out.append(word)
        for size in range(len(word) - 1, 1, -1):
            for i in range(len(word) - size + 1):
                part = word[i : i + size]
                if tokenizer.FREQ.get(part):
                    out.append(part)
    return out


def words(text: str) -> list[str]:
    """Segmented words (search mode: long words also yield their parts), without stop words or punctuation."""
    stop = stopwords()
    return [w for w in _segments(_normalize(text)) if w.strip() and _WORDISH.search(w) and w not in stop]


def tokenize(text: str) -> list[str]:
    """Search tokens: the words plus the canonical token of every synonym group a word belongs to."""
    canonical = _canonical()
    tokens: list[str] = []
    for word in words(text):
        tokens.append(word)
        for canon in canonical.get(word, ()):
            if canon != word:
                tokens.append(canon)
    return tokens


def warm_up() -> None:
    """Load the dictionary now (about a second) rather than on the first query."""
    _tokenizer()
