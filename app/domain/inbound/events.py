"""The events log: every inbound event with its source, type, status and error; retrying one.

Listing pages by (received_at, id), newest first, with optional source/type/status filters.
Retrying is for failed events only, audited, and runs the same processing as the job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.db import transaction
from app.domain.accounts.principal import Principal
from app.domain.inbound import processing
from app.domain.inbound.tables import EventSource, EventStatus, InboundEvent
from app.lib import audit
from app.lib.errors import Conflict, InvalidInput, NotFound
from app.lib.pagination import Page, keyset_page

ENTITY = "inbound_event"
SOURCES = tuple(s.value for s in EventSource)
STATUSES = tuple(s.value for s in EventStatus)
SOURCE_LABELS = {"mailchimp": "Mailchimp", "customerio": "Customer.io", "generic": "Product event"}
_SUMMARY = (
    InboundEvent.id,
    InboundEvent.source,
    InboundEvent.type,
    InboundEvent.list_id,
    InboundEvent.email,
    InboundEvent.status,
    InboundEvent.error,
    InboundEvent.outcome,
    InboundEvent.attempts,
    InboundEvent.fired_at,
    InboundEvent.received_at,
    InboundEvent.processed_at,
)


@dataclass(frozen=True, slots=True)
class EventFilters:
    source: str = ""
    status: str = ""
    type: str = ""

    @classmethod
    def of(cls, source: str | None, status: str | None, type: str | None = None) -> EventFilters:
        errors = {}
        if source and source not in SOURCES:
            errors["source"] = f"Choose one of: {', '.join(SOURCES)}."
        if status and status not in STATUSES:
            errors["status"] = f"Choose one of: {', '.join(STATUSES)}."
        if errors:
            raise InvalidInput(errors)
        return cls(source=source or "", status=status or "", type=(type or "").strip()[:100])

    @property
    def active(self) -> bool:
        return bool(self.source or self.status or self.type)


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    source: str
    type: str
    list_id: str
    email: str
    status: str
    error: str
    outcome: str
    attempts: int
    fired_at: datetime | None
    received_at: datetime
    processed_at: datetime | None
    payload: dict[str, Any] | None = None

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def payload_text(self) -> str:
        """The payload as people read it: pretty JSON (escaped by the template)."""
        return json.dumps(self.payload or {}, indent=2, ensure_ascii=False, sort_keys=True)


def _view(row: dict[str, Any]) -> EventView:
    return EventView(**{k: row[k] for k in EventView.__slots__ if k in row})


async def events(
    principal: Principal,
    filters: EventFilters | None = None,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[EventView]:
    filters = filters or EventFilters()
    query = InboundEvent.select(*_SUMMARY).where(
        InboundEvent.organisation == principal.organisation_id
    )
    if filters.source:
        query = query.where(InboundEvent.source == filters.source)
    if filters.status:
        query = query.where(InboundEvent.status == filters.status)
    if filters.type:
        query = query.where(InboundEvent.type == filters.type)
    page = await keyset_page(
        query,
        sort=InboundEvent.received_at,
        id_column=InboundEvent.id,
        descending=True,
        cursor=cursor,
        limit=limit,
    )
    return Page(
        items=[_view(r) for r in page.items], next_cursor=page.next_cursor, limit=page.limit
    )


async def event(principal: Principal, event_id: int) -> EventView:
    row = (
        await InboundEvent.select(*_SUMMARY, InboundEvent.payload)
        .where(
            (InboundEvent.organisation == principal.organisation_id) & (InboundEvent.id == event_id)
        )
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("There is no such event.")
    return _view(row)


async def retry(principal: Principal, event_id: int) -> EventView:
    """Run a failed event's processing again, now, and say how it went."""
    current = await event(principal, event_id)
    if current.status != EventStatus.failed:
        raise Conflict(
            f"Only failed events can be retried; this one is {current.status}.",
            title="Not retryable",
        )
    async with transaction():
        await InboundEvent.update(
            {InboundEvent.status: EventStatus.received, InboundEvent.error: ""}
        ).where(
            (InboundEvent.organisation == principal.organisation_id)
            & (InboundEvent.id == event_id)
            & (InboundEvent.status == EventStatus.failed)
        )
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="inbound_event.retried",
            entity_type=ENTITY,
            entity_id=event_id,
            changes={"type": current.type, "previous_error": current.error},
        )
    await processing.process(event_id, final_attempt=True)
    return await event(principal, event_id)


async def waiting(principal: Principal) -> int:
    """Events stored and not yet processed (the list says they are on their way)."""
    return await InboundEvent.count().where(
        (InboundEvent.organisation == principal.organisation_id)
        & (InboundEvent.status == EventStatus.received)
    )
