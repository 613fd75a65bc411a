"""Where huiqi keeps its data: HUIQI_DATABASE_URL (any SQLAlchemy URL), else SQLite under HUIQI_HOME (default ~/.huiqi)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("HUIQI_HOME") or Path.home() / ".huiqi")


def database_url() -> str:
    url = os.environ.get("HUIQI_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{home() / 'huiqi.db'}"
