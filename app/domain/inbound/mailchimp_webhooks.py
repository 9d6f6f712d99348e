"""Our webhook on each audience a segment feeds: register it, keep it to our settings, show it.

Exactly one per (organisation, audience). Its URL is
`{base_url}/hooks/mailchimp/{row id}/{url secret}`; the row is saved before Mailchimp is asked,
because Mailchimp validates a new URL with a GET while the creation call is still open.
Registering again finds any webhook of ours Mailchimp already has for the audience (by URL),
resets it to our events and sources, and removes extra copies, so there is never a second.
A failure is recorded on the row (the segment is kept; the page offers "Re-register").
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.connections import services as connections
from app.domain.inbound.signatures import secrets_equal
from app.domain.inbound.tables import AudienceWebhook, WebhookStatus
from app.domain.segments import audience_status
from app.lib import audit
from app.lib.crypto import secret_box
from app.lib.errors import ListbridgeError
from app.lib.redis import shared_client
from app.mailchimp.client import MailchimpClient
from app.mailchimp.errors import MailchimpError, Unauthorized
from app.mailchimp.errors import NotFound as MailchimpNotFound
from app.mailchimp.models import Webhook
from app.settings import get_settings

logger = logging.getLogger(__name__)

EVENTS = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
# Not "api": our own writes would echo back to us.
SOURCES = ("user", "admin")
HOOK_PATH = "/hooks/mailchimp"
ENTITY = "audience_webhook"


@dataclass(frozen=True, slots=True)
class WebhookView:
    """A registration as pages and the API show it (never its URL: that holds the secret)."""

    id: int
    list_id: str
    list_name: str
    status: str
    last_error: str
    registered_at: datetime | None
    last_received_at: datetime | None
    signed: bool


def _view(row: AudienceWebhook, names: dict[str, str]) -> WebhookView:
    return WebhookView(
        id=row.id,
        list_id=row.list_id,
        list_name=names.get(row.list_id, row.list_id),
        status=row.status,
        last_error=row.last_error,
        registered_at=row.registered_at,
        last_received_at=row.last_received_at,
        signed=bool(row.signing_secret),
    )


def _prefix() -> str:
    return f"{get_settings().app.base_url.rstrip('/')}{HOOK_PATH}/"


def url_for(row: AudienceWebhook) -> str:
    return f"{_prefix()}{row.id}/{row.url_secret}"


def _live(organisation_id: int):
    return (
        AudienceWebhook.organisation == organisation_id
    ) & AudienceWebhook.soft_deleted_at.is_null()


async def _live_row(organisation_id: int, list_id: str) -> AudienceWebhook | None:
    return (
        await AudienceWebhook.objects()
        .where(_live(organisation_id) & (AudienceWebhook.list_id == list_id))
        .first()
    )


async def webhooks(principal: Principal) -> list[WebhookView]:
    rows = (
        await AudienceWebhook.objects()
        .where(_live(principal.organisation_id))
        .order_by(AudienceWebhook.list_id)
    )
    if not rows:
        return []
    names = await _names(principal)
    return [_view(row, names) for row in rows]


async def webhook_for(principal: Principal, list_id: str) -> WebhookView | None:
    row = await _live_row(principal.organisation_id, list_id)
    if row is None:
        return None
    return _view(row, await _names(principal))


async def _names(principal: Principal) -> dict[str, str]:
    from app.domain.inbound.status import audience_names  # status reads our tables too

    return await audience_names(principal)


async def registrable(principal: Principal, list_id: str) -> bool:
    """An audience we have a registration for, or one a live segment feeds."""
    if await _live_row(principal.organisation_id, list_id) is not None:
        return True
    return list_id in await audience_status.targeted_audiences(principal.organisation_id)


async def find_for_delivery(row_id: int, secret: str) -> tuple[AudienceWebhook | None, bool]:
    """The webhook a delivery is for, if its secret matches: (row, gone). Gone rows (deleted,
    or the connection was removed) are answered 410 so Mailchimp stops calling."""
    row = await AudienceWebhook.objects().where(AudienceWebhook.id == row_id).first()
    if row is None or not row.url_secret or not secrets_equal(secret, row.url_secret):
        return None, False
    return row, row.soft_deleted_at is not None


async def _new_row(principal: Principal, list_id: str) -> AudienceWebhook:
    row = AudienceWebhook(
        organisation=principal.organisation_id,
        list_id=list_id,
        webhook_id="",
        url_secret=secrets.token_urlsafe(32),
        status=WebhookStatus.registering,
    )
    try:
        await row.save()
    except Exception:
        # Registered by someone else a moment ago (one live row per audience): use theirs.
        existing = await _live_row(principal.organisation_id, list_id)
        if existing is None:
            raise
        return existing
    return row


async def _ours_on_mailchimp(
    organisation_id: int, list_id: str, found: list[Webhook]
) -> list[Webhook]:
    """Mailchimp's webhooks on the audience whose URL is one we made for it (any row of ours,
    live or not), so another organisation's webhook on a shared account is never touched."""
    prefix, candidates = _prefix(), {}
    for hook in found:
        if hook.url.startswith(prefix):
            row_id = hook.url[len(prefix) :].split("/", 1)[0]
            if row_id.isdigit():
                candidates[hook.id] = (int(row_id), hook)
    if not candidates:
        return []
    mine = await AudienceWebhook.select(AudienceWebhook.id).where(
        (AudienceWebhook.organisation == organisation_id)
        & (AudienceWebhook.list_id == list_id)
        & AudienceWebhook.id.is_in([row_id for row_id, _ in candidates.values()])
    )
    ids = {r["id"] for r in mine}
    return [hook for row_id, hook in candidates.values() if row_id in ids]


