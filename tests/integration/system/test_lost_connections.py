"""A database connection lost in the middle of a transaction goes back to the pool: Piccolo's
own transaction kept it for ever when its ROLLBACK failed, and a worker that had lived through
a few database restarts then waited for a free connection that never came."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from app.db import engine, transaction
from app.domain.contacts.tables import Contact
from app.settings import get_settings
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="the connection pool is Postgres's")


async def _a_transaction_losing_its_connection() -> None:
    async with transaction():
        await Contact.count()
        # The server ends this very connection, as a restarting database does.
        await engine().run_ddl("SELECT pg_terminate_backend(pg_backend_pid())")


async def test_a_transaction_whose_connection_dies_hands_it_back(db):
    for _ in range(get_settings().database.pool_size + 2):  # more than the pool holds
        with pytest.raises(asyncpg.ConnectionDoesNotExistError, match="terminating connection"):
            await _a_transaction_losing_its_connection()

    # The error that ended the transaction is the one raised (above), not the failed
    # rollback's; and with every connection back, the next query does not wait for one.
    assert await asyncio.wait_for(Contact.count(), timeout=10) == 0
