"""Demo data: the demo organisation tracks its sandbox account's campaigns, with some history.

The history is made up. Snapshots are backfilled over the past five days with trigger `demo`
(shown as "demo data" in the campaign's table), their opens and clicks rising towards the
figures Mailchimp reports today, the way they arrive after a send. It ignores the sandbox
campaigns' own send times (months ago), so the chart has something recent to draw.
"""

from __future__ import annotations

import math
from datetime import timedelta

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.campaigns import services
from app.domain.campaigns.tables import CampaignSnapshot, CampaignTracking, SnapshotTrigger
from app.domain.connections import services as connections

# The made-up refreshes: every 12 hours over the past five days, opens arriving fast at first.
HISTORY_HOURS = tuple(range(120, 0, -12))
ARRIVAL_HOURS = 30  # by then about two thirds of today's opens had arrived


async def seed_demo_campaigns(principal: Principal) -> None:
    """Track every campaign of the connected (sandbox) account once; safe to run repeatedly.

    A campaign tracked before — even one untracked since — is left alone.
    """
    if await connections.current(principal) is None:
        return
    async with await connections.client_for(principal.organisation_id) as client:
        campaign_ids = [c.id async for c in client.campaigns()]
    seen = {
        row["campaign_id"]
        for row in await CampaignTracking.select(CampaignTracking.campaign_id).where(
            CampaignTracking.organisation == principal.organisation_id
        )
    }
    for campaign_id in campaign_ids:
        if campaign_id in seen:
            continue
        campaign = await services.track(principal, campaign_id=campaign_id)
        await _backfill(principal, campaign)


def _share(hours_ago: int) -> float:
    """How much of today's opens and clicks had arrived `hours_ago` (rising towards 1)."""
    elapsed = HISTORY_HOURS[0] + 12 - hours_ago
    return 1 - math.exp(-elapsed / ARRIVAL_HOURS)


async def _backfill(principal: Principal, campaign: services.CampaignView) -> None:
    sent = campaign.emails_sent
    now = utcnow()
    async with transaction():
        for hours_ago in HISTORY_HOURS:
            share = _share(hours_ago) if campaign.emails_sent else 0.0
            unique_opens = round(campaign.unique_opens * share)
            unique_clicks = min(round(campaign.unique_clicks * share), unique_opens)
            await CampaignSnapshot(
                organisation=principal.organisation_id,
                campaign=campaign.id,
                taken_at=now - timedelta(hours=hours_ago),
                trigger=SnapshotTrigger.demo,
                status=campaign.status,
                emails_sent=sent,
                opens=round(campaign.opens * share),
                unique_opens=unique_opens,
                open_rate=round(unique_opens / sent, 4) if sent else 0.0,
                clicks=round(campaign.clicks * share),
                unique_clicks=unique_clicks,
                click_rate=round(unique_clicks / sent, 4) if sent else 0.0,
            ).save()
