"""Processing one stored event: the job's body, and the events page's Retry.

An event is processed at most once to completion: a `processed` or `ignored` event is left
alone, so a job queued twice (a retry racing the sweep) changes nothing twice. A failure is
recorded on the event with a readable reason; Mailchimp's transient troubles (rate limits,
outages) are retried by the job first and recorded only when the last attempt fails.
"""

from __future__ import annotations

import logging
from typing import Any

from app.db import transaction, utcnow
from app.domain.accounts import services as accounts
from app.domain.inbound import mailchimp_events, trigger_actions
from app.domain.inbound.outcomes import Outcome, ProcessingFailed
from app.domain.inbound.tables import EventSource, EventStatus, InboundEvent
from app.lib.audit import Actor
from app.lib.errors import ListbridgeError
from app.mailchimp.errors import MailchimpError

logger = logging.getLogger(__name__)

DONE = (EventStatus.processed, EventStatus.ignored)
ACTORS = {
    EventSource.mailchimp: "Mailchimp webhook",
    EventSource.customerio: "Customer.io event",
    EventSource.generic: "product event",
}


async def load(event_id: int) -> dict[str, Any] | None:
    return (
        await InboundEvent.select()
        .where(InboundEvent.id == event_id)
        .output(load_json=True)
        .first()
    )


async def _finish(
    event_id: int, status: EventStatus, *, outcome: str = "", error: str = ""
) -> None:
    await InboundEvent.update(
        {
            InboundEvent.status: status,
            # Postgres text holds no NUL, and an outcome may quote the sender's words.
            InboundEvent.outcome: outcome.replace("\x00", "")[:2000],
            InboundEvent.error: error.replace("\x00", "")[:2000],
            InboundEvent.processed_at: utcnow(),
            InboundEvent.attempts: InboundEvent.attempts + 1,
        }
    ).where(InboundEvent.id == event_id)


def _local(event: dict[str, Any]) -> bool:
    """Events applied with our database alone (no Mailchimp call): one transaction each, so
    an event's changes commit together or not at all."""
    return event["source"] == EventSource.mailchimp and event["type"] != "campaign"


async def _apply_and_finish(event: dict[str, Any]) -> Outcome:
    if _local(event):
        async with transaction():
            outcome = await _apply(event)
            await _finish(event["id"], outcome.status, outcome=outcome.text)
        return outcome
    outcome = await _apply(event)
    await _finish(event["id"], outcome.status, outcome=outcome.text)
    return outcome


async def _apply(event: dict[str, Any]) -> Outcome:
    actor = Actor.webhook(ACTORS.get(EventSource(event["source"]), "webhook"))
    principal = await accounts.system_principal(event["organisation"], actor)
    if principal is None:
        return Outcome.ignored("The organisation no longer exists.")
    if event["source"] == EventSource.mailchimp:
        handler = mailchimp_events.HANDLERS.get(event["type"])
        if handler is None:
            return Outcome.ignored(f"Mailchimp's “{event['type']}” events are not used here.")
        return await handler(principal, event)
    return await trigger_actions.run(principal, event)


async def process(event_id: int, *, final_attempt: bool = True) -> str:
    """Apply one event; returns the status it ends in. Raises only to ask the job to retry."""
    event = await load(event_id)
    if event is None:
        return "missing"
    if event["status"] in DONE:
        return event["status"]
    try:
        outcome = await _apply_and_finish(event)
    except ProcessingFailed as exc:
        await _finish(event_id, EventStatus.failed, error=exc.message)
        return EventStatus.failed
    except MailchimpError as exc:
        if exc.retryable and not final_attempt:
            await InboundEvent.update({InboundEvent.attempts: InboundEvent.attempts + 1}).where(
                InboundEvent.id == event_id
            )
            raise
        await _finish(event_id, EventStatus.failed, error=exc.user_message)
        return EventStatus.failed
    except ListbridgeError as exc:
        await _finish(event_id, EventStatus.failed, error=exc.detail)
        return EventStatus.failed
    except Exception:
        logger.exception("processing an inbound event failed", extra={"event_id": event_id})
        await _finish(
            event_id,
            EventStatus.failed,
            error="Something went wrong while applying this event; it was logged. Retry it.",
        )
        return EventStatus.failed
    return outcome.status
