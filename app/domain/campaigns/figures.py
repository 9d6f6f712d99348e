"""Reading a campaign's figures from Mailchimp, and saying in words why that failed.

A campaign's settings and status come from `GET /campaigns/{id}`; its figures from
`GET /reports/{id}`, which exists once sending has started. Rates are fractions (0 to 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.mailchimp.client import MailchimpClient
from app.mailchimp.errors import MailchimpError, NotFound, RateLimited, Unauthorized
from app.mailchimp.models import Campaign

# Mailchimp's status enum (FACTS §2.10) in the words people use in the product.
STATUS_LABELS = {
    "save": "draft",
    "schedule": "scheduled",
    "sending": "sending",
    "sent": "sent",
    "paused": "paused",
    "canceling": "cancelling",
    "canceled": "cancelled",
    "archived": "archived",
}
# A report exists once anything has gone out; drafts and schedules have none (404).
REPORTED_STATUSES = frozenset({"sending", "sent", "canceling", "canceled", "paused"})


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status or "unknown")


@dataclass(frozen=True, slots=True)
class Figures:
    """One reading of a campaign, as stored on its row and in a snapshot."""

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

    def counts(self) -> dict[str, int | float | str]:
        """The figures a snapshot keeps (and an audit row summarises)."""
        return {
            "status": self.status,
            "emails_sent": self.emails_sent,
            "opens": self.opens,
            "unique_opens": self.unique_opens,
            "open_rate": self.open_rate,
            "clicks": self.clicks,
            "unique_clicks": self.unique_clicks,
            "click_rate": self.click_rate,
        }


@dataclass(frozen=True, slots=True)
class RefreshProblem:
    """Why a refresh failed: a stable code for the API and a sentence for people."""

    code: str
    message: str


CAMPAIGN_GONE = RefreshProblem(
    "campaign_not_found",
    "Mailchimp no longer has this campaign: it may have been deleted there. "
    "Untrack it here if it is gone for good.",
)
CONNECTION_REJECTED = RefreshProblem(
    "connection_rejected",
    "Mailchimp rejected the connection: the API key or sign-in may have been revoked. "
    "Reconnect under Settings → Mailchimp; refreshes resume after that.",
)
RATE_LIMITED = RefreshProblem(
    "rate_limited",
    "Mailchimp asked us to slow down (too many requests at once). "
    "Nothing is lost; the next refresh tries again.",
)
UNREACHABLE = RefreshProblem(
    "mailchimp_unavailable",
    "We couldn't reach Mailchimp, or it had trouble answering. "
    "Nothing is lost; the next refresh tries again.",
)
NOT_CONNECTED = RefreshProblem(
    "not_connected",
    "Mailchimp isn't connected, so this campaign can't be refreshed. "
    "Connect it under Settings → Mailchimp.",
)


def explain(error: MailchimpError | TimeoutError) -> RefreshProblem:
    if isinstance(error, NotFound):
        return CAMPAIGN_GONE
    if isinstance(error, Unauthorized):  # Forbidden included: the account refuses us
        return CONNECTION_REJECTED
    if isinstance(error, RateLimited):
        return RATE_LIMITED
    return UNREACHABLE


def parse_time(value: str | None) -> datetime | None:
    """Mailchimp's ISO 8601 times; drafts answer an empty string."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _figures(campaign: Campaign, **counts: int | float) -> Figures:
    return Figures(
        title=(campaign.settings.title or "")[:255],
        subject=(campaign.settings.subject_line or "")[:255],
        list_name=(campaign.recipients.list_name or "")[:255],
        status=(campaign.status or "")[:20],
        emails_sent=int(counts.get("emails_sent", campaign.emails_sent or 0)),
        opens=int(counts.get("opens", 0)),
        unique_opens=int(counts.get("unique_opens", 0)),
        open_rate=float(counts.get("open_rate", 0.0)),
        clicks=int(counts.get("clicks", 0)),
        unique_clicks=int(counts.get("unique_clicks", 0)),
        click_rate=float(counts.get("click_rate", 0.0)),
        send_time=parse_time(campaign.send_time),
    )


async def read_figures(client: MailchimpClient, campaign_id: str) -> Figures:
    """The campaign as Mailchimp sees it now. Raises MailchimpError (NotFound: no such campaign)."""
    campaign = await client.get_campaign(campaign_id)
    if campaign.status not in REPORTED_STATUSES and not campaign.emails_sent:
        return _figures(campaign)
    try:
        report = await client.campaign_report(campaign_id)
    except NotFound:
        # No report (yet): fall back on the summary the campaign itself carries, if any.
        summary = campaign.report_summary
        if summary is None:
            return _figures(campaign)
        return _figures(
            campaign,
            opens=summary.opens or 0,
            unique_opens=summary.unique_opens or 0,
            open_rate=summary.open_rate or 0.0,
            clicks=summary.clicks or 0,
            unique_clicks=summary.subscriber_clicks or 0,
            click_rate=summary.click_rate or 0.0,
        )
    unique_clicks = report.clicks.unique_subscriber_clicks
    return _figures(
        campaign,
        emails_sent=report.emails_sent or campaign.emails_sent or 0,
        opens=report.opens.opens_total,
        unique_opens=report.opens.unique_opens,
        open_rate=report.opens.open_rate,
        clicks=report.clicks.clicks_total,
        unique_clicks=unique_clicks if unique_clicks is not None else report.clicks.unique_clicks,
        click_rate=report.clicks.click_rate,
    )
