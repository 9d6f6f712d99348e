"""Taking turns to write, on SQLite only.

SQLite has one writer at a time; a writer that finds the lock taken sleeps in growing steps
(up to 100 ms) before trying again. Under a burst of deliveries that polling, not the writes,
is what costs time. Queueing inbound writers of this process on an asyncio lock first lets
each write start the moment the previous one ends. Postgres needs none of this.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from app.db import is_sqlite

_turn: asyncio.Lock | None = None


@contextlib.asynccontextmanager
async def write_turn() -> AsyncIterator[None]:
    global _turn
    if not is_sqlite():
        yield
        return
    if _turn is None:
        _turn = asyncio.Lock()
    async with _turn:
        yield
