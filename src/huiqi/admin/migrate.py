"""Running the Alembic migrations from Python (`huiqi admin migrate`), against HUIQI_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from huiqi import config
from huiqi.admin.db import ensure_sqlite_folder

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or config.database_url()).replace("%", "%%"))  # configparser interpolation
    return cfg


def upgrade(url: str | None = None) -> None:
    ensure_sqlite_folder(url or config.database_url())
    command.upgrade(alembic_config(url), "head")


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    eng = create_engine(url or config.database_url(), poolclass=NullPool)
    with eng.connect() as connection:
        return MigrationContext.configure(connection, opts={"version_table": "adm_alembic_version"}).get_current_revision()
