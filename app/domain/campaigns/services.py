"""Tracking Mailchimp campaigns: track by ID (checked live), list, read history, untrack.

Every query is scoped to the caller's organisation. Refreshing lives in `refresh.py`, which the
pages, the API and the cron all call.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asyncpg.exceptions import UniqueViolationError

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.campaigns.figures import Figures, read_figures, status_label
from app.domain.campaigns.schedule import AutoRefresh, auto_refresh
from app.domain.campaigns.tables import CampaignSnapshot, CampaignTracking, SnapshotTrigger
from app.domain.connections import services as connections
from app.lib import audit
from app.lib.errors import Conflict, InvalidInput, NotFound, UpstreamUnavailable
from app.lib.pagination import Page, keyset_page
from app.mailchimp.errors import MailchimpError, Unauthorized
from app.mailchimp.errors import NotFound as MailchimpNotFound

ENTITY = "campaign_tracking"
HISTORY_LIMIT = 200  # refreshes charted on a campaign's page: 30 days at 6 hours is 120
SPARKLINE_POINTS = 30
# Mailchimp campaign IDs are short runs of letters and digits (e.g. 42694e9e57).
CAMPAIGN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
GONE = "There is no such tracked campaign."


@dataclass(frozen=True, slots=True)
class CampaignView:
    """A tracked campaign as pages and the API show it."""

    id: int
    campaign_id: str
    title: str
    subject: str
    list_name: str
    status: str
    emails_sent: int
    opens: int
    unique_opens: int
    open_rate: float
    clicks: int
    unique_clicks: int
    click_rate: float
    send_time: datetime | None
    last_refreshed_at: datetime | None
    last_error: str
    last_error_code: str
    last_error_at: datetime | None
    tracked_at: datetime
    auto_refresh: AutoRefresh

    @property
    def name(self) -> str:
        return self.title or self.subject or f"Campaign {self.campaign_id}"

    @property
    def status_label(self) -> str:
        return status_label(self.status)


@dataclass(frozen=True, slots=True)
class SnapshotView:
    taken_at: datetime
    trigger: str
    status: str
    emails_sent: int
    opens: int
    unique_opens: int
    open_rate: float
    clicks: int
    unique_clicks: int
    click_rate: float

    @property
    def status_label(self) -> str:
        return status_label(self.status)


def view(data: dict[str, Any]) -> CampaignView:
    return CampaignView(
        id=data["id"],
        campaign_id=data["campaign_id"],
        title=data["title"],
        subject=data["subject"],
        list_name=data["list_name"],
        status=data["status"],
        emails_sent=data["emails_sent"],
        opens=data["opens"],
        unique_opens=data["unique_opens"],
        open_rate=data["open_rate"],
        clicks=data["clicks"],
        unique_clicks=data["unique_clicks"],
        click_rate=data["click_rate"],
        send_time=data["send_time"],
        last_refreshed_at=data["last_refreshed_at"],
        last_error=data["last_error"],
        last_error_code=data["last_error_code"],
        last_error_at=data["last_error_at"],
        tracked_at=data["created_at"],
        auto_refresh=auto_refresh(data["status"], data["send_time"], utcnow()),
    )


_SNAPSHOT_COLUMNS = (
    CampaignSnapshot.taken_at,
    CampaignSnapshot.trigger,
    CampaignSnapshot.status,
    CampaignSnapshot.emails_sent,
    CampaignSnapshot.opens,
    CampaignSnapshot.unique_opens,
    CampaignSnapshot.open_rate,
    CampaignSnapshot.clicks,
    CampaignSnapshot.unique_clicks,
    CampaignSnapshot.click_rate,
)


def _live(organisation_id: int):
    return (CampaignTracking.organisation == organisation_id) & (
        CampaignTracking.soft_deleted_at.is_null()
    )


async def live_row(organisation_id: int, tracking_id: int) -> CampaignTracking | None:
    return (
        await CampaignTracking.objects()
        .where(_live(organisation_id) & (CampaignTracking.id == tracking_id))
        .first()
    )


async def campaigns(
    principal: Principal, *, cursor: str | None = None, limit: int | None = None
) -> Page[CampaignView]:
    """The organisation's tracked campaigns, most recently tracked first."""
    page = await keyset_page(
        CampaignTracking.select().where(_live(principal.organisation_id)),
        sort=CampaignTracking.created_at,
        id_column=CampaignTracking.id,
        descending=True,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[view(r) for r in page.items], next_cursor=page.next_cursor, limit=page.limit)


async def campaign(principal: Principal, tracking_id: int) -> CampaignView:
    row = await live_row(principal.organisation_id, tracking_id)
    if row is None:
        raise NotFound(GONE)
    return view(row.to_dict())


async def _snapshots(organisation_id: int, tracking_id: int, limit: int) -> list[SnapshotView]:
    rows = (
        await CampaignSnapshot.select(*_SNAPSHOT_COLUMNS)
        .where(
            (CampaignSnapshot.organisation == organisation_id)
            & (CampaignSnapshot.campaign == tracking_id)
        )
        .order_by(CampaignSnapshot.taken_at, CampaignSnapshot.id, ascending=False)
        .limit(limit)
    )
    return [SnapshotView(**r) for r in reversed(rows)]


async def history(
    principal: Principal, tracking_id: int, *, limit: int = HISTORY_LIMIT
) -> list[SnapshotView]:
    """The campaign's latest refreshes, oldest first (for its chart and table)."""
    await campaign(principal, tracking_id)
    return await _snapshots(principal.organisation_id, tracking_id, limit)


