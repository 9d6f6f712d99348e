"""Campaigns in the offline Mailchimp, and tracked campaigns here, built the way a test needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.db import utcnow
from app.domain.audit.tables import AuditLog
from app.domain.campaigns.tables import CampaignSnapshot, CampaignTracking, SnapshotTrigger
from app.mailchimp.sandbox import campaigns as sandbox_campaigns
from app.mailchimp.sandbox.state import Account, Campaign, Faults
from tests.factories import Member

SENT_STATUSES = ("sending", "sent", "canceling", "canceled", "paused", "archived")


def sandbox_campaign(
    account: Account,
    *,
    title: str = "Spring newsletter",
    subject: str | None = None,
    status: str = "sent",
    emails_sent: int = 200,
    unique_opens: int = 0,
    unique_clicks: int = 0,
    send_time: datetime | None = None,
    create_time: datetime | None = None,
) -> Campaign:
    """A campaign in the sandbox account, in any of Mailchimp's states, with report figures."""
    now = datetime.now(UTC).replace(microsecond=0)
    campaign = sandbox_campaigns.create_campaign(
        account,
        {
            "type": "regular",
            "recipients": {"list_id": next(iter(account.audiences))},
            "settings": {"title": title, "subject_line": subject or f"{title}: read all about it"},
        },
        now=create_time or now,
    )
    campaign.status = status
    if status in SENT_STATUSES:
        campaign.send_time = send_time or now - timedelta(days=1)
        campaign.emails_sent = emails_sent
        activity(campaign, opens=unique_opens, clicks=unique_clicks)
    elif send_time is not None:  # scheduled
        campaign.send_time = send_time
    return campaign


def activity(campaign: Campaign, *, opens: int = 0, clicks: int = 0) -> None:
    """Recipients open and click (each open and click by a new person)."""
    campaign.opens_total += opens
    campaign.unique_opens = min(campaign.emails_sent, campaign.unique_opens + opens)
    campaign.clicks_total += clicks
    campaign.unique_clicks = min(campaign.emails_sent, campaign.unique_clicks + clicks)
    campaign.unique_subscriber_clicks = campaign.unique_clicks


def revoke_keys(sandbox, account: Account) -> None:
    for key in sandbox.state.keys_of(account):
        key.revoked = True


def always_rate_limited(account: Account) -> None:
    """Every request answers 429 with `Retry-After: 0`, so the client's retries cost no time."""
    account.set_faults(Faults(rate_429=1.0, retry_after=0))


async def tracking_row(member: Member, **columns) -> CampaignTracking:
    """A tracked campaign written straight to the table (no Mailchimp, no snapshot)."""
    values = {
        "organisation": member.organisation.id,
        "campaign_id": "a1b2c3d4e5",
        "title": "Autumn offers",
        "subject": "Our autumn offers",
        "status": "sent",
        "emails_sent": 400,
        "send_time": utcnow() - timedelta(days=2),
        "last_refreshed_at": utcnow(),
        **columns,
    }
    row = CampaignTracking(**values)
    await row.save()
    return row


async def add_history(
    row: CampaignTracking, count: int, *, start: datetime | None = None, every=timedelta(hours=6)
) -> None:
    """`count` snapshots, `every` apart from `start`, open rate climbing 0.2 % a step."""
    start = start or utcnow() - every * count
    for step in range(count):
        await CampaignSnapshot(
            organisation=row.organisation,
            campaign=row.id,
            taken_at=start + every * step,
            trigger=SnapshotTrigger.scheduled,
            status="sent",
            emails_sent=row.emails_sent,
            open_rate=round(0.002 * step, 4),
            click_rate=round(0.0005 * step, 4),
        ).save()


async def audit_rows(action: str) -> list[dict]:
    """The audit trail's rows for one action, oldest first, `changes` decoded."""
    return (
        await AuditLog.select()
        .where(AuditLog.action == action)
        .order_by(AuditLog.id)
        .output(load_json=True)
    )
