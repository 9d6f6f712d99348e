"""The organisation's product-event hook: its URL, its secret (shown once), who may call it.

A sender proves itself with the hook's secret, one of three ways: our signature
(`X-Listbridge-Signature`), Customer.io's reporting-webhook signature (`X-CIO-Signature`, with
the secret as the signing key), or — for senders that can only add static headers, like a
Customer.io campaign webhook action — `Authorization: Bearer <secret>`. Signed deliveries
carry a timestamp and are refused outside a 5-minute window.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.inbound.signatures import (
    SignatureProblem,
    bearer_matches,
    verify_customerio,
    verify_t_v1,
)
from app.domain.inbound.tables import EventHook, EventSource
from app.lib import audit
from app.lib.crypto import SecretUnreadable, secret_box
from app.settings import get_settings

SECRET_PREFIX = "lbhook_"  # noqa: S105 - a label, like our API tokens' lb_
HOOK_PATH = "/hooks/events"
ENTITY = "event_hook"


@dataclass(frozen=True, slots=True)
class HookView:
    id: int
    public_id: str
    url: str
    secret_hint: str
    secret_created_at: datetime
    last_received_at: datetime | None


def _view(row: EventHook) -> HookView:
    base = get_settings().app.base_url.rstrip("/")
    return HookView(
        id=row.id,
        public_id=row.public_id,
        url=f"{base}{HOOK_PATH}/{row.public_id}",
        secret_hint=row.secret_hint,
        secret_created_at=row.secret_created_at,
        last_received_at=row.last_received_at,
    )


async def _live_row(organisation_id: int) -> EventHook | None:
    return (
        await EventHook.objects()
        .where((EventHook.organisation == organisation_id) & EventHook.soft_deleted_at.is_null())
        .first()
    )


async def hook(principal: Principal) -> HookView | None:
    row = await _live_row(principal.organisation_id)
    return _view(row) if row else None


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


async def create_or_regenerate(principal: Principal) -> tuple[HookView, str]:
    """The hook with a new secret (made on first use); the plaintext is returned once only."""
    principal.require_admin()
    plaintext = _new_secret()
    async with transaction():
        row = await _live_row(principal.organisation_id)
        action = "event_hook.secret_regenerated"
        if row is None:
            row = EventHook(
                organisation=principal.organisation_id, public_id=secrets.token_urlsafe(16)
            )
            action = "event_hook.created"
        row.secret = secret_box().encrypt(plaintext)
        row.secret_hint = plaintext[: len(SECRET_PREFIX) + 4]
        row.secret_created_at = utcnow()
        await row.save()
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action=action,
            entity_type=ENTITY,
            entity_id=row.id,
            changes={"public_id": row.public_id},
        )
    return _view(row), plaintext


async def find(public_id: str) -> EventHook | None:
    if not public_id or len(public_id) > 64:
        return None
    return (
        await EventHook.objects()
        .where((EventHook.public_id == public_id) & EventHook.soft_deleted_at.is_null())
        .first()
    )


def authenticate(row: EventHook, headers: Mapping[str, str], body: bytes) -> EventSource:
    """Which kind of sender this is, once its proof checks out; SignatureProblem otherwise."""
    try:
        secret = secret_box().decrypt(row.secret)
    except SecretUnreadable:
        raise SignatureProblem("The hook's secret can't be read here: regenerate it.") from None
    ours = headers.get("x-listbridge-signature")
    if ours is not None:
        verify_t_v1(ours, body, secret)
        return EventSource.generic
    cio_signature = headers.get("x-cio-signature")
    if cio_signature is not None:
        verify_customerio(headers.get("x-cio-timestamp", ""), cio_signature, body, secret)
        return EventSource.customerio
    if bearer_matches(headers, secret):
        return EventSource.generic
    raise SignatureProblem(
        "Sign the request (X-Listbridge-Signature or X-CIO-Signature) or send "
        "Authorization: Bearer <the hook's secret>."
    )


async def touch(row: EventHook) -> None:
    """Remember when the hook was last used (at most one write a minute under load)."""
    now = utcnow()
    if row.last_received_at is None or now - row.last_received_at > timedelta(minutes=1):
        await EventHook.update({EventHook.last_received_at: now}).where(EventHook.id == row.id)


async def rotate_secrets() -> int:
    """`listbridge rotate-keys`: re-encrypt hook secrets under the first key."""
    box = secret_box()
    rows = await EventHook.objects().where(EventHook.secret != "")
    async with transaction():
        for row in rows:
            row.secret = box.rotate(row.secret)
            await row.save([EventHook.secret])
    return len(rows)
