"""Engines and transactions for the administration tables (same database URL as the library).

PostgreSQL: READ COMMITTED with row locks (SELECT … FOR UPDATE) on the call row whenever money is
allocated or paid, and on the application row for every transition, so concurrent officers serialise
on exactly the rows they change. SQLite (the embedded one-person default) has no row locks: every
transaction starts with BEGIN IMMEDIATE, which takes the database's write lock up front, so a
read-then-write can never interleave with another writer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from huiqi import config


class AdminDatabaseMissing(RuntimeError):
    """The admin tables have not been created in this database."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@cache
def engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # 50 concurrent clients on a 40-thread server: the pool must not be the bottleneck
    return create_engine(url, pool_size=20, max_overflow=30, pool_pre_ping=True, pool_timeout=60)


def ensure_sqlite_folder(url: str) -> None:
    path = url.removeprefix("sqlite:///")
    if url.startswith("sqlite:///") and path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_engine(url: str) -> Engine:
    ensure_sqlite_folder(url)
    eng = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(eng, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # let us emit BEGIN ourselves (pysqlite's own BEGIN is deferred)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(eng, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return eng


def current_engine() -> Engine:
    return engine(config.database_url())


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on any exception."""
    factory = sessionmaker(current_engine(), expire_on_commit=False)
    with factory() as db, db.begin():
        yield db


_migrated: set[str] = set()
_migrating = threading.Lock()


def require_schema() -> None:
    """Make sure the admin tables exist (checked once per URL). The embedded SQLite default migrates itself,
    so one person needs no extra step; a shared server database is migrated only by `huiqi admin migrate`."""
    url = config.database_url()
    if url in _migrated:
        return
    with _migrating:
        if not inspect(engine(url)).has_table("adm_audit"):
            if not url.startswith("sqlite"):
                raise AdminDatabaseMissing("管理数据库尚未初始化：请先运行 huiqi admin migrate")
            from huiqi.admin.migrate import upgrade

            upgrade(url)
        _migrated.add(url)
