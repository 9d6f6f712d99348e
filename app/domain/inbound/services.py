"""Inbound: removing the Mailchimp webhooks we registered (disconnect), rotating secrets.

Registering lives in mailchimp_webhooks.py, receiving in receiving.py, the rest beside them.
"""

from __future__ import annotations

import logging

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.inbound.tables import AudienceWebhook
from app.mailchimp.client import MailchimpClient
from app.mailchimp.errors import MailchimpError, NotFound

logger = logging.getLogger(__name__)


def _live(organisation_id: int):
    return (
        AudienceWebhook.organisation == organisation_id
    ) & AudienceWebhook.soft_deleted_at.is_null()


async def remove_registered_webhooks(
    principal: Principal, client: MailchimpClient
) -> dict[str, int]:
    """Ask Mailchimp to delete every webhook we registered; forget them either way."""
    rows = await AudienceWebhook.objects().where(_live(principal.organisation_id))
    removed = failed = 0
    for row in rows:
        try:
            await client.delete_webhook(row.list_id, row.webhook_id)
            removed += 1
        except NotFound:
            removed += 1  # already gone on Mailchimp's side
        except MailchimpError as exc:
            failed += 1
            logger.warning(
                "could not remove a Mailchimp webhook",
                extra={"list_id": row.list_id, "webhook_id": row.webhook_id, "error": exc.title},
            )
    await _forget(rows)
    return {"removed": removed, "not_removed": failed}


async def forget_registered_webhooks(principal: Principal) -> dict[str, int]:
    """When Mailchimp can't be asked: stop trusting the URLs (their secrets answer 404 now)."""
    rows = await AudienceWebhook.objects().where(_live(principal.organisation_id))
    await _forget(rows)
    return {"removed": 0, "not_removed": len(rows)}


async def _forget(rows: list[AudienceWebhook]) -> None:
    async with transaction():
        for row in rows:
            row.soft_deleted_at = utcnow()
            row.signing_secret = ""
            await row.save([AudienceWebhook.soft_deleted_at, AudienceWebhook.signing_secret])


async def rotate_secrets() -> int:
    """`listbridge rotate-keys`: re-encrypt webhook signing secrets and hook secrets."""
    from app.domain.inbound import product_hooks
    from app.lib.crypto import secret_box

    box = secret_box()
    rows = await AudienceWebhook.objects().where(AudienceWebhook.signing_secret != "")
    async with transaction():
        for row in rows:
            row.signing_secret = box.rotate(row.signing_secret)
            await row.save([AudienceWebhook.signing_secret])
    return len(rows) + await product_hooks.rotate_secrets()
