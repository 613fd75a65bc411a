"""Shared fixtures: one library built into a temporary SQLite database per test session."""

from __future__ import annotations

from datetime import date

import pytest

from huiqi.search.engine import SearchIndex
from huiqi.storage.build import build_library
from huiqi.storage.db import session


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'huiqi.db'}"
    build_library(url)
    return url


@pytest.fixture(scope="session")
def index(db_url) -> SearchIndex:
    with session(db_url) as db:
        return SearchIndex.load(db)


@pytest.fixture()
def huiqi_env(db_url, monkeypatch, tmp_path):
    """Point the CLI at the session's database."""
    monkeypatch.setenv("HUIQI_DATABASE_URL", db_url)
    monkeypatch.setenv("HUIQI_HOME", str(tmp_path))
    return db_url


TODAY = date(2026, 11, 24)
