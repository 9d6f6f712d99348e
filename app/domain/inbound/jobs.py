"""Background work for inbound events: one job per event, and a sweep for stragglers.

Each accepted delivery queues its own job (keyed by the event, so never twice at once). The
sweep runs every minute and queues events still waiting a minute after they arrived — their
job was lost (the queue was unreachable when they came in, or a worker died mid-way).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from saq import CronJob

from app.db import utcnow
from app.domain.inbound import processing, receiving
from app.domain.inbound.tables import EventStatus, InboundEvent

logger = logging.getLogger(__name__)

SWEEP_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 1000


async def inbound_event_process(ctx: dict[str, Any], *, event_id: int) -> dict[str, Any]:
    job = ctx["job"]
    status = await processing.process(event_id, final_attempt=job.attempts >= job.retries)
    return {"event_id": event_id, "status": str(status)}


async def inbound_events_sweep(ctx: dict[str, Any]) -> dict[str, int]:
    waiting = (
        await InboundEvent.select(InboundEvent.id)
        .where(
            (InboundEvent.status == EventStatus.received)
            & (InboundEvent.received_at < utcnow() - SWEEP_AFTER)
        )
        .order_by(InboundEvent.received_at)
        .limit(SWEEP_BATCH)
    )
    for row in waiting:
        await receiving.queue_processing(row["id"])
    if waiting:
        logger.info("queued waiting inbound events", extra={"count": len(waiting)})
    return {"queued": len(waiting)}


FUNCTIONS = [inbound_event_process, inbound_events_sweep]
CRON_JOBS = [CronJob(inbound_events_sweep, cron="* * * * *", timeout=120, unique=True)]
