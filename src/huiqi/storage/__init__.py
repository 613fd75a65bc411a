"""Storage: the library in a SQL database through SQLAlchemy (SQLite by default, PostgreSQL when configured)."""
