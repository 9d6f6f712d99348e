"""`/api/v1/campaigns`: tracked Mailchimp campaigns as JSON.

Errors are problem+json. Tracking an ID Mailchimp doesn't know is a 400 whose `errors` name the
`campaign_id` field; tracking one already tracked is a 409 naming it. A refresh that fails
answers 502 (409 when Mailchimp isn't connected) and is recorded on the campaign (`last_error`).
"""

from __future__ import annotations

from dataclasses import asdict

from litestar import Controller, delete, get, post
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from app.domain.accounts.principal import Principal
from app.domain.campaigns import refresh, services
from app.domain.campaigns.schemas import (
    CampaignDetailOut,
    CampaignList,
    CampaignOut,
    SnapshotOut,
    TrackIn,
)
from app.domain.campaigns.tables import SnapshotTrigger


def _fields(campaign: services.CampaignView) -> dict:
    return {
        "id": campaign.id,
        "campaign_id": campaign.campaign_id,
        "title": campaign.title,
        "subject": campaign.subject,
        "audience": campaign.list_name,
        "status": campaign.status,
        "status_label": campaign.status_label,
        "emails_sent": campaign.emails_sent,
        "opens": campaign.opens,
        "unique_opens": campaign.unique_opens,
        "open_rate": campaign.open_rate,
        "clicks": campaign.clicks,
        "unique_clicks": campaign.unique_clicks,
        "click_rate": campaign.click_rate,
        "send_time": campaign.send_time,
        "last_refreshed_at": campaign.last_refreshed_at,
        "last_error": campaign.last_error or None,
        "last_error_code": campaign.last_error_code or None,
        "last_error_at": campaign.last_error_at,
        "auto_refresh": campaign.auto_refresh.active,
        "auto_refresh_until": campaign.auto_refresh.until,
        "tracked_at": campaign.tracked_at,
    }


def _out(campaign: services.CampaignView) -> CampaignOut:
    return CampaignOut(**_fields(campaign))


class CampaignApi(Controller):
    path = "/campaigns"
    tags = ["campaigns"]

    @get("/", name="api.campaigns")
    async def index(
        self, principal: Principal, cursor: str | None = None, limit: int | None = None
    ) -> CampaignList:
        """Tracked campaigns, most recently tracked first; follow `next_cursor` for more."""
        page = await services.campaigns(principal, cursor=cursor, limit=limit)
        return CampaignList(items=[_out(c) for c in page.items], next_cursor=page.next_cursor)

    @get("/{tracking_id:int}", name="api.campaigns.show")
    async def show(self, principal: Principal, tracking_id: int) -> CampaignDetailOut:
        """One tracked campaign with its history (the latest 200 refreshes, oldest first)."""
        campaign = await services.campaign(principal, tracking_id)
        history = await services.history(principal, tracking_id)
        return CampaignDetailOut(
            **_fields(campaign), history=[SnapshotOut(**asdict(s)) for s in history]
        )

    @post("/", name="api.campaigns.track", status_code=HTTP_201_CREATED)
    async def track(self, principal: Principal, data: TrackIn) -> CampaignOut:
        """Track a campaign by its Mailchimp ID, checked with Mailchimp first."""
        return _out(await services.track(principal, campaign_id=data.campaign_id))

    @post("/{tracking_id:int}/refresh", name="api.campaigns.refresh", status_code=200)
    async def refresh_now(self, principal: Principal, tracking_id: int) -> CampaignOut:
        """Read the campaign's figures from Mailchimp now and append them to its history."""
        campaign = await refresh.refresh(principal, tracking_id, trigger=SnapshotTrigger.api)
        return _out(campaign)

    @delete("/{tracking_id:int}", name="api.campaigns.untrack", status_code=HTTP_204_NO_CONTENT)
    async def untrack(self, principal: Principal, tracking_id: int) -> None:
        """Stop tracking the campaign (its history is kept, hidden)."""
        await services.untrack(principal, tracking_id)


ROUTES = [CampaignApi]
