"""The steps of an erasure job (erasure.py asks for erasures and runs the job): delete the
member in every audience, wait for work that may still write the person down, then scrub
every record in one transaction and prove it in the audit log without the data it removed."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from app.db import transaction, utcnow
from app.domain.audit import services as audit_log
from app.domain.connections import services as connections
from app.domain.contacts import erasure as contact_records
from app.domain.inbound import erasure as inbound_records
from app.domain.preferences import services as preferences
from app.domain.preferences.tables import Erasure, ErasureStatus
from app.domain.segments import holdings
from app.lib import audit
from app.lib.audit import Actor
from app.lib.errors import ListbridgeError
from app.mailchimp.client import MailchimpClient
from app.mailchimp.errors import BadRequest, ForgottenEmailNotSubscribed, MailchimpError
from app.mailchimp.errors import NotFound as MailchimpNotFound
from app.mailchimp.paths import subscriber_hash

logger = logging.getLogger(__name__)

# Entries that prove an erasure hold no personal data: the redaction keeps them as written.
ERASURE_ACTIONS = ("contact.erasure_requested", "contact.erasure_incomplete", "contact.erased")
MAX_BACKOFF = timedelta(minutes=15)
NOT_CONNECTED = "Mailchimp isn't connected: connect it again so the member can be deleted there."
WAITING_FOR_WORK = "Waiting for a sync or an import of this organisation to finish first."


async def members_of(organisation_id: int, contact_id: int, emails: list[str]) -> list[dict]:
    hashes = [subscriber_hash(email) for email in emails]
    return await holdings.holdings(organisation_id, hashes=hashes, contact_id=contact_id)


def merge_targets(members: list[dict], known: list[dict] | None = None) -> list[dict[str, Any]]:
    """Audiences to erase from: those already noted (with their progress) plus any new ones."""
    targets = list(known or [])
    seen = {(t["list_id"], t["subscriber_hash"]) for t in targets}
    for member in members:
        if (member["list_id"], member["subscriber_hash"]) not in seen:
            seen.add((member["list_id"], member["subscriber_hash"]))
            targets.append(
                {
                    "list_id": member["list_id"],
                    "list_name": member["list_name"],
                    "subscriber_hash": member["subscriber_hash"],
                    "status": "pending",
                    "message": "",
                }
            )
    return targets


async def carry_out(row: Erasure) -> dict[str, Any]:
    organisation_id = row.organisation
    contact = await contact_records.find(organisation_id, row.contact_id)
    emails = [contact["email"]] if contact and not contact_records.is_erased(contact) else []
    members = await members_of(organisation_id, row.contact_id, emails)
    targets = merge_targets(members, row.audiences)
    # The hash noted when it was asked covers a contact whose address was scrubbed already.
    targets = merge_targets(
        await holdings.holdings(
            organisation_id, hashes=[row.subscriber_hash], contact_id=row.contact_id
        ),
        targets,
    )
    if any(t["status"] != "done" for t in targets):
        await _delete_everywhere(row, targets)
        failed = [t for t in targets if t["status"] != "done"]
        if failed:
            return await incomplete(row, targets, failed[0]["message"])
    if await holdings.sync_in_progress(organisation_id) or (
        await contact_records.import_in_progress(organisation_id)
    ):
        return await incomplete(row, targets, WAITING_FOR_WORK, soon=True)
    return await _finish(row, targets, emails)


async def _delete_everywhere(row: Erasure, targets: list[dict]) -> None:
    """Delete the member permanently in each audience not done yet, saving progress as we go."""
    try:
        client = await connections.client_for(row.organisation)
    except ListbridgeError:
        for target in targets:
            if target["status"] != "done":
                target.update(status="failed", message=NOT_CONNECTED)
        return
    async with client:
        for target in targets:
            if target["status"] == "done":
                continue
            status, message = await _delete_one(client, target)
            target.update(status=status, message=message)
            if status == "done":
                await holdings.forget(
                    row.organisation, target["list_id"], target["subscriber_hash"]
                )
            await Erasure.update({Erasure.audiences: targets}).where(Erasure.id == row.id)


async def _delete_one(client: MailchimpClient, target: dict) -> tuple[str, str]:
    try:
        await client.delete_member_permanently(target["list_id"], target["subscriber_hash"])
    except (MailchimpNotFound, ForgottenEmailNotSubscribed):
        return "done", "Not in this audience (deleted already)."
    except BadRequest as exc:
        # Mailchimp's own words may quote the address: the class's message never does.
        return "failed", type(exc).default_user_message
    except MailchimpError as exc:
        logger.info(
            "erasure could not reach Mailchimp",
            extra={"list_id": target["list_id"], "error": exc.title},
        )
        return "failed", type(exc).default_user_message
    return "done", "Deleted permanently."


def _actor(row: Erasure) -> Actor:
    return Actor(type=row.actor_type, id=row.actor_id, label=row.actor_label)


async def incomplete(
    row: Erasure, targets: list[dict], reason: str, *, soon: bool = False
) -> dict[str, Any]:
    now = utcnow()
    backoff = timedelta(minutes=1) * (1 if soon else 2 ** min(row.attempts - 1, 4))
    async with transaction():
        await Erasure.update(
            {
                Erasure.status: ErasureStatus.incomplete,
                Erasure.audiences: targets,
                Erasure.last_error: reason,
                Erasure.next_attempt_at: now + min(backoff, MAX_BACKOFF),
                Erasure.lease_until: None,
            }
        ).where(Erasure.id == row.id)
        if reason != row.last_error:  # a new reason, not every retry of the same one
            await audit.record(
                _actor(row),
                organisation_id=row.organisation,
                action="contact.erasure_incomplete",
                entity_type="contact",
                entity_id=row.contact_id,
                changes={
                    "erasure_id": row.id,
                    "attempt": row.attempts,
                    "remaining": [t["list_id"] for t in targets if t["status"] != "done"],
                    "reason": reason,
                },
            )
    return {"erasure_id": row.id, "status": ErasureStatus.incomplete}


async def _finish(row: Erasure, targets: list[dict], emails: list[str]) -> dict[str, Any]:
    organisation_id = row.organisation
    hashes = sorted({row.subscriber_hash, *(t["subscriber_hash"] for t in targets)})
    async with transaction():
        erased = await contact_records.scrub(organisation_id, row.contact_id, emails)
        await contact_records.scrub_imports(organisation_id, emails)
        await inbound_records.scrub(organisation_id, emails)
        await holdings.scrub_run_items(organisation_id, contact_ids=erased, emails=emails)
        await holdings.forget_contact(organisation_id, erased, hashes)
        await preferences.forget(organisation_id, erased)
        await audit_log.redact_person(
            organisation_id,
            entity_type="contact",
            entity_ids=erased,
            mentions=emails,
            keep_actions=ERASURE_ACTIONS,
        )
        now = utcnow()
        await Erasure.update(
            {
                Erasure.status: ErasureStatus.done,
                Erasure.audiences: targets,
                Erasure.last_error: "",
                Erasure.next_attempt_at: None,
                Erasure.lease_until: None,
                Erasure.finished_at: now,
            }
        ).where(Erasure.id == row.id)
        await audit.record(
            _actor(row),
            organisation_id=organisation_id,
            action="contact.erased",
            entity_type="contact",
            entity_id=row.contact_id,
            changes={
                "erasure_id": row.id,
                "subscriber_hash": row.subscriber_hash,
                "audiences": [{"list_id": t["list_id"], "outcome": t["message"]} for t in targets],
                "contact_records": len(erased),
            },
        )
    return {"erasure_id": row.id, "status": ErasureStatus.done, "audiences": len(targets)}
