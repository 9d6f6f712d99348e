"""Accepting a delivery: store it first, queue its processing, answer at once.

The row is committed before the job is queued, so nothing accepted is lost even if the queue
is briefly unreachable (the sweep in jobs.py queues events whose job never ran). A delivery
seen before (same dedupe key) is not stored again and changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

import asyncpg

from app.db import utcnow, write_turn
from app.domain.inbound import mailchimp_webhooks, product_hooks, triggers
from app.domain.inbound.payloads import MAILCHIMP_TYPES, parse_fired_at
from app.domain.inbound.tables import (
    AudienceWebhook,
    EventHook,
    EventSource,
    EventStatus,
    InboundEvent,
)
from app.lib import queue

logger = logging.getLogger(__name__)

PROCESS_JOB = "inbound_event_process"
PROCESS_TIMEOUT = 120  # seconds: a few Mailchimp calls, each retried patiently
PROCESS_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Accepted:
    event_id: int | None
    status: str  # received | ignored | duplicate


def dedupe_key(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def _is_duplicate(error: Exception) -> bool:
    if isinstance(error, asyncpg.UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)


async def _store(event: InboundEvent) -> Accepted:
    try:
        async with write_turn():
            await event.save()
    except Exception as exc:
        if _is_duplicate(exc):
            return Accepted(event_id=None, status="duplicate")
        raise
    if event.status == EventStatus.received:
        await queue_processing(event.id)
    return Accepted(event_id=event.id, status=event.status)


async def queue_processing(event_id: int) -> None:
    try:
        await queue.enqueue(
            PROCESS_JOB,
            timeout=PROCESS_TIMEOUT,
            key=f"inbound-event:{event_id}",
            retries=PROCESS_ATTEMPTS,
            retry_delay=2.0,
            event_id=event_id,
        )
    except Exception:
        # Stored already: the sweep queues it once the queue answers again.
        logger.exception("could not queue an inbound event", extra={"event_id": event_id})


async def accept_mailchimp(
    webhook: AudienceWebhook, fields: dict[str, Any], body: bytes
) -> Accepted:
    data = fields["data"]
    event_type = fields["type"][:100]
    known = event_type in MAILCHIMP_TYPES
    event = InboundEvent(
        organisation=webhook.organisation,
        source=EventSource.mailchimp,
        type=event_type,
        list_id=webhook.list_id,
        email=str(data.get("email") or data.get("new_email") or "")[:254],
        dedupe_key=dedupe_key("mailchimp", str(webhook.id), body),
        payload=fields,
        fired_at=parse_fired_at(fields.get("fired_at")),
        received_at=utcnow(),
        status=EventStatus.received if known else EventStatus.ignored,
        outcome="" if known else f"Mailchimp's “{event_type}” events are not used here.",
        audience_webhook=webhook.id,
    )
    accepted = await _store(event)
    await mailchimp_webhooks.touch(webhook)
    return accepted


async def accept_product_event(
    hook: EventHook, event: dict[str, Any], source: EventSource, *, event_id_header: str
) -> Accepted:
    found = await triggers.match(hook.organisation, event)
    if source != EventSource.customerio and "object_type" in event and "metric" in event:
        source = EventSource.customerio  # a reporting webhook's shape, sent through our proxy
    event_id = event_id_header.strip()[:200] or found.event_id
    row = InboundEvent(
        organisation=hook.organisation,
        source=source,
        type=found.name,
        email=found.email,
        dedupe_key=dedupe_key("event", str(hook.id), event_id) if event_id else None,
        payload=event,
        received_at=utcnow(),
        status=EventStatus.received if found.rule_ids else EventStatus.ignored,
        outcome=""
        if found.rule_ids
        else f"No trigger rule reacts to “{found.name or 'an unnamed event'}”.",
        event_hook=hook.id,
        rule_ids=found.rule_ids,
    )
    accepted = await _store(row)
    await product_hooks.touch(hook)
    return accepted
