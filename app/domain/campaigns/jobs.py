"""Background refreshes: every 6 hours the cron queues one job per campaign that is due.

One job per campaign keeps organisations (and campaigns) independent: a revoked key, a deleted
campaign or a slow account fails its own jobs only, and each failure is recorded on its campaign.
The cron job is `unique`, so however many workers run, it is queued once per slot; each
campaign's job carries a key, so a refresh still queued is not queued twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from saq import CronJob

from app.domain.campaigns import refresh
from app.domain.campaigns.schedule import REFRESH_CRON
from app.domain.campaigns.tables import SnapshotTrigger
from app.lib import queue
from app.lib.audit import Actor
from app.lib.errors import NotFound

if TYPE_CHECKING:
    from saq.types import Context

logger = logging.getLogger(__name__)

ACTOR = Actor.system("campaign_stats_refresh")
# The refresh gives up (and records why) after SCHEDULED_DEADLINE; the job outlives it.
CAMPAIGN_JOB_TIMEOUT = refresh.SCHEDULED_DEADLINE + 60
CRON_TIMEOUT = 300


async def campaign_stats_refresh(ctx: Context) -> dict[str, Any]:
    """Queue a refresh of every campaign that is due (see refresh.due_for_refresh)."""
    due = await refresh.due_for_refresh()
    queued = 0
    for organisation_id, tracking_ids in due.items():
        for tracking_id in tracking_ids:
            job = await queue.enqueue(
                "campaign_refresh",
                timeout=CAMPAIGN_JOB_TIMEOUT,
                key=f"campaign-refresh:{tracking_id}",
                organisation_id=organisation_id,
                tracking_id=tracking_id,
            )
            queued += job is not None
    result = {
        "organisations": len(due),
        "due": sum(len(ids) for ids in due.values()),
        "queued": queued,
    }
    logger.info("campaign refreshes queued", extra=result)
    return result


async def campaign_refresh(ctx: Context, *, organisation_id: int, tracking_id: int) -> dict:
    """Refresh one campaign as the system; a Mailchimp failure is recorded, not raised."""
    try:
        campaign = await refresh.refresh_campaign(
            organisation_id,
            tracking_id,
            actor=ACTOR,
            trigger=SnapshotTrigger.scheduled,
            interactive=False,
        )
    except NotFound:
        return {"tracking_id": tracking_id, "outcome": "untracked"}
    except refresh.RefreshFailed as exc:
        logger.info(
            "campaign refresh failed",
            extra={
                "tracking_id": tracking_id,
                "organisation_id": organisation_id,
                "error": exc.code,
            },
        )
        return {"tracking_id": tracking_id, "outcome": "failed", "error": exc.code}
    return {"tracking_id": tracking_id, "outcome": "refreshed", "status": campaign.status}


FUNCTIONS = [campaign_stats_refresh, campaign_refresh]
CRON_JOBS = [
    CronJob(campaign_stats_refresh, cron=REFRESH_CRON, timeout=CRON_TIMEOUT, unique=True),
]
