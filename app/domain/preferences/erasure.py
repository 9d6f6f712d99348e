"""GDPR erasure: remove a person from every Mailchimp audience where the organisation holds
them, then from every record of ours, and prove it without keeping who it was.

Asking hides the contact at once (out of lists, searches and syncs) and notes the audiences
that hold them. The job then:
1. calls delete-permanent for the member in each audience; a 404 or "Forgotten Email Not
   Subscribed" means it is gone already. Each audience done is remembered, so a retry only
   does what is left;
2. if any audience failed, the erasure is `incomplete` and tried again with backoff (the cron,
   or the Retry button): it is never reported done while a copy remains in Mailchimp;
3. waits while a sync or an import of the organisation runs (either may still write the
   person's address into its rows);
4. in one transaction: scrubs the contact rows, import rows and files, sync-run rows and the
   audience mirror, deletes the preference records, redacts the audit entries, and marks the
   erasure done with an audit entry that names the subscriber hash and audiences only.
An erasure is per contact and done once: asking again answers the existing one.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from typing import Any

import asyncpg

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.audit import services as audit_log
from app.domain.connections import services as connections
from app.domain.contacts import erasure as contact_records
from app.domain.contacts import services as contacts
from app.domain.preferences import services as preferences
from app.domain.preferences.tables import Erasure, ErasureStatus
from app.domain.segments import holdings
from app.lib import audit, queue
from app.lib.audit import Actor
from app.lib.errors import Conflict, ListbridgeError, NotFound
from app.lib.pagination import Page, keyset_page
from app.mailchimp.client import MailchimpClient
from app.mailchimp.errors import BadRequest, ForgottenEmailNotSubscribed, MailchimpError
from app.mailchimp.errors import NotFound as MailchimpNotFound
from app.mailchimp.paths import subscriber_hash

logger = logging.getLogger(__name__)

ERASURE_ACTIONS = ("contact.erasure_requested", "contact.erasure_incomplete", "contact.erased")
JOB_TIMEOUT = 900  # seconds
LEASE = timedelta(seconds=JOB_TIMEOUT + 300)  # outlives the job, so a dead worker lets go
MAX_BACKOFF = timedelta(minutes=15)
NOT_CONNECTED = "Mailchimp isn't connected: connect it again so the member can be deleted there."
WAITING_FOR_WORK = "Waiting for a sync or an import of this organisation to finish first."
UNEXPECTED = "An unexpected error interrupted the erasure; it will be tried again."
_COLUMNS = (
    Erasure.id,
    Erasure.contact_id,
    Erasure.entity_type,
    Erasure.subscriber_hash,
    Erasure.status,
    Erasure.audiences,
    Erasure.attempts,
    Erasure.last_error,
    Erasure.next_attempt_at,
    Erasure.finished_at,
    Erasure.created_at,
    Erasure.actor_label,
)


async def _find(organisation_id: int, **where: int) -> dict | None:
    condition = Erasure.organisation == organisation_id
    for name, value in where.items():
        condition &= getattr(Erasure, name) == value
    return await Erasure.select(*_COLUMNS).where(condition).output(load_json=True).first()


async def get_erasure(principal: Principal, erasure_id: int) -> dict:
    row = await _find(principal.organisation_id, id=erasure_id)
    if row is None:
        raise NotFound("There is no such erasure.")
    return row


async def erasure_of(principal: Principal, contact_id: int) -> dict | None:
    return await _find(principal.organisation_id, contact_id=contact_id)


async def list_erasures(
    principal: Principal, *, cursor: str | None = None, limit: int | None = None
) -> Page[dict]:
    query = (
        Erasure.select(*_COLUMNS)
        .where(Erasure.organisation == principal.organisation_id)
        .output(load_json=True)
    )
    return await keyset_page(
        query,
        sort=Erasure.created_at,
        id_column=Erasure.id,
        descending=True,
        cursor=cursor,
        limit=limit,
    )


async def audiences_of(principal: Principal, contact_id: int) -> list[dict[str, Any]]:
    """For the confirm step: the audiences where the (live) contact's member will be deleted."""
    contact = await contacts.get_contact(principal, contact_id)
    return _targets(await _holdings(principal.organisation_id, contact_id, [contact["email"]]))


async def _holdings(organisation_id: int, contact_id: int, emails: list[str]) -> list[dict]:
    hashes = [subscriber_hash(email) for email in emails]
    return await holdings.holdings(organisation_id, hashes=hashes, contact_id=contact_id)


def _targets(members: list[dict], known: list[dict] | None = None) -> list[dict[str, Any]]:
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


def _is_unique_violation(exc: Exception) -> bool:
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


