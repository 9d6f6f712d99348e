"""The demo's webhooks: Mailchimp (the sandbox) tells the demo about changes at once.

The sandbox forgets its webhooks when the server restarts while our database remembers them,
so this runs at every start: registering again finds nothing of ours there and re-creates it
under the same URL.
"""

from __future__ import annotations

import json
import logging

from app.domain.accounts.principal import Principal
from app.domain.inbound import mailchimp_webhooks
from app.domain.segments import audience_status

logger = logging.getLogger(__name__)


def _demo_audiences() -> list[str]:
    from app.mailchimp.sandbox import DEMO_SEED

    seed = json.loads(DEMO_SEED.read_text())
    return [audience["id"] for audience in seed["accounts"][0]["audiences"]]


async def seed_demo_webhooks(principal: Principal) -> None:
    """Every audience a segment feeds, and the demo's own audiences, so that unsubscribing
    someone on the sandbox's control page shows up in Listbridge within seconds."""
    wanted = set(_demo_audiences()) | set(
        await audience_status.targeted_audiences(principal.organisation_id)
    )
    for list_id in sorted(wanted):
        view = await mailchimp_webhooks.ensure_audience_webhook(principal, list_id)
        if view.status != "registered":
            logger.warning("demo webhook not registered", extra={"list_id": list_id})
