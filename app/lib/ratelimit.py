"""Fixed-window attempt counters in Redis, shared by every web replica."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class AttemptLimit:
    redis: Redis
    scope: str
    limit: int
    window_seconds: int

    def _key(self, subject: str) -> str:
        digest = hashlib.sha256(subject.lower().encode()).hexdigest()[:32]
        return f"listbridge:ratelimit:{self.scope}:{digest}"

    async def blocked_for(self, subject: str) -> int:
        """Seconds until `subject` may try again; 0 when it may try now."""
        key = self._key(subject)
        count = await self.redis.get(key)
        if count is None or int(count) < self.limit:
            return 0
        return max(1, await self.redis.ttl(key))

    async def fail(self, subject: str) -> None:
        key = self._key(subject)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.window_seconds, nx=True)
            await pipe.execute()

    async def reset(self, subject: str) -> None:
        await self.redis.delete(self._key(subject))
