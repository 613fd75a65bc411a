"""Engine and session helpers."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from huiqi import config


class DatabaseMissing(RuntimeError):
    """The library has not been built in this database yet."""


def engine(url: str | None = None) -> Engine:
    """The engine for a URL (default: the configured one, read at each call), one per URL per process."""
    return _engine(url or config.database_url())


@cache
def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
    eng = create_engine(url, future=True)
    if eng.dialect.name == "sqlite":
        event.listen(eng, "connect", _sqlite_pragmas)
    return eng


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def session(url: str | None = None) -> Session:
    return sessionmaker(engine(url), expire_on_commit=False)()


def require_library(url: str | None = None) -> None:
    """Raise DatabaseMissing unless `huiqi init` has built the library in this database."""
    if not inspect(engine(url)).has_table("provisions"):
        raise DatabaseMissing("政策库尚未建立：请先运行 huiqi init")
