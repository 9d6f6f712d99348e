"""Background work for segments: one sync run, and the daily sync of every segment."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from saq import CronJob

from app.domain.accounts import services as accounts
from app.domain.connections import services as connections
from app.domain.segments import runs, sync
from app.domain.segments.tables import Segment
from app.lib.audit import Actor
from app.lib.errors import ListbridgeError

logger = logging.getLogger(__name__)


async def segment_sync(ctx: dict[str, Any], *, run_id: int) -> dict[str, Any]:
    job = ctx["job"]

    async def heartbeat() -> None:
        await job.update()

    async def keep_alive() -> None:
        # A live worker says so every third of the heartbeat, even while one Mailchimp call is
        # slow; only a dead worker falls silent long enough to have its run retried. A Redis
        # hiccup must not end the ticker: the run would then look dead while it goes on.
        while True:
            await asyncio.sleep(max(job.heartbeat / 3, 0.2))
            try:
                await heartbeat()
            except Exception as exc:  # whatever it was: say so, and try again next beat
                logger.warning(
                    "sync heartbeat failed", extra={"run_id": run_id, "error": type(exc).__name__}
                )

    ticker = asyncio.create_task(keep_alive()) if job.heartbeat else None
    try:
        summary = await sync.execute(
            run_id, heartbeat=heartbeat, final_attempt=job.attempts >= job.retries
        )
    finally:
        if ticker is not None:
            ticker.cancel()
    # SAQ keeps the result as JSON: plain values only.
    return {key: value for key, value in summary.items() if isinstance(value, int | str | bool)}


async def scheduled_sync(ctx: dict[str, Any]) -> dict[str, int]:
    """05:00 UTC daily: an incremental run of every live segment of every connected organisation."""
    queued = skipped = 0
    for organisation_id in await connections.connected_organisation_ids():
        principal = await accounts.system_principal(organisation_id, Actor.system("daily sync"))
        if principal is None:
            continue
        segment_ids = await Segment.select(Segment.id).where(
            (Segment.organisation == organisation_id) & Segment.soft_deleted_at.is_null()
        )
        for row in segment_ids:
            try:
                await runs.request(principal, row["id"], mode="incremental", trigger="scheduled")
                queued += 1
            except ListbridgeError as exc:  # already running, say: the next day catches up
                skipped += 1
                logger.info(
                    "daily sync skipped a segment",
                    extra={"segment_id": row["id"], "reason": exc.detail},
                )
    return {"queued": queued, "skipped": skipped}


async def abandoned_runs(ctx: dict[str, Any]) -> dict[str, int]:
    """Every minute: runs whose job ended without ending them are failed, so they can rerun."""
    return {"failed": len(await sync.fail_abandoned(ctx["job"].queue))}


FUNCTIONS = [segment_sync, scheduled_sync, abandoned_runs]
CRON_JOBS = [
    CronJob(scheduled_sync, cron="0 5 * * *", timeout=600, unique=True),
    CronJob(abandoned_runs, cron="* * * * *", timeout=120, unique=True),
]
