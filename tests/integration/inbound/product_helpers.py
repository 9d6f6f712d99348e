"""Product-event hooks and trigger rules for tests, made through the services."""

from __future__ import annotations

import json
from typing import Any

import httpx

from app.domain.inbound import product_hooks, triggers
from app.domain.inbound.signatures import sign_customerio, sign_t_v1
from tests.factories import Member
from tests.fixtures.secrets import remember_secret
from tests.integration.segments.sync_helpers import AUDIENCE


async def event_hook(owner: Member) -> tuple[str, str]:
    """(the hook's path, its secret)."""
    view, secret = await product_hooks.create_or_regenerate(owner.principal)
    return f"/hooks/events/{view.public_id}", remember_secret(secret)


async def rule(owner: Member, event_name: str, action: str, **given: Any) -> triggers.RuleView:
    return await triggers.create(
        owner.principal,
        triggers.TriggerInput(event_name=event_name, action=action, list_id=AUDIENCE, **given),
    )


def encoded(event: dict[str, Any] | str | bytes) -> bytes:
    if isinstance(event, bytes):
        return event
    return (event if isinstance(event, str) else json.dumps(event)).encode()


async def send_signed(
    client: httpx.AsyncClient,
    path: str,
    secret: str,
    event: Any,
    *,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = encoded(event)
    return await client.post(
        path,
        content=body,
        headers={
            "content-type": "application/json",
            "x-listbridge-signature": sign_t_v1(secret, body, timestamp),
            **(headers or {}),
        },
    )


async def send_customerio(
    client: httpx.AsyncClient, path: str, secret: str, event: Any, *, timestamp: int | None = None
) -> httpx.Response:
    body = encoded(event)
    return await client.post(
        path,
        content=body,
        headers={"content-type": "application/json", **sign_customerio(secret, body, timestamp)},
    )


async def send_bearer(
    client: httpx.AsyncClient, path: str, secret: str, event: Any, **headers: str
) -> httpx.Response:
    return await client.post(
        path,
        content=encoded(event),
        headers={
            "content-type": "application/json",
            "authorization": f"Bearer {secret}",
            **headers,
        },
    )
