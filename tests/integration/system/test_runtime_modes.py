"""The runtime mode follows the environment (DESIGN.md): no DATABASE_URL → a SQLite file under
the var directory in WAL mode; DATABASE_URL set → Postgres."""

from __future__ import annotations

from pathlib import Path

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from app.db import engine
from tests.conftest import BACKEND, VAR_DIR


async def test_the_database_is_the_one_the_environment_asks_for(app):
    db = engine()
    if BACKEND == "sqlite":
        assert isinstance(db, SQLiteEngine)
        assert Path(db.path).resolve().parent == VAR_DIR.resolve()
        rows = await db.run_ddl("PRAGMA journal_mode")
        assert rows[0]["journal_mode"] == "wal"  # readers never wait for the writer
    else:
        assert isinstance(db, PostgresEngine)
        rows = await db.run_ddl("SELECT current_database() AS name")
        assert rows[0]["name"].startswith("listbridge_test")
