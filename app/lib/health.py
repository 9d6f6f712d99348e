"""`GET /healthz`: is this replica able to serve? (database reachable, queue reachable)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from litestar import MediaType, Response, get

from app.db import engine
from app.lib import queue

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)


async def _database() -> str:
    try:
        await engine().run_ddl("SELECT 1")
    except Exception:
        logger.exception("health check: database unreachable")
        return "unavailable"
    return "ok"


async def _queue(redis: Redis) -> dict[str, object]:
    try:
        await redis.ping()
        info = await queue.current().info()
    except Exception:
        logger.exception("health check: queue unreachable")
        return {"status": "unavailable"}
    return {"status": "ok", "workers": len(info.get("workers", {})), "queued": info.get("queued")}


@get("/healthz", name="healthz", include_in_schema=False, media_type=MediaType.JSON)
async def healthz(redis: Redis) -> Response:
    database = await _database()
    queue_status = await _queue(redis)
    healthy = database == "ok" and queue_status["status"] == "ok"
    body = {"status": "ok" if healthy else "degraded", "database": database, "queue": queue_status}
    return Response(body, status_code=200 if healthy else 503)
