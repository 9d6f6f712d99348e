"""`/api/v1/audit`: the audit log as JSON, with the audit page's filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, get

from app.domain.accounts.principal import Principal
from app.domain.audit import services
from app.domain.audit.services import AuditFilters


class AuditEntryOut(msgspec.Struct):
    id: int
    created_at: datetime
    actor_type: str
    actor_id: str | None
    actor_label: str
    action: str
    entity_type: str
    entity_id: str
    changes: dict[str, Any]
    ip: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> AuditEntryOut:
        values = {name: row[name] for name in cls.__struct_fields__}
        if not isinstance(values["changes"], dict):
            values["changes"] = {}
        return cls(**values)


class AuditPage(msgspec.Struct):
    items: list[AuditEntryOut]
    next_cursor: str | None


class AuditApi(Controller):
    path = "/audit"
    tags = ["audit"]

    @get("/", name="api.audit")
    async def index(
        self,
        principal: Principal,
        actor_type: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> AuditPage:
        """Entries newest first. `actor_type` (user, api_token, system, webhook); `actor`: the
        start of the actor's name or email; `action`: the start of the action (`contact.`);
        `entity_type`, `entity_id`: exact; `since`/`until`: UTC dates, both included."""
        filters = AuditFilters.of(
            actor_type=actor_type,
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            since=since,
            until=until,
        )
        page = await services.entries(principal, filters, cursor=cursor, limit=limit)
        return AuditPage(
            items=[AuditEntryOut.of(row) for row in page.items], next_cursor=page.next_cursor
        )


ROUTES = [AuditApi]
