"""The library on PostgreSQL: the same build and search as on SQLite, in a database of its own.

Runs when HUIQI_TEST_POSTGRES_URL is set (CI sets it; .ci/run starts PostgreSQL); under CI a missing
PostgreSQL is an error, not a skip.
"""

from __future__ import annotations

import os
import uuid
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from huiqi.search.engine import SearchIndex
from huiqi.storage import repo
from huiqi.storage.build import build_library
from huiqi.storage.db import session
from huiqi.storage.schema import ProvisionRow

SERVER = os.environ.get("HUIQI_TEST_POSTGRES_URL")
if os.environ.get("CI") and not SERVER:
    raise RuntimeError("CI needs PostgreSQL: .ci/run must export HUIQI_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not SERVER, reason="HUIQI_TEST_POSTGRES_URL is not set")


@pytest.fixture(scope="module")
def pg_url():
    name = f"huiqi_library_{uuid.uuid4().hex[:8]}"
    admin = create_engine(SERVER, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    yield url
    from huiqi.storage.db import engine

    engine(url).dispose()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_library_builds_idempotently_and_searches_on_postgres(pg_url):
    first = build_library(pg_url)
    second = build_library(pg_url)
    assert first == second and first["provisions"] > 900
    with session(pg_url) as db:
        assert db.scalar(select(func.count()).select_from(ProvisionRow)) == first["provisions"] + first["compilation_entries"]
        rd = repo.get_item(db, "jinkegui-2021-4", date(2023, 6, 1))
        assert rd["effective_until"] == "2024-12-31" and rd["status"] == "in_force"
        index = SearchIndex.load(db)
    hits = index.search("买机器人有补贴吗", limit=5, as_of=date(2026, 11, 24))
    assert any("机器人" in h["text"] for h in hits)
