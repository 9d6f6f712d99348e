"""Loading a sandbox from a small JSON document (see `demo_seed.json` for every option).

Seeds go through the same rules as the API (fake addresses, merge-field validation), so a
seed cannot describe a state Mailchimp could not be in; mistakes raise `ValueError`.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path
from typing import Any

from app.mailchimp.sandbox import campaigns, members
from app.mailchimp.sandbox.audiences import create_audience
from app.mailchimp.sandbox.errors import ApiProblem
from app.mailchimp.sandbox.identity import new_id, parse_iso
from app.mailchimp.sandbox.merge_fields import add_merge_field
from app.mailchimp.sandbox.state import (
    WEBHOOK_EVENTS,
    WEBHOOK_SOURCES,
    Account,
    Audience,
    Faults,
    OAuthClient,
    SandboxState,
    Webhook,
)


def read_seed(seed: dict[str, Any] | str | PathLike[str]) -> dict[str, Any]:
    if isinstance(seed, dict):
        return seed
    return json.loads(Path(seed).read_text(encoding="utf-8"))


def apply_seed(state: SandboxState, seed: dict[str, Any]) -> None:
    try:
        for client in seed.get("oauth_clients", []):
            register_oauth_client(state, client)
        for entry in seed.get("accounts", []):
            _seed_account(state, entry)
    except ApiProblem as problem:
        raise ValueError(
            f"seed refused: {problem.title}: {problem.detail} {problem.errors or ''}"
        ) from None


def register_oauth_client(state: SandboxState, body: dict[str, Any]) -> OAuthClient:
    missing = [k for k in ("client_id", "client_secret", "redirect_uri") if not body.get(k)]
    if missing:
        raise ValueError(f"an OAuth client needs {', '.join(missing)}")
    client = OAuthClient(
        client_id=str(body["client_id"]),
        client_secret=str(body["client_secret"]),
        redirect_uri=str(body["redirect_uri"]),
        name=str(body.get("name") or "Sandbox OAuth app"),
    )
    state.oauth_clients[client.client_id] = client
    return client


def faults_from(body: dict[str, Any]) -> Faults:
    defaults = Faults()
    rates = {
        k: float(body.get(k, getattr(defaults, k)))
        for k in ("rate_429", "rate_500", "rate_timeout")
    }
    if any(not 0 <= r <= 1 for r in rates.values()) or sum(rates.values()) > 1:
        raise ValueError("fault rates are fractions between 0 and 1, together at most 1")
    return Faults(
        latency_ms=int(body.get("latency_ms", defaults.latency_ms)),
        retry_after=int(body.get("retry_after", defaults.retry_after)),
        timeout_seconds=float(body.get("timeout_seconds", defaults.timeout_seconds)),
        timeout_after_write=bool(body.get("timeout_after_write", defaults.timeout_after_write)),
        seed=int(body["seed"]) if body.get("seed") not in (None, "") else None,
        **rates,
    )


def _seed_account(state: SandboxState, entry: dict[str, Any]) -> None:
    account = state.create_account(
        api_key=entry["api_key"],
        account_name=entry.get("account_name"),
        login_email=entry.get("login_email"),
        first_name=entry.get("first_name", "Sandbox"),
        last_name=entry.get("last_name", "User"),
        role=entry.get("role", "owner"),
        account_id=entry.get("account_id"),
        revoked=bool(entry.get("revoked", False)),
    )
    if "faults" in entry:
        account.set_faults(faults_from(entry["faults"]))
    now = state.now()
    for body in entry.get("audiences", []):
        audience = create_audience(account, body, now=now, fill_defaults=True)
        for field in body.get("merge_fields", []):
            add_merge_field(audience, field)
        for member in body.get("members", []):
            _seed_member(audience, member, now)
        for hook in body.get("webhooks", []):
            _seed_webhook(audience, hook)
    for body in entry.get("campaigns", []):
        _seed_campaign(account, body, now)


def _seed_member(audience: Audience, body: dict[str, Any], now: Any) -> None:
    status = body.get("status", "subscribed")
    changed = parse_iso(body["last_changed"]) if body.get("last_changed") else now
    write = members.create_member(
        audience,
        body,
        email=body["email_address"],
        status="subscribed" if status == "archived" else status,
        now=changed,
        skip_merge_validation=False,
        source=body.get("source", "admin"),
    )
    if status == "archived":
        members.archive_member(audience, write.member.subscriber_hash, now=changed)


def _seed_webhook(audience: Audience, body: dict[str, Any]) -> None:
    webhook = Webhook(
        id=str(body.get("id") or new_id()),
        list_id=audience.id,
        url=body["url"],
        events={e: bool(body.get("events", {}).get(e, True)) for e in WEBHOOK_EVENTS},
        sources={s: bool(body.get("sources", {}).get(s, s != "api")) for s in WEBHOOK_SOURCES},
        signing_enabled=bool(body.get("signing_enabled", True)),
        signing_secret=str(body.get("signing_secret") or new_id(32)),
    )
    audience.webhooks[webhook.id] = webhook


def _audience_for(account: Account, body: dict[str, Any]) -> str:
    if body.get("list_id"):
        return str(body["list_id"])
    for audience in account.audiences.values():
        if audience.name == body.get("audience"):
            return audience.id
    raise ValueError(f"campaign {body.get('id')!r} names no audience of its account")


def _seed_campaign(account: Account, body: dict[str, Any], now: Any) -> None:
    list_id = _audience_for(account, body)
    campaign = campaigns.create_campaign(
        account,
        {
            "type": body.get("type", "regular"),
            "recipients": {"list_id": list_id},
            "settings": body.get("settings", {}),
        },
        now=parse_iso(body["create_time"]) if body.get("create_time") else now,
    )
    if body.get("id"):
        del account.campaigns[campaign.id]
        campaign.id = str(body["id"])
        account.campaigns[campaign.id] = campaign
    status = body.get("status", "save")
    if status in ("sent", "sending"):
        campaign.status = status
        campaign.send_time = parse_iso(body["send_time"]) if body.get("send_time") else now
        subscribed = campaigns.subscribed_count(account, list_id)
        default_sent = subscribed if status == "sent" else subscribed // 2
        campaign.emails_sent = int(body.get("emails_sent", default_sent))
        report = body.get("report", {})
        campaign.opens_total = int(report.get("opens_total", 0))
        campaign.unique_opens = int(report.get("unique_opens", 0))
        campaign.clicks_total = int(report.get("clicks_total", 0))
        campaign.unique_clicks = int(report.get("unique_clicks", 0))
        campaign.unique_subscriber_clicks = int(
            report.get("unique_subscriber_clicks", campaign.unique_clicks)
        )
        campaign.last_open = campaign.send_time if campaign.opens_total else None
        campaign.last_click = campaign.send_time if campaign.clicks_total else None
    elif status != "save":
        campaign.status = status