async def _register(client: MailchimpClient, row: AudienceWebhook) -> tuple[str, str, str]:
    """(webhook id, encrypted signing secret or "", "created" | "updated") at Mailchimp."""
    url = url_for(row)
    ours = await _ours_on_mailchimp(
        row.organisation, row.list_id, await client.webhooks(row.list_id)
    )
    keep = next((h for h in ours if h.url == url), None) or (ours[0] if ours else None)
    if keep is None:
        created = await client.create_webhook(row.list_id, url, events=EVENTS, sources=SOURCES)
        signing = secret_box().encrypt(created.signing_secret) if created.signing_secret else ""
        return created.id, signing, "created"
    await client.update_webhook(
        row.list_id,
        keep.id,
        url=url if keep.url != url else None,
        events=EVENTS,
        sources=SOURCES,
    )
    for extra in ours:
        if extra.id != keep.id:
            with contextlib.suppress(MailchimpNotFound):  # already gone
                await client.delete_webhook(row.list_id, extra.id)
    # Mailchimp shows a signing secret only at creation: we know it only for our own hook.
    signing = row.signing_secret if keep.id == row.webhook_id else ""
    return keep.id, signing, "updated"


def _explain(error: Exception) -> str:
    if isinstance(error, Unauthorized):
        return connections.REJECTED_KEY
    if isinstance(error, MailchimpNotFound):
        return "Mailchimp has no such audience in the connected account any more."
    if isinstance(error, ListbridgeError):
        return error.detail
    detail = getattr(error, "detail", "") or str(error)
    return f"Mailchimp refused the webhook: {detail}"[:500]


async def ensure_audience_webhook(principal: Principal, list_id: str) -> WebhookView:
    """Make sure Mailchimp calls us for this audience; never raises for Mailchimp's answers:
    a failure is recorded on the registration (shown with a Re-register button)."""
    lock = shared_client().lock(
        f"listbridge:lock:webhook:{principal.organisation_id}:{list_id}",
        timeout=120,
        blocking_timeout=60,
    )
    async with lock:
        row = await _live_row(principal.organisation_id, list_id)
        if row is None:
            row = await _new_row(principal, list_id)
        connection = await connections.live_connection(principal.organisation_id)
        outcome: tuple[str, str, str] | None = None
        problem = ""
        try:
            if connection is None:
                raise ListbridgeError("Connect a Mailchimp account first (Settings → Mailchimp).")
            async with connections.client_for_row(connection, interactive=True) as client:
                outcome = await _register(client, row)
        except (MailchimpError, ListbridgeError) as exc:
            problem = _explain(exc)
            logger.info(
                "webhook registration failed",
                extra={"list_id": list_id, "error": type(exc).__name__},
            )
        await _record(principal, row, connection.id if connection else None, outcome, problem)
    return _view(row, await _names(principal))


async def _record(
    principal: Principal,
    row: AudienceWebhook,
    connection_id: int | None,
    outcome: tuple[str, str, str] | None,
    problem: str,
) -> None:
    async with transaction():
        row.connection = connection_id
        if outcome is not None:
            row.webhook_id, row.signing_secret, how = outcome
            row.status, row.last_error, row.registered_at = WebhookStatus.registered, "", utcnow()
        else:
            row.status, row.last_error = WebhookStatus.failed, problem
        await row.save()
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="mailchimp.webhook_registered" if outcome else "mailchimp.webhook_failed",
            entity_type=ENTITY,
            entity_id=row.id,
            changes={"list_id": row.list_id, "result": how if outcome else problem},
        )


async def audience_targeted(principal: Principal, list_id: str) -> None:
    """A segment now feeds this audience: register our webhook unless it already is."""
    row = await _live_row(principal.organisation_id, list_id)
    if row is None or row.status != WebhookStatus.registered:
        await ensure_audience_webhook(principal, list_id)


async def ensure_for_segments(principal: Principal) -> list[WebhookView]:
    """Every audience a live segment feeds gets our webhook (demo start-up, "re-register all")."""
    return [
        await ensure_audience_webhook(principal, list_id)
        for list_id in await audience_status.targeted_audiences(principal.organisation_id)
    ]


async def touch(row: AudienceWebhook) -> None:
    """Remember when Mailchimp last called (at most one write a minute under load)."""
    now = utcnow()
    if row.last_received_at is None or now - row.last_received_at > timedelta(minutes=1):
        await AudienceWebhook.update({AudienceWebhook.last_received_at: now}).where(
            AudienceWebhook.id == row.id
        )