async def request_erasure(
    principal: Principal, contact_id: int, *, entity_type: str | None = None
) -> tuple[dict, bool]:
    """Erase a contact (live or deleted): (the erasure, True) when one was started now, or
    (the existing one, False) when this contact's erasure was asked for before."""
    principal.require_admin()
    existing = await erasure_of(principal, contact_id)
    if existing is not None:
        return existing, False
    organisation_id = principal.organisation_id
    contact = await contact_records.find(organisation_id, contact_id)
    if (
        contact is None
        or contact_records.is_erased(contact)
        or (entity_type and entity_type not in ("contact", contact["entity_type"]))
    ):
        raise NotFound("There is no such contact.")
    if contact["soft_deleted_at"] is not None:
        other = await contact_records.live_with_address(
            organisation_id, contact["email"], other_than=contact_id
        )
        if other is not None:
            raise Conflict(
                f"Contact #{other} has the same address. Erase that contact: it erases this "
                "deleted record too."
            )
    member_hash = subscriber_hash(contact["email"])
    targets = _targets(await _holdings(organisation_id, contact_id, [contact["email"]]))
    actor = principal.actor
    try:
        async with transaction():
            erasure = Erasure(
                organisation=organisation_id,
                entity_type=contact["entity_type"],
                contact_id=contact_id,
                subscriber_hash=member_hash,
                status=ErasureStatus.queued,
                audiences=targets,
                actor_type=actor.type,
                actor_id=actor.id,
                actor_label=actor.label[:255],
            )
            await erasure.save()
            await contact_records.hide(organisation_id, contact_id)
            await audit.record(
                actor,
                organisation_id=organisation_id,
                action="contact.erasure_requested",
                entity_type="contact",
                entity_id=contact_id,
                changes={
                    "erasure_id": erasure.id,
                    "subscriber_hash": member_hash,
                    "audiences": [t["list_id"] for t in targets],
                },
            )
    except Exception as exc:
        if not _is_unique_violation(exc):
            raise
        # Asked twice at once: the other request started it.
        row = await erasure_of(principal, contact_id)
        if row is None:
            raise
        return row, False
    await _enqueue(erasure.id)
    return await get_erasure(principal, erasure.id), True


async def retry(principal: Principal, erasure_id: int) -> dict:
    """Try an unfinished erasure again now (an erasure that is done stays done)."""
    principal.require_admin()
    row = await get_erasure(principal, erasure_id)
    if row["status"] == ErasureStatus.done:
        return row
    if row["status"] == ErasureStatus.running:
        raise Conflict("This erasure is running now.")
    await Erasure.update({Erasure.next_attempt_at: utcnow()}).where(Erasure.id == erasure_id)
    await _enqueue(erasure_id)
    return await get_erasure(principal, erasure_id)


async def _enqueue(erasure_id: int) -> None:
    await queue.enqueue(
        "erasure_run",
        key=f"erasure:{erasure_id}",
        timeout=JOB_TIMEOUT,
        retries=3,
        retry_delay=30.0,
        erasure_id=erasure_id,
    )


async def due() -> list[int]:
    """Erasures to (re)start: incomplete ones whose next attempt is due, queued ones whose job
    was lost, and running ones whose worker died (lease passed). Every organisation's."""
    now = utcnow()
    rows = await Erasure.select(Erasure.id).where(
        (
            (Erasure.status == ErasureStatus.incomplete)
            & ((Erasure.next_attempt_at <= now) | Erasure.next_attempt_at.is_null())
        )
        | (
            (Erasure.status == ErasureStatus.queued)
            & (Erasure.created_at < now - timedelta(minutes=2))
        )
        | ((Erasure.status == ErasureStatus.running) & (Erasure.lease_until < now))
    )
    ids = [row["id"] for row in rows]
    for erasure_id in ids:
        await _enqueue(erasure_id)
    return ids


async def run(erasure_id: int) -> dict[str, Any]:
    """The job: carry the erasure as far as it can go now."""
    row = await _claim(erasure_id)
    if row is None:
        return {"erasure_id": erasure_id, "skipped": True}
    try:
        return await _carry_out(row)
    except Exception:
        logger.exception("erasure interrupted", extra={"erasure_id": erasure_id})
        await _incomplete(row, row.audiences, UNEXPECTED)
        raise


async def _claim(erasure_id: int) -> Erasure | None:
    """Take the erasure for this job, unless it is done or another live job holds it. One
    conditional UPDATE, so two workers can never both take it."""
    now = utcnow()
    claimed = (
        await Erasure.update(
            {
                Erasure.status: ErasureStatus.running,
                Erasure.lease_until: now + LEASE,
                Erasure.attempts: Erasure.attempts + 1,
            }
        )
        .where(
            (Erasure.id == erasure_id)
            & (Erasure.status != ErasureStatus.done)
            & (
                (Erasure.status != ErasureStatus.running)
                | Erasure.lease_until.is_null()
                | (Erasure.lease_until < now)
            )
        )
        .returning(Erasure.id)
    )
    if not claimed:
        return None
    return await Erasure.objects().where(Erasure.id == erasure_id).output(load_json=True).first()


async def _carry_out(row: Erasure) -> dict[str, Any]:
    organisation_id = row.organisation
    contact = await contact_records.find(organisation_id, row.contact_id)
    emails = [contact["email"]] if contact and not contact_records.is_erased(contact) else []
    members = await _holdings(organisation_id, row.contact_id, emails)
    targets = _targets(members, row.audiences)
    # The hash noted when it was asked covers a contact whose address was scrubbed already.
    targets = _targets(
        await holdings.holdings(
            organisation_id, hashes=[row.subscriber_hash], contact_id=row.contact_id
        ),
        targets,
    )
    if any(t["status"] != "done" for t in targets):
        await _delete_everywhere(row, targets)
        failed = [t for t in targets if t["status"] != "done"]
        if failed:
            return await _incomplete(row, targets, failed[0]["message"])
    if await holdings.sync_in_progress(organisation_id) or (
        await contact_records.import_in_progress(organisation_id)
    ):
        return await _incomplete(row, targets, WAITING_FOR_WORK, soon=True)
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


async def _incomplete(
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
