"""Live progress: jobs publish small events on a channel; the browser gets them over SSE.

Publishing goes through Redis pub/sub with the same backend (and key scheme) as the web app's
ChannelsPlugin, so a worker in another process — or on another machine — reaches every web
replica's subscribers.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from app.lib.redis import shared_client

logger = logging.getLogger(__name__)

CHANNEL_KEY_PREFIX = "listbridge:channels"


def backend(redis=None) -> RedisChannelsPubSubBackend:
    return RedisChannelsPubSubBackend(redis=redis or shared_client(), key_prefix=CHANNEL_KEY_PREFIX)


_backend: RedisChannelsPubSubBackend | None = None


async def publish(channel: str, event: dict[str, Any]) -> None:
    """Best effort: a lost progress event must never fail the work it describes."""
    global _backend
    if _backend is None:
        _backend = backend()
    try:
        await _backend.publish(json.dumps(event, default=str).encode(), [channel])
    except Exception:
        logger.warning("could not publish progress", extra={"channel": channel}, exc_info=True)


def reset() -> None:
    """Forget the backend (its Redis client closes with the process's shared client)."""
    global _backend
    _backend = None
