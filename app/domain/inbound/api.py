"""`/api/v1/events`, `/api/v1/triggers`, `/api/v1/audiences/{list_id}/status-counts`.

Errors are problem+json: an unknown filter value is a 400 naming the field; another
organisation's event or rule is a 404; retrying an event that has not failed is a 409.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from app.domain.accounts.principal import Principal
from app.domain.inbound import events, status, triggers
from app.domain.inbound.events import EventFilters, EventView
from app.domain.inbound.schemas import (
    EventDetailOut,
    EventList,
    EventOut,
    StatusCounts,
    TriggerIn,
    TriggerList,
    TriggerOut,
    TriggerPatch,
)
from app.domain.inbound.triggers import RuleView, TriggerInput


def _fields(event: EventView) -> dict:
    return {
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "list_id": event.list_id,
        "email": event.email,
        "status": event.status,
        "error": event.error or None,
        "outcome": event.outcome or None,
        "attempts": event.attempts,
        "fired_at": event.fired_at,
        "received_at": event.received_at,
        "processed_at": event.processed_at,
    }


def _rule(rule: RuleView) -> TriggerOut:
    return TriggerOut(
        id=rule.id,
        event_name=rule.event_name,
        action=rule.action,
        list_id=rule.list_id,
        list_name=rule.list_name,
        tags=rule.tags,
        email_path=rule.email_path,
        event_path=rule.event_path,
        event_id_path=rule.event_id_path,
        fields=rule.fields,
        enabled=rule.enabled,
        created_at=rule.created_at,
    )


class EventApi(Controller):
    path = "/events"
    tags = ["events"]

    @get("/", name="api.events")
    async def index(
        self,
        principal: Principal,
        source: str | None = None,
        status: str | None = None,
        type: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> EventList:
        """Inbound events, newest first; filter by source (mailchimp, customerio, generic),
        status (received, processed, failed, ignored) or type; follow `next_cursor`."""
        page = await events.events(
            principal, EventFilters.of(source, status, type), cursor=cursor, limit=limit
        )
        return EventList(
            items=[EventOut(**_fields(e)) for e in page.items], next_cursor=page.next_cursor
        )

    @get("/{event_id:int}", name="api.events.show")
    async def show(self, principal: Principal, event_id: int) -> EventDetailOut:
        """One event with its payload as it arrived."""
        event = await events.event(principal, event_id)
        return EventDetailOut(**_fields(event), payload=event.payload or {})

    @post("/{event_id:int}/retry", name="api.events.retry", status_code=200)
    async def retry(self, principal: Principal, event_id: int) -> EventOut:
        """Apply a failed event again, now; answers its new state."""
        return EventOut(**_fields(await events.retry(principal, event_id)))


class TriggerApi(Controller):
    path = "/triggers"
    tags = ["triggers"]

    @get("/", name="api.triggers")
    async def index(self, principal: Principal) -> TriggerList:
        return TriggerList(items=[_rule(r) for r in await triggers.rules(principal)])

    @get("/{rule_id:int}", name="api.triggers.show")
    async def show(self, principal: Principal, rule_id: int) -> TriggerOut:
        return _rule(await triggers.rule(principal, rule_id))

    @post("/", name="api.triggers.create", status_code=HTTP_201_CREATED)
    async def create(self, principal: Principal, data: TriggerIn) -> TriggerOut:
        """Add a rule: when an event named `event_name` arrives, do `action` (upsert, tag,
        untag, unsubscribe) on audience `list_id`."""
        rule = await triggers.create(principal, TriggerInput(**msgspec.structs.asdict(data)))
        return _rule(rule)

    @patch("/{rule_id:int}", name="api.triggers.update")
    async def update(self, principal: Principal, rule_id: int, data: TriggerPatch) -> TriggerOut:
        current = triggers.as_input(await triggers.rule(principal, rule_id))
        for name, value in msgspec.structs.asdict(data).items():
            if value is not msgspec.UNSET:
                setattr(current, name, value)
        return _rule(await triggers.update(principal, rule_id, current))

    @delete("/{rule_id:int}", name="api.triggers.delete", status_code=HTTP_204_NO_CONTENT)
    async def remove(self, principal: Principal, rule_id: int) -> None:
        await triggers.delete(principal, rule_id)


class AudienceStatusApi(Controller):
    path = "/audiences"
    tags = ["audiences"]

    @get("/{list_id:str}/status-counts", name="api.audiences.status_counts")
    async def status_counts(self, principal: Principal, list_id: str) -> StatusCounts:
        """How many of the audience's members are subscribed, unsubscribed, cleaned, pending
        or archived, as Mailchimp last told us (syncs and webhooks keep it current)."""
        counts = await status.audience_counts(principal, list_id)
        return StatusCounts(list_id=list_id, total=sum(counts.values()), **counts)


ROUTES = [EventApi, TriggerApi, AudienceStatusApi]
