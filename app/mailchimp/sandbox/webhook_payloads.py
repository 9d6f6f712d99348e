"""What a Mailchimp audience webhook says: form fields per event, their encoding, the signature.

Field names, their order and the encoding follow Mailchimp's own samples (see
`shared/mailchimp/webhooks/`): `type`, `fired_at`, then `data[...]` keys with nested
brackets, URL-encoded with `+` for spaces and `%5B`/`%5D` for brackets.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from app.mailchimp.sandbox.state import Audience, Campaign, Member

FormFields = list[tuple[str, str]]


@dataclass(frozen=True)
class WebhookEvent:
    """A change worth telling webhooks about, captured when it happened."""

    type: str  # subscribe | unsubscribe | profile | cleaned | upemail | campaign
    list_id: str
    fired_at: datetime
    fields: FormFields  # the data[...] part
    source: str = "api"  # user | admin | api; campaign events ignore sources


def fired_at_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def encode_body(event_type: str, fired_at: str, fields: FormFields) -> str:
    return urlencode([("type", event_type), ("fired_at", fired_at), *fields])


def signature_header(secret: str, timestamp: int, body: str) -> str:
    """`X-Mailchimp-Signature`: HMAC-SHA256 over `"{t}.{raw body}"`, hex encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _merges(audience: Audience, member: Member) -> FormFields:
    fields = [("data[merges][EMAIL]", member.email_address)]
    for field in audience.merge_fields:
        value = member.merge_fields.get(field.tag, "")
        if isinstance(value, dict):  # an address is sent as nested keys
            fields.extend((f"data[merges][{field.tag}][{k}]", str(v)) for k, v in value.items())
        else:
            fields.append((f"data[merges][{field.tag}]", _text(value)))
    return fields


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def subscribe_fields(audience: Audience, member: Member) -> FormFields:
    return [
        ("data[id]", member.unique_email_id),
        ("data[list_id]", audience.id),
        ("data[email]", member.email_address),
        ("data[email_type]", member.email_type),
        ("data[web_id]", str(member.web_id)),
        *_merges(audience, member),
        ("data[ip_opt]", member.ip_opt),
        ("data[ip_signup]", member.ip_signup),
    ]


def profile_fields(audience: Audience, member: Member) -> FormFields:
    return [
        ("data[id]", member.unique_email_id),
        ("data[list_id]", audience.id),
        ("data[email]", member.email_address),
        ("data[email_type]", member.email_type),
        ("data[web_id]", str(member.web_id)),
        *_merges(audience, member),
        ("data[ip_opt]", member.ip_opt),
    ]


def unsubscribe_fields(
    audience: Audience,
    member: Member,
    *,
    action: str = "unsub",
    reason: str = "manual",
    campaign_id: str | None = None,
) -> FormFields:
    fields = [
        ("data[action]", action),
        ("data[reason]", reason),
        ("data[id]", member.unique_email_id),
        ("data[list_id]", audience.id),
        ("data[email]", member.email_address),
        ("data[email_type]", member.email_type),
        ("data[web_id]", str(member.web_id)),
        *_merges(audience, member),
        ("data[ip_opt]", member.ip_opt),
    ]
    if campaign_id:
        fields.append(("data[campaign_id]", campaign_id))
    return fields


def cleaned_fields(
    audience: Audience, member: Member, *, reason: str = "hard", campaign_id: str | None = None
) -> FormFields:
    fields = [("data[list_id]", audience.id)]
    if campaign_id:
        fields.append(("data[campaign_id]", campaign_id))
    return [*fields, ("data[reason]", reason), ("data[email]", member.email_address)]


def upemail_fields(audience: Audience, member: Member, old_email: str) -> FormFields:
    return [
        ("data[list_id]", audience.id),
        ("data[new_id]", member.unique_email_id),
        ("data[new_email]", member.email_address),
        ("data[old_email]", old_email),
    ]


def campaign_fields(campaign: Campaign) -> FormFields:
    return [
        ("data[id]", campaign.id),
        ("data[subject]", str(campaign.settings.get("subject_line", ""))),
        ("data[status]", campaign.status),
        ("data[reason]", ""),
        ("data[list_id]", campaign.list_id),
    ]
