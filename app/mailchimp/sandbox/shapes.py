"""The JSON Mailchimp answers with: account root, audiences, merge fields, members, webhooks.

Shapes follow FACTS.md §2/§6 (member key order from real recordings); unset times are "".
`api` is the absolute base of this sandbox's API (`…/3.0`), so links work when mounted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from app.mailchimp.sandbox.errors import field_error
from app.mailchimp.sandbox.identity import iso
from app.mailchimp.sandbox.state import Account, Audience, Member, MergeField, Webhook

MAX_COUNT = 1000


def link(rel: str, href: str, method: str = "GET") -> dict[str, str]:
    return {"rel": rel, "href": href, "method": method}


def page(items: list, query: dict[str, Any]) -> list:
    """`count` (default 10, at most 1000) and `offset`, as every Mailchimp collection takes."""
    count = _int_param(query, "count", 10)
    offset = _int_param(query, "offset", 0)
    if count < 0 or count > MAX_COUNT:
        raise field_error("count", f"count must be between 0 and {MAX_COUNT}.")
    if offset < 0:
        raise field_error("offset", "offset must not be negative.")
    return items[offset : offset + count]


def _int_param(query: dict[str, Any], name: str, default: int) -> int:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise field_error(name, f"{name} must be a whole number.") from None


def select_fields(document: Any, fields: str | None, exclude: str | None) -> Any:
    """Apply `fields` / `exclude_fields` (comma-separated, dot paths, lists are traversed)."""
    if fields:
        return _keep(document, _path_tree(fields))
    if exclude:
        return _drop(document, _path_tree(exclude))
    return document


def _path_tree(spec: str) -> dict:
    tree: dict = {}
    for path in filter(None, (p.strip() for p in spec.split(","))):
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            node = child if isinstance(child, dict) else {}
        node[parts[-1]] = True
    return tree


def _keep(value: Any, tree: dict | bool) -> Any:
    if tree is True:
        return value
    if isinstance(value, list):
        return [_keep(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: _keep(v, tree[k]) for k, v in value.items() if k in tree}
    return value


def _drop(value: Any, tree: dict) -> Any:
    if isinstance(value, list):
        return [_drop(v, tree) for v in value]
    if isinstance(value, dict):
        return {
            k: (_drop(v, tree[k]) if k in tree else v)
            for k, v in value.items()
            if tree.get(k) is not True
        }
    return value


def root_json(account: Account, api: str, total_subscribers: int) -> dict[str, Any]:
    return {
        "account_id": account.account_id,
        "login_id": str(account.user_id),
        "account_name": account.account_name,
        "email": account.login_email,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "username": account.username,
        "avatar_url": "",
        "role": account.role,
        "member_since": iso(account.member_since),
        "pricing_plan_type": "monthly",
        "first_payment": iso(account.member_since),
        "account_timezone": "UTC",
        "account_industry": "Software and Web App",
        "contact": {
            "company": account.account_name,
            "addr1": "1 Sandbox Way",
            "addr2": "",
            "city": "Atlanta",
            "state": "GA",
            "zip": "30308",
            "country": "US",
        },
        "pro_enabled": False,
        "last_login": iso(account.member_since),
        "total_subscribers": total_subscribers,
        "industry_stats": {"open_rate": 0.0, "bounce_rate": 0.0, "click_rate": 0.0},
        "_links": [link("self", f"{api}/"), link("lists", f"{api}/lists")],
    }


def audience_json(account: Account, audience: Audience, api: str) -> dict[str, Any]:
    href = f"{api}/lists/{audience.id}"
    return {
        "id": audience.id,
        "web_id": audience.web_id,
        "name": audience.name,
        "contact": audience.contact,
        "permission_reminder": audience.permission_reminder,
        "use_archive_bar": audience.use_archive_bar,
        "campaign_defaults": audience.campaign_defaults,
        "notify_on_subscribe": audience.notify_on_subscribe,
        "notify_on_unsubscribe": audience.notify_on_unsubscribe,
        "date_created": iso(audience.date_created),
        "list_rating": 0,
        "email_type_option": audience.email_type_option,
        "subscribe_url_short": f"https://eepurl.com/{audience.id[:6]}",
        "subscribe_url_long": f"https://listbridge.{account.dc}.list-manage.com/subscribe?id={audience.id}",
        "beamer_address": f"{account.dc}-{audience.id}@inbound.mailchimp.com",
        "visibility": audience.visibility,
        "double_optin": audience.double_optin,
        "has_welcome": False,
        "marketing_permissions": False,
        "modules": [],
        "stats": audience_stats(account, audience),
        "_links": [
            link("self", href),
            link("parent", f"{api}/lists"),
            link("update", href, "PATCH"),
            link("batch-sub-unsub-members", href, "POST"),
            link("members", f"{href}/members"),
            link("merge-fields", f"{href}/merge-fields"),
            link("webhooks", f"{href}/webhooks"),
        ],
    }


def audience_stats(account: Account, audience: Audience) -> dict[str, Any]:
    """Computed from the members and campaigns on every read (Mailchimp caches them)."""
    counts = Counter(m.status for m in audience.members.values())
    sent = [
        c
        for c in account.campaigns.values()
        if c.list_id == audience.id and c.status in ("sent", "sending") and c.emails_sent
    ]
    last_sent = max((c.send_time for c in sent if c.send_time), default=None)
    open_rate = sum(c.unique_opens / c.emails_sent for c in sent) / len(sent) if sent else 0
    click_rate = (
        sum(c.unique_subscriber_clicks / c.emails_sent for c in sent) / len(sent) if sent else 0
    )
    return {
        "member_count": counts["subscribed"],
        "total_contacts": sum(n for status, n in counts.items() if status != "archived"),
        "unsubscribe_count": counts["unsubscribed"],
        "cleaned_count": counts["cleaned"],
        "member_count_since_send": counts["subscribed"],
        "unsubscribe_count_since_send": counts["unsubscribed"],
        "cleaned_count_since_send": counts["cleaned"],
        "campaign_count": sum(1 for c in account.campaigns.values() if c.list_id == audience.id),
        "campaign_last_sent": iso(last_sent),
        "merge_field_count": len(audience.merge_fields),
        "avg_sub_rate": 0,
        "avg_unsub_rate": 0,
        "target_sub_rate": 0,
        # list stats are percentages (0-100), unlike campaign reports
        "open_rate": round(open_rate * 100, 2),
        "click_rate": round(click_rate * 100, 2),
        "last_sub_date": iso(audience.last_sub_date),
        "last_unsub_date": iso(audience.last_unsub_date),
    }


def merge_field_json(audience: Audience, field: MergeField, api: str) -> dict[str, Any]:
    href = f"{api}/lists/{audience.id}/merge-fields/{field.merge_id}"
    return {
        "merge_id": field.merge_id,
        "tag": field.tag,
        "name": field.name,
        "type": field.type,
        "required": field.required,
        "default_value": field.default_value,
        "public": field.public,
        "display_order": field.display_order,
        "options": field.options,
        "help_text": field.help_text,
        "list_id": audience.id,
        "_links": [link("self", href), link("parent", f"{api}/lists/{audience.id}/merge-fields")],
    }


def member_json(audience: Audience, member: Member, api: str) -> dict[str, Any]:
    href = f"{api}/lists/{audience.id}/members/{member.subscriber_hash}"
    merges = {f.tag: member.merge_fields.get(f.tag, "") for f in audience.merge_fields}
    full_name = f"{merges.get('FNAME', '')} {merges.get('LNAME', '')}".strip()
    document: dict[str, Any] = {
        "id": member.subscriber_hash,
        "email_address": member.email_address,
        "unique_email_id": member.unique_email_id,
        "contact_id": member.contact_id,
        "full_name": full_name,
        "web_id": member.web_id,
        "email_type": member.email_type,
        "status": member.status,
        "consents_to_one_to_one_messaging": True,
        "merge_fields": merges,
        "stats": {"avg_open_rate": 0, "avg_click_rate": 0},
        "ip_signup": member.ip_signup,
        "timestamp_signup": member.timestamp_signup,
        "ip_opt": member.ip_opt,
        "timestamp_opt": iso(member.timestamp_opt),
        "member_rating": 2,
        "last_changed": iso(member.last_changed),
        "language": member.language,
        "vip": member.vip,
        "email_client": "",
        "location": {
            "latitude": 0,
            "longitude": 0,
            "gmtoff": 0,
            "dstoff": 0,
            "country_code": "",
            "timezone": "",
        },
        "source": member.source,
        "tags_count": len(member.tags),
        "tags": [{"id": audience.tag_id(name), "name": name} for name in list(member.tags)[:50]],
        "list_id": audience.id,
        "_links": [
            link("self", href),
            link("parent", f"{api}/lists/{audience.id}/members"),
            link("update", href, "PATCH"),
            link("upsert", href, "PUT"),
            link("delete", href, "DELETE"),
            link("activity", f"{href}/activity"),
            link("goals", f"{href}/goals"),
            link("notes", f"{href}/notes"),
            link("events", f"{href}/events", "POST"),
            link("delete_permanent", f"{href}/actions/delete-permanent", "POST"),
        ],
    }
    if member.status == "unsubscribed":
        document["unsubscribe_reason"] = member.unsubscribe_reason
    return document


def webhook_json(webhook: Webhook, api: str, *, with_secret: bool = False) -> dict[str, Any]:
    href = f"{api}/lists/{webhook.list_id}/webhooks/{webhook.id}"
    document: dict[str, Any] = {
        "id": webhook.id,
        "url": webhook.url,
        "events": dict(webhook.events),
        "sources": dict(webhook.sources),
        "list_id": webhook.list_id,
        "signing_enabled": webhook.signing_enabled,
    }
    if with_secret:  # Mailchimp shows the secret exactly once, when the webhook is created
        document["signing_secret"] = webhook.signing_secret
    document["_links"] = [
        link("self", href),
        link("parent", f"{api}/lists/{webhook.list_id}/webhooks"),
        link("update", href, "PATCH"),
        link("delete", href, "DELETE"),
    ]
    return document
