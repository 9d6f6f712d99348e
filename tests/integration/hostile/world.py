"""One organisation with something of everything, for the hostile-input corpus: a synced
segment whose audience has our webhook, contacts, a trigger rule, a product-event hook, an API
token, and the browser client logged in."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from app.domain.inbound.tables import AudienceWebhook
from app.domain.segments.tables import SyncRun
from tests.factories import Member, bearer, log_in, make_token
from tests.integration.inbound.helpers import synced_audience
from tests.integration.inbound.product_helpers import event_hook, rule

from .corpus import settle


@dataclass
class World:
    owner: Member
    mailchimp_key: str
    contact_ids: list[int]
    contact_emails: list[str]
    segment_id: int
    run_id: int
    rule_id: int
    webhook: AudienceWebhook
    event_path: str
    event_secret: str
    api_headers: dict[str, str]


async def build_world(client: httpx.AsyncClient, sandbox) -> World:
    owner, key, _account, people, segment = await synced_audience(sandbox, people=2)
    webhook = await AudienceWebhook.objects().first()
    run = await SyncRun.objects().where(SyncRun.segment == segment.id).first()
    path, secret = await event_hook(owner)
    trigger = await rule(owner, "signed_up", "tag", tags=["new"])
    headers = bearer(await make_token(owner))
    await log_in(client, owner)
    await settle(sandbox)
    return World(
        owner=owner,
        mailchimp_key=key,
        contact_ids=[p["id"] for p in people],
        contact_emails=[p["email"] for p in people],
        segment_id=segment.id,
        run_id=run.id,
        rule_id=trigger.id,
        webhook=webhook,
        event_path=path,
        event_secret=secret,
        api_headers=headers,
    )
