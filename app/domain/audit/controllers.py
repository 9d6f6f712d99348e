"""The audit log page: every change in the organisation, newest first, filtered by who, what,
about what and when; and an entity's own history for its detail page."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from app.domain.accounts.principal import Principal
from app.domain.audit import services
from app.domain.audit.services import AuditFilters
from app.lib.errors import InvalidInput
from app.lib.templating import render

ACTOR_NAMES = {"user": "Person", "api_token": "API token", "system": "System", "webhook": "Webhook"}


class AuditController(Controller):
    path = "/audit"

    @get("/", name="audit")
    async def index(
        self,
        request: Request,
        principal: Principal,
        actor_type: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
        cursor: str | None = None,
    ) -> Template:
        values = {
            "actor_type": actor_type,
            "actor": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "since": since,
            "until": until,
        }
        try:
            filters, errors = AuditFilters.of(**values), {}
        except InvalidInput as exc:
            filters, errors = AuditFilters(), exc.errors
        page = await services.entries(principal, filters, cursor=cursor)
        if cursor and request.headers.get("hx-request"):  # "show older": just the next rows
            return render(request, "audit/_rows.html", page=page, filters=filters)
        suggestions = await services.suggestions(principal)
        kinds = sorted(
            {*suggestions["entity_type"], *([filters.entity_type] if filters.entity_type else [])}
        )
        return render(
            request,
            "audit/index.html",
            status_code=400 if errors else 200,
            page=page,
            filters=filters,
            values={name: (value or "").strip() for name, value in values.items()},
            errors=errors,
            actor_options=[("", "Anyone"), *ACTOR_NAMES.items()],
            entity_options=[("", "Anything"), *((kind, kind) for kind in kinds)],
            actions=suggestions["action"],
        )

    @get("/history", name="audit.history")
    async def history(
        self, request: Request, principal: Principal, entity_type: str, entity_id: str
    ) -> Template:
        """One entity's entries, for the history card of its detail page."""
        entries = await services.history(
            principal, entity_type=entity_type[:50], entity_id=entity_id[:64]
        )
        return render(
            request,
            "audit/_history.html",
            history=entries,
            entity_type=entity_type,
            entity_id=entity_id,
        )


ROUTES = [AuditController]