async def sparklines(
    principal: Principal, tracking_ids: list[int]
) -> dict[int, list[SnapshotView]]:
    """The last few refreshes of each listed campaign, oldest first (one small query each)."""
    return {
        tracking_id: await _snapshots(principal.organisation_id, tracking_id, SPARKLINE_POINTS)
        for tracking_id in tracking_ids
    }


async def tracked_ids(principal: Principal, campaign_ids: list[str]) -> dict[str, int]:
    """Which of these Mailchimp campaign IDs are tracked here, and under which row."""
    if not campaign_ids:
        return {}
    rows = await CampaignTracking.select(CampaignTracking.id, CampaignTracking.campaign_id).where(
        _live(principal.organisation_id) & CampaignTracking.campaign_id.is_in(campaign_ids)
    )
    return {r["campaign_id"]: r["id"] for r in rows}


async def _tracked(organisation_id: int, campaign_id: str) -> CampaignTracking | None:
    return (
        await CampaignTracking.objects()
        .where(_live(organisation_id) & (CampaignTracking.campaign_id == campaign_id))
        .first()
    )


def _already_tracked(row: CampaignTracking | None, campaign_id: str) -> Conflict:
    name = row.title if row is not None and row.title else "This campaign"
    return Conflict(
        f"“{name}” ({campaign_id}) is already tracked.", title="Campaign already tracked"
    )


def check_campaign_id(raw: str) -> str:
    campaign_id = (raw or "").strip()
    if not campaign_id:
        raise InvalidInput({"campaign_id": "Enter the campaign's Mailchimp ID, e.g. 42694e9e57."})
    if not CAMPAIGN_ID.fullmatch(campaign_id):
        raise InvalidInput(
            {"campaign_id": "A Mailchimp campaign ID is letters and digits only, e.g. 42694e9e57."}
        )
    return campaign_id


async def _read_live(principal: Principal, campaign_id: str) -> Figures:
    """The campaign's figures from Mailchimp, or an error a person can act on."""
    connection = await connections.current(principal)
    if connection is None:
        raise NotFound("Connect a Mailchimp account first (Settings → Mailchimp).")
    try:
        async with await connections.client_for(
            principal.organisation_id, interactive=True
        ) as client:
            return await read_figures(client, campaign_id)
    except MailchimpNotFound:
        account = connection.account_name or "the connected Mailchimp account"
        raise InvalidInput(
            {
                "campaign_id": f"Mailchimp has no campaign “{campaign_id}” in {account}. "
                "Check the ID, or pick the campaign under “Import recent campaigns”."
            },
            detail=f"Mailchimp has no campaign “{campaign_id}” in {account}.",
        ) from None
    except Unauthorized:
        raise UpstreamUnavailable(
            connections.REJECTED_KEY, title="Mailchimp rejected the connection"
        ) from None
    except MailchimpError:
        raise UpstreamUnavailable(
            "We couldn't reach Mailchimp to look this campaign up, so nothing was saved. "
            "Try again in a minute."
        ) from None


def _is_duplicate(error: Exception) -> bool:
    return isinstance(error, sqlite3.IntegrityError | UniqueViolationError)


async def track(principal: Principal, *, campaign_id: str) -> CampaignView:
    """Start tracking a campaign, once Mailchimp confirms it exists; its first snapshot too."""
    campaign_id = check_campaign_id(campaign_id)
    if (existing := await _tracked(principal.organisation_id, campaign_id)) is not None:
        raise _already_tracked(existing, campaign_id)
    figures = await _read_live(principal, campaign_id)
    now = utcnow()
    try:
        async with transaction():
            if (existing := await _tracked(principal.organisation_id, campaign_id)) is not None:
                raise _already_tracked(existing, campaign_id)
            row = CampaignTracking(
                organisation=principal.organisation_id,
                tracked_by=principal.user_id,
                campaign_id=campaign_id,
                last_refreshed_at=now,
                **apply_figures(figures),
            )
            await row.save()
            await add_snapshot(row, figures, taken_at=now, trigger=SnapshotTrigger.track)
            await audit.record(
                principal.actor,
                organisation_id=principal.organisation_id,
                action="campaign.tracked",
                entity_type=ENTITY,
                entity_id=row.id,
                changes={
                    "campaign_id": campaign_id,
                    "title": figures.title,
                    "status": figures.status,
                },
            )
    except Exception as exc:
        if _is_duplicate(exc):  # tracked by someone else a moment ago
            raise _already_tracked(None, campaign_id) from None
        raise
    return await campaign(principal, row.id)


def apply_figures(figures: Figures) -> dict[str, Any]:
    """Column values of a tracking row for one reading."""
    return {
        "title": figures.title,
        "subject": figures.subject,
        "list_name": figures.list_name,
        "send_time": figures.send_time,
        **figures.counts(),
    }


async def add_snapshot(
    row: CampaignTracking, figures: Figures, *, taken_at: datetime, trigger: SnapshotTrigger
) -> None:
    await CampaignSnapshot(
        organisation=row.organisation,
        campaign=row.id,
        taken_at=taken_at,
        trigger=trigger,
        **figures.counts(),
    ).save()


async def untrack(principal: Principal, tracking_id: int) -> CampaignView:
    """Stop tracking (soft delete): the row and its history stay, hidden; it can be re-tracked."""
    async with transaction():
        row = await live_row(principal.organisation_id, tracking_id)
        if row is None:
            raise NotFound(GONE)
        row.soft_deleted_at = utcnow()
        await row.save([CampaignTracking.soft_deleted_at])
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="campaign.untracked",
            entity_type=ENTITY,
            entity_id=row.id,
            changes={"campaign_id": row.campaign_id, "title": row.title},
        )
    return view(row.to_dict())
