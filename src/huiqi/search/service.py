"""One search index per process, loaded from the stored library on first use."""

from __future__ import annotations

from functools import cache

from huiqi.config import database_url
from huiqi.search.engine import SearchIndex
from huiqi.search.tokenize import warm_up
from huiqi.storage.db import require_library, session


def get_index(url: str | None = None) -> SearchIndex:
    """The index of the library at a URL (default: the configured one, read at each call)."""
    return _index(url or database_url())


@cache
def _index(url: str) -> SearchIndex:
    require_library(url)
    warm_up()
    with session(url) as db:
        return SearchIndex.load(db)
