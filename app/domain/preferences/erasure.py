"""GDPR erasure: remove a person from every Mailchimp audience where the organisation holds
them, then from every record of ours, and prove it without keeping who it was.

Asking hides the contact at once (out of lists, searches and syncs) and notes the audiences
that hold them; a job then does the work (erasure_steps.py):
1. delete-permanent for the member in each audience (a 404 or "Forgotten Email Not Subscribed"
   means gone already); each audience done is remembered, so a retry only does what is left;
2. any failure leaves the erasure `incomplete`, tried again with backoff (the cron, or the
   Retry button): it is never reported done while a copy remains in Mailchimp;
3. it waits while a sync or an import of the organisation runs (either may still write the
   person's address into its rows);
4. in one transaction it scrubs every record and audits the erasure with the subscriber hash
   and the audiences only.
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
from app.domain.contacts import erasure as contact_records
from app.domain.contacts import services as contacts
from app.domain.preferences import erasure_steps as steps
from app.domain.preferences.tables import Erasure, ErasureStatus
from app.lib import audit, queue
from app.lib.errors import Conflict, NotFound
from app.lib.pagination import Page, keyset_page
from app.mailchimp.paths import subscriber_hash

logger = logging.getLogger(__name__)

JOB_TIMEOUT = 900  # seconds
LEASE = timedelta(seconds=JOB_TIMEOUT + 300)  # outlives the job, so a dead worker lets go
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
    members = await steps.members_of(principal.organisation_id, contact_id, [contact["email"]])
    return steps.merge_targets(members)


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
    members = await steps.members_of(organisation_id, contact_id, [contact["email"]])
    targets = steps.merge_targets(members)
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
    await queue.enqueue_after_commit(
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
        return await steps.carry_out(row)
    except Exception:
        logger.exception("erasure interrupted", extra={"erasure_id": erasure_id})
        await steps.incomplete(row, row.audiences, UNEXPECTED)
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
