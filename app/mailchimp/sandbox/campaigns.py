"""Campaigns and their reports: drafts from the API; sending and activity from the control side."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.mailchimp.sandbox import webhook_payloads as payloads
from app.mailchimp.sandbox.errors import invalid_resource
from app.mailchimp.sandbox.identity import iso, new_id
from app.mailchimp.sandbox.shapes import link
from app.mailchimp.sandbox.state import Account, Campaign
from app.mailchimp.sandbox.webhook_payloads import WebhookEvent

CAMPAIGN_TYPES = ("regular", "plaintext", "absplit", "rss", "variate")
CAMPAIGN_STATUSES = (
    "save",
    "paused",
    "schedule",
    "sending",
    "sent",
    "canceled",
    "canceling",
    "archived",
)
_SETTINGS_DEFAULTS: dict[str, Any] = {
    "subject_line": "",
    "preview_text": "",
    "title": "",
    "from_name": "",
    "reply_to": "",
    "use_conversation": False,
    "to_name": "",
    "folder_id": "",
    "authenticate": True,
    "auto_footer": False,
    "inline_css": False,
    "auto_tweet": False,
    "auto_fb_post": [],
    "fb_comments": True,
    "timewarp": False,
    "template_id": 0,
    "drag_and_drop": True,
}


def create_campaign(account: Account, body: Any, *, now: datetime) -> Campaign:
    if not isinstance(body, dict):
        raise invalid_resource("The request body must be a JSON object.")
    errors = []
    if body.get("type") not in CAMPAIGN_TYPES:
        errors.append(
            {
                "field": "type",
                "message": "Data presented is not one of the accepted values: "
                + ", ".join(CAMPAIGN_TYPES)
                + ".",
            }
        )
    list_id = (body.get("recipients") or {}).get("list_id")
    if list_id not in account.audiences:
        errors.append({"field": "recipients.list_id", "message": f"Invalid list ID: {list_id}"})
    if errors:
        raise invalid_resource(errors=errors)
    settings = {**_SETTINGS_DEFAULTS, **(body.get("settings") or {})}
    campaign = Campaign(new_id(), list_id, body["type"], now, settings)
    account.campaigns[campaign.id] = campaign
    return campaign


def subscribed_count(account: Account, list_id: str) -> int:
    audience = account.audiences.get(list_id)
    if audience is None:
        return 0
    return sum(1 for m in audience.members.values() if m.status == "subscribed")


def send_campaign(account: Account, campaign: Campaign, *, now: datetime) -> list[WebhookEvent]:
    """Mark it sent to every subscribed member of its audience and tell `campaign` webhooks."""
    campaign.status = "sent"
    campaign.send_time = now
    campaign.emails_sent = subscribed_count(account, campaign.list_id)
    return [
        WebhookEvent(
            type="campaign",
            list_id=campaign.list_id,
            fired_at=now,
            fields=payloads.campaign_fields(campaign),
            source="admin",
        )
    ]


def add_activity(
    campaign: Campaign,
    *,
    now: datetime,
    opens: int = 0,
    unique_opens: int | None = None,
    clicks: int = 0,
    unique_clicks: int | None = None,
) -> None:
    """Recipients open and click; unique figures never exceed the number of emails sent."""
    if campaign.status not in ("sent", "sending"):
        raise invalid_resource(f"Campaign {campaign.id} has not been sent, so nobody can open it.")
    room = campaign.emails_sent
    campaign.opens_total += max(opens, 0)
    campaign.unique_opens = min(
        room, campaign.unique_opens + max(unique_opens if unique_opens is not None else opens, 0)
    )
    campaign.clicks_total += max(clicks, 0)
    added_clicks = max(unique_clicks if unique_clicks is not None else clicks, 0)
    campaign.unique_clicks = min(room, campaign.unique_clicks + added_clicks)
    campaign.unique_subscriber_clicks = min(room, campaign.unique_subscriber_clicks + added_clicks)
    if opens:
        campaign.last_open = now
    if clicks:
        campaign.last_click = now


def _rate(part: int, whole: int) -> float:
    # campaign reports give rates as fractions of delivered emails
    return round(part / whole, 4) if whole else 0.0


def campaign_json(account: Account, campaign: Campaign, api: str) -> dict[str, Any]:
    audience = account.audiences.get(campaign.list_id)
    href = f"{api}/campaigns/{campaign.id}"
    document: dict[str, Any] = {
        "id": campaign.id,
        "web_id": campaign.web_id,
        "parent_campaign_id": "",
        "type": campaign.type,
        "create_time": iso(campaign.create_time),
        "archive_url": f"https://mailchi.mp/sandbox/{campaign.id}",
        "long_archive_url": f"https://us.campaign-archive.com/?u=sandbox&id={campaign.id}",
        "status": campaign.status,
        "emails_sent": campaign.emails_sent,
        "send_time": iso(campaign.send_time),
        "content_type": "template",
        "needs_block_refresh": False,
        "resendable": False,
        "recipients": {
            "list_id": campaign.list_id,
            "list_is_active": audience is not None,
            "list_name": audience.name if audience else "",
            "segment_text": "",
            "recipient_count": subscribed_count(account, campaign.list_id),
        },
        "settings": campaign.settings,
        "tracking": {
            "opens": True,
            "html_clicks": True,
            "text_clicks": False,
            "goal_tracking": False,
            "ecomm360": False,
            "google_analytics": "",
            "clicktale": "",
        },
        "delivery_status": {"enabled": False},
        "_links": [
            link("self", href),
            link("parent", f"{api}/campaigns"),
            link("report", f"{api}/reports/{campaign.id}"),
        ],
    }
    if campaign.status in ("sent", "sending"):
        document["report_summary"] = {
            "opens": campaign.opens_total,
            "unique_opens": campaign.unique_opens,
            "open_rate": _rate(campaign.unique_opens, campaign.emails_sent),
            "clicks": campaign.clicks_total,
            "subscriber_clicks": campaign.unique_subscriber_clicks,
            "click_rate": _rate(campaign.unique_subscriber_clicks, campaign.emails_sent),
        }
    return document


def report_json(account: Account, campaign: Campaign, api: str) -> dict[str, Any]:
    audience = account.audiences.get(campaign.list_id)
    return {
        "id": campaign.id,
        "campaign_title": campaign.settings.get("title", ""),
        "type": campaign.type,
        "list_id": campaign.list_id,
        "list_is_active": audience is not None,
        "list_name": audience.name if audience else "",
        "subject_line": campaign.settings.get("subject_line", ""),
        "preview_text": campaign.settings.get("preview_text", ""),
        "emails_sent": campaign.emails_sent,
        "abuse_reports": 0,
        "unsubscribed": campaign.unsubscribed,
        "send_time": iso(campaign.send_time),
        "bounces": {"hard_bounces": 0, "soft_bounces": 0, "syntax_errors": 0},
        "forwards": {"forwards_count": 0, "forwards_opens": 0},
        "opens": {
            "opens_total": campaign.opens_total,
            "unique_opens": campaign.unique_opens,
            "open_rate": _rate(campaign.unique_opens, campaign.emails_sent),
            "last_open": iso(campaign.last_open),
        },
        "clicks": {
            "clicks_total": campaign.clicks_total,
            "unique_clicks": campaign.unique_clicks,
            "unique_subscriber_clicks": campaign.unique_subscriber_clicks,
            "click_rate": _rate(campaign.unique_subscriber_clicks, campaign.emails_sent),
            "last_click": iso(campaign.last_click),
        },
        "facebook_likes": {"recipient_likes": 0, "unique_likes": 0, "facebook_likes": 0},
        "list_stats": {"sub_rate": 0, "unsub_rate": 0, "open_rate": 0, "click_rate": 0},
        "timeseries": [],
        "ecommerce": {
            "total_orders": 0,
            "total_spent": 0,
            "total_revenue": 0,
            "currency_code": "USD",
        },
        "delivery_status": {"enabled": False},
        "_links": [
            link("self", f"{api}/reports/{campaign.id}"),
            link("campaign", f"{api}/campaigns/{campaign.id}"),
        ],
    }
