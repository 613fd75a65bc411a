"""Alembic migrations of the administration tables (run with `huiqi admin migrate`)."""
