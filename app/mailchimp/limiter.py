"""At most N requests in flight per Mailchimp account (Mailchimp allows 10 connections per user).

`RedisConcurrencyLimiter` shares the cap across every process and machine: each holder owns a
lease in a sorted set scored by its expiry, so a crashed holder's slot frees itself.
`LocalConcurrencyLimiter` is the one-process stand-in for scripts and tests.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from redis.asyncio import Redis

MAILCHIMP_CONNECTION_LIMIT = 10


class ConcurrencyLimiter(Protocol):
    def slot(self, account_key: str) -> AbstractAsyncContextManager[None]:
        """Async context manager: hold one of the account's slots for the duration."""
        ...


class LocalConcurrencyLimiter:
    """An asyncio semaphore per account: correct only while one process talks to Mailchimp."""

    def __init__(self, *, limit: int = MAILCHIMP_CONNECTION_LIMIT) -> None:
        self.limit = limit
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def slot(self, account_key: str) -> AsyncIterator[None]:
        semaphore = self._semaphores.setdefault(account_key, asyncio.Semaphore(self.limit))
        async with semaphore:
            yield


# Reap expired leases, then add ours only if a slot is free: one atomic step on the server.
# Redis's own clock (TIME) scores leases so processes on different machines agree on expiry.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local lease_ms = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], now + lease_ms, ARGV[3])
if redis.call('PTTL', KEYS[1]) < lease_ms then
  redis.call('PEXPIRE', KEYS[1], lease_ms)
end
return 1
"""

_RELEASE = """
return redis.call('ZREM', KEYS[1], ARGV[1])
"""


class RedisConcurrencyLimiter:
    """A distributed, lease-based semaphore per account key.

    `lease_seconds` must exceed the longest request (the client checks it against its read
    timeout): a lease that outlives its holder only delays others, one that expires early lets an
    eleventh request through. Waiters poll with a short jittered sleep; no ordering is promised.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        limit: int = MAILCHIMP_CONNECTION_LIMIT,
        lease_seconds: float = 300.0,
        key_prefix: str = "listbridge:mailchimp:slots",
        poll_interval: float = 0.05,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.limit = limit
        self.lease_seconds = lease_seconds
        self.key_prefix = key_prefix
        self.poll_interval = poll_interval
        self._redis = redis
        self._acquire_script = redis.register_script(_ACQUIRE)
        self._release_script = redis.register_script(_RELEASE)

    def __repr__(self) -> str:
        return f"RedisConcurrencyLimiter(limit={self.limit}, lease_seconds={self.lease_seconds})"

    def _key(self, account_key: str) -> str:
        return f"{self.key_prefix}:{account_key}"

    async def try_acquire(
        self, account_key: str, *, lease_seconds: float | None = None
    ) -> str | None:
        """Take a slot if one is free; return its lease id, or None when all are held."""
        lease_id = uuid.uuid4().hex
        lease_ms = int((lease_seconds or self.lease_seconds) * 1000)
        taken = await self._acquire_script(
            keys=[self._key(account_key)], args=[self.limit, lease_ms, lease_id]
        )
        return lease_id if int(taken) == 1 else None

    async def acquire(self, account_key: str, *, lease_seconds: float | None = None) -> str:
        """Wait for a slot and return its lease id; pass it to `release`."""
        while True:
            lease_id = await self.try_acquire(account_key, lease_seconds=lease_seconds)
            if lease_id is not None:
                return lease_id
            # Jitter spreads waiters from many workers so they do not stampede together.
            await asyncio.sleep(self.poll_interval * (0.5 + random.random()))  # noqa: S311

    async def release(self, account_key: str, lease_id: str) -> None:
        await self._release_script(keys=[self._key(account_key)], args=[lease_id])

    async def holders(self, account_key: str) -> int:
        """Leases currently recorded for the account, expired ones included until reaped."""
        return int(await self._redis.zcard(self._key(account_key)))

    @asynccontextmanager
    async def slot(self, account_key: str) -> AsyncIterator[None]:
        lease_id = await self.acquire(account_key)
        try:
            yield
        finally:
            # Shielded so a cancelled request still hands its slot back.
            await asyncio.shield(self.release(account_key, lease_id))
