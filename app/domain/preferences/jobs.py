"""Background work for preferences: the Mailchimp side of a change, erasures, and a sweep that
tries again whatever Mailchimp could not take the first time."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from saq import CronJob

from app.db import utcnow
from app.domain.preferences import erasure, push, services
from app.domain.preferences.tables import PreferencePush, PushStatus

if TYPE_CHECKING:
    from saq.types import Context

logger = logging.getLogger(__name__)

# A push untouched this long was lost (the process died before queueing it) or gave up for now.
STALE_PUSH = timedelta(minutes=5)
SWEEP_TIMEOUT = 300


def _final_attempt(ctx: Context) -> bool:
    job = ctx.get("job")
    return job is None or job.attempts >= job.retries


async def preference_push(ctx: Context, *, organisation_id: int, contact_id: int) -> dict:
    """Unsubscribe (or re-invite) the contact in every audience waiting for their change."""
    return await push.push_contact(organisation_id, contact_id, final_attempt=_final_attempt(ctx))


async def erasure_run(ctx: Context, *, erasure_id: int) -> dict[str, Any]:
    return await erasure.run(erasure_id)


async def preference_retries(ctx: Context) -> dict[str, int]:
    """Every 5 minutes: restart erasures that are due, and pushes that waited too long."""
    erasures = await erasure.due()
    rows = await PreferencePush.select(
        PreferencePush.organisation, PreferencePush.contact_id
    ).where(
        PreferencePush.status.is_in([PushStatus.queued, PushStatus.retrying])
        & (PreferencePush.updated_at < utcnow() - STALE_PUSH)
    )
    contacts = sorted({(row["organisation"], row["contact_id"]) for row in rows})
    for organisation_id, contact_id in contacts:
        await services.request_push(organisation_id, contact_id)
    result = {"erasures": len(erasures), "pushes": len(contacts)}
    if erasures or contacts:
        logger.info("preference retries queued", extra=result)
    return result


FUNCTIONS = [preference_push, erasure_run, preference_retries]
CRON_JOBS = [CronJob(preference_retries, cron="*/5 * * * *", timeout=SWEEP_TIMEOUT, unique=True)]
