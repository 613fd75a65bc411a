"""One search index per process, loaded from the stored library on first use."""

from __future__ import annotations

from functools import cache

from huiqi.search.engine import SearchIndex
from huiqi.search.tokenize import warm_up
from huiqi.storage.db import require_library, session


@cache
def get_index(url: str | None = None) -> SearchIndex:
    require_library(url)
    warm_up()
    with session(url) as db:
        return SearchIndex.load(db)
