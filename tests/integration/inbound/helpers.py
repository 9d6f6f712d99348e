"""Shared steps for inbound tests: a synced segment whose audience has our webhook, sandbox
changes that fire webhooks at the app, and waiting until the app has applied them."""

from __future__ import annotations

from typing import Any

import httpx

from app.domain.inbound.tables import AudienceWebhook, EventStatus, InboundEvent
from app.domain.segments.tables import AudienceMember
from app.mailchimp.paths import subscriber_hash
from app.mailchimp.sandbox import Sandbox
from tests.contact_factories import make_contact
from tests.fixtures.app import wait_until
from tests.fixtures.secrets import remember_secret
from tests.integration.segments.sync_helpers import AUDIENCE, connected, make_segment, sync


async def synced_audience(sandbox: Sandbox, *, people: int = 2, **segment: Any):
    """An organisation with `people` contacts synced to AUDIENCE, our webhook registered."""
    owner, key, account = await connected(sandbox)
    contacts = [await make_contact(owner, department="Sales") for _ in range(people)]
    made = await make_segment(owner, **segment)
    run = await sync(owner, made.id)
    assert run.status == "completed", run.error
    webhook = await AudienceWebhook.objects().where(AudienceWebhook.list_id == AUDIENCE).first()
    assert webhook is not None
    assert webhook.status == "registered", webhook.last_error
    remember_secret(webhook.url_secret)
    return owner, key, account, contacts, made


async def change(sandbox: Sandbox, key: str, email: str, action: str, **body: Any) -> dict:
    """Do in the sandbox what a person or an admin does in Mailchimp (fires webhooks)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.asgi_app), base_url="http://sandbox"
    ) as control:
        response = await control.post(
            f"/_sandbox/api/accounts/{key}/lists/{AUDIENCE}/members/{subscriber_hash(email)}/changes",
            json={"action": action, **body},
        )
    assert response.status_code == 200, response.text
    return response.json()


async def settled(sandbox: Sandbox, *, expected: int | None = None, timeout: float = 15.0):
    """Deliveries done, and every stored event applied (processed, failed or ignored)."""
    await sandbox.drain_webhooks()

    async def done():
        waiting = await InboundEvent.count().where(InboundEvent.status == EventStatus.received)
        total = await InboundEvent.count()
        return waiting == 0 and (expected is None or total >= expected)

    await wait_until(done, timeout=timeout)
    return await InboundEvent.select().order_by(InboundEvent.id).output(load_json=True)


async def member_status(email: str, list_id: str = AUDIENCE) -> str | None:
    row = (
        await AudienceMember.select(AudienceMember.status)
        .where(
            (AudienceMember.list_id == list_id)
            & (AudienceMember.subscriber_hash == subscriber_hash(email))
        )
        .first()
    )
    return row["status"] if row else None


def hook_path(webhook: AudienceWebhook, secret: str | None = None) -> str:
    return f"/hooks/mailchimp/{webhook.id}/{secret if secret is not None else webhook.url_secret}"


def signing_secret(webhook: AudienceWebhook) -> str:
    from app.lib.crypto import secret_box

    return remember_secret(secret_box().decrypt(webhook.signing_secret))


async def deliver(
    client: httpx.AsyncClient,
    webhook: AudienceWebhook,
    body: str | bytes,
    *,
    secret: str | None = None,
    signature: str | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> httpx.Response:
    """POST a delivery as Mailchimp does: form-encoded, signed with the webhook's secret."""
    from app.domain.inbound.signatures import sign_t_v1

    raw = body.encode() if isinstance(body, str) else body
    headers = {"content-type": content_type, "user-agent": "MailChimp.com"}
    if signature is None and webhook.signing_secret:
        signature = sign_t_v1(signing_secret(webhook), raw)
    if signature:
        headers["x-mailchimp-signature"] = signature
    return await client.post(hook_path(webhook, secret), content=raw, headers=headers)


def unsubscribe_body(email: str, *, fired_at: str = "2026-01-02 03:04:05", **extra: str) -> str:
    from urllib.parse import urlencode

    return urlencode(
        {
            "type": "unsubscribe",
            "fired_at": fired_at,
            "data[action]": "unsub",
            "data[reason]": "manual",
            "data[id]": "8a25ff1d98",
            "data[list_id]": AUDIENCE,
            "data[email]": email,
            "data[email_type]": "html",
            "data[merges][EMAIL]": email,
            **extra,
        }
    )
