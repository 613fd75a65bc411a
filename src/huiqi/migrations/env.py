"""Alembic environment: migrates only the adm_* tables, with its own version table, online only."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from huiqi.admin.models import AdminBase

VERSION_TABLE = "adm_alembic_version"  # apart from anything else living in the same database


def run() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    connectable = create_engine(url, poolclass=NullPool)
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=AdminBase.metadata,
            version_table=VERSION_TABLE,
            include_name=lambda name, kind, _parent: kind != "table" or name.startswith("adm_"),
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run()
