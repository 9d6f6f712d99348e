"""Database engine selection and the mixins every table shares.

No `DATABASE_URL` means the embedded SQLite file `var/listbridge.sqlite3` in WAL mode;
otherwise Postgres through asyncpg. Tables never name an engine: Piccolo finds it in
`piccolo_conf.py`, which calls `create_engine()`.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from piccolo.columns import Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from piccolo.engine.base import Engine

    from app.settings import Settings


logger = logging.getLogger(__name__)


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


def sqlite_path(settings: Settings) -> str:
    return str(settings.app.var_dir / "listbridge.sqlite3")


class _PooledTransaction(PostgresTransaction):
    """Piccolo's own leaves the pooled connection acquired for ever when ROLLBACK or COMMIT
    fails, as both do once the database connection has dropped: a worker that lived through a
    few database restarts ran out of connections (and its shutdown waited on them). This one
    always hands the connection back; a rollback that fails on a dead connection is moot (the
    server rolls back what it loses), so the error that caused it is the one that propagates."""

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    try:
                        await self.rollback()
                    except Exception as rollback_error:
                        logger.warning(
                            "rollback failed", extra={"error": type(rollback_error).__name__}
                        )
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            try:
                if self.engine.pool:
                    await self.engine.pool.release(self.connection)
                else:
                    await self.connection.close()
            finally:
                self.engine.current_transaction.reset(self.context)
        return exception is None


class _PostgresEngine(PostgresEngine):
    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _PooledTransaction(engine=self, allow_nested=allow_nested)


def create_engine(settings: Settings) -> Engine:
    if settings.database.is_postgres:
        return _PostgresEngine(config={"dsn": settings.database.url})
    settings.app.var_dir.mkdir(parents=True, exist_ok=True)
    # A generous busy timeout: SQLite serialises writers, and a worker may hold the lock briefly.
    return SQLiteEngine(path=sqlite_path(settings), timeout=30)


def engine() -> Engine:
    found = engine_finder()
    if found is None:  # pragma: no cover - piccolo_conf.py always defines DB
        raise RuntimeError("No Piccolo engine configured (piccolo_conf.DB)")
    return found


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


async def open_database(settings: Settings) -> None:
    """Start-up: WAL for SQLite (readers never wait for the writer), a pool for Postgres."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        await db.run_ddl("PRAGMA journal_mode=WAL")
    elif db.pool is None:  # the in-process worker shares the web app's pool
        await db.start_connection_pool(
            min_size=1, max_size=settings.database.pool_size, command_timeout=60
        )


async def close_database() -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()


# SQLite has one writer at a time, and a writer that finds the file locked sleeps in growing
# steps before trying again; under bursts that polling, not the writes, is what costs time.
# Writers of this process therefore take turns on a lock first, so each starts the moment the
# previous one ends. (Other processes still meet SQLite's own busy timeout.) Postgres: no-op.
_write_lock: asyncio.Lock | None = None
_holding_write_turn: ContextVar[bool] = ContextVar("holding_write_turn", default=False)


@asynccontextmanager
async def write_turn() -> AsyncIterator[None]:
    global _write_lock
    if not is_sqlite() or _holding_write_turn.get():
        yield  # Postgres, or already this task's turn (a nested transaction)
        return
    if _write_lock is None:
        _write_lock = asyncio.Lock()
    async with _write_lock:
        token = _holding_write_turn.set(True)
        try:
            yield
        finally:
            _holding_write_turn.reset(token)


_after_commit: ContextVar[list[Callable[[], Awaitable[Any]]] | None] = ContextVar(
    "after_commit", default=None
)


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """A write transaction. On SQLite it waits for this process's turn, then takes the write
    lock up front (BEGIN IMMEDIATE) so it cannot fail part-way on a lock another writer holds.
    Nested calls join the outermost transaction; `after_commit` work runs once it commits."""
    if _after_commit.get() is not None:
        async with engine().transaction():  # Piccolo treats a nested transaction as a no-op
            yield
        return
    callbacks: list[Callable[[], Awaitable[Any]]] = []
    token = _after_commit.set(callbacks)
    db = engine()
    try:
        if isinstance(db, SQLiteEngine):
            async with write_turn(), db.transaction(transaction_type=TransactionType.immediate):
                yield
        else:
            async with db.transaction():
                yield
    finally:
        _after_commit.reset(token)
    for callback in callbacks:  # only reached when the transaction committed
        await callback()


async def after_commit(callback: Callable[[], Awaitable[Any]]) -> None:
    """Run `callback` once the current transaction commits (now, outside one): work that must
    see the transaction's rows, like a job reading what was just written, waits for them."""
    pending = _after_commit.get()
    if pending is None:
        await callback()
    else:
        pending.append(callback)


class Timestamped:
    """Mixin: every table records when a row was created and last changed."""

    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), auto_update=utcnow)


class SoftDeletable:
    """Mixin: rows are hidden by the services, never destroyed (Piccolo Admin still shows them)."""

    soft_deleted_at = Timestamptz(null=True, default=None, index=True)
