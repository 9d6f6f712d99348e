"""Inbound pages: the events log (filters, payload viewer, retry), the audience webhooks
(status, Re-register), and Settings → Triggers (the product-event hook and its rules)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from app.domain.accounts.principal import Principal
from app.domain.inbound import events, mailchimp_webhooks
from app.domain.inbound.events import EventFilters
from app.domain.inbound.trigger_pages import TriggerController
from app.lib.errors import Conflict, NotFound
from app.lib.forms import read_form, safe_next
from app.lib.templating import render


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request")) and not request.headers.get(
        "hx-history-restore-request"
    )


def _query(filters: EventFilters, **extra: str) -> str:
    from urllib.parse import urlencode

    given = {"source": filters.source, "status": filters.status, "type": filters.type, **extra}
    return urlencode({k: v for k, v in given.items() if v})


class EventController(Controller):
    path = "/events"

    @get("/", name="events")
    async def index(
        self,
        request: Request,
        principal: Principal,
        source: str | None = None,
        status: str | None = None,
        type: str | None = None,
        cursor: str | None = None,
    ) -> Template:
        filters = EventFilters.of(source, status, type)
        page = await events.events(principal, filters, cursor=cursor)
        context: dict[str, Any] = {"page": page, "filters": filters, "query": _query}
        if cursor and _is_htmx(request):
            return render(request, "inbound/_rows.html", **context)
        return render(
            request,
            "inbound/index.html",
            sources=events.SOURCE_LABELS,
            statuses=events.STATUSES,
            waiting=await events.waiting(principal),
            webhooks=await mailchimp_webhooks.webhooks(principal),
            **context,
        )

    @get("/{event_id:int}", name="events.show")
    async def show(self, request: Request, principal: Principal, event_id: int) -> Template:
        return render(
            request, "inbound/show.html", event=await events.event(principal, event_id), notice=""
        )

    @post("/{event_id:int}/retry", name="events.retry")
    async def retry(
        self, request: Request, principal: Principal, event_id: int
    ) -> Template | Redirect:
        try:
            event = await events.retry(principal, event_id)
        except Conflict as exc:
            flash(request, exc.detail, "error")
            return Redirect(f"/events/{event_id}")
        notice = (
            "Retried: it failed again." if event.status == "failed" else f"Retried: {event.status}."
        )
        if _is_htmx(request):
            return render(request, "inbound/_event.html", event=event, notice=notice)
        flash(request, notice, "error" if event.status == "failed" else "success")
        return Redirect(f"/events/{event_id}")

    @get("/webhooks/{list_id:str}", name="events.webhook")
    async def webhook(self, request: Request, principal: Principal, list_id: str) -> Template:
        """One audience's webhook (the segment page loads this)."""
        if not await mailchimp_webhooks.registrable(principal, list_id):
            raise NotFound("No segment feeds this audience, so it needs no webhook.")
        found = await mailchimp_webhooks.webhook_for(principal, list_id)
        return render(request, "inbound/_webhook.html", webhook=found, list_id=list_id, notice="")

    @post("/webhooks/{list_id:str}/register", name="events.webhook.register")
    async def register(
        self, request: Request, principal: Principal, list_id: str
    ) -> Template | Redirect:
        principal.require_admin()
        form = await read_form(request)
        if not await mailchimp_webhooks.registrable(principal, list_id):
            raise NotFound("No segment feeds this audience, so it needs no webhook.")
        found = await mailchimp_webhooks.ensure_audience_webhook(principal, list_id)
        ok = found.status == "registered"
        notice = (
            f"Mailchimp will tell us about changes in {found.list_name}."
            if ok
            else f"Registering failed: {found.last_error}"
        )
        if _is_htmx(request):
            return render(
                request, "inbound/_webhook.html", webhook=found, list_id=list_id, notice=notice
            )
        flash(request, notice, "success" if ok else "error")
        return Redirect(safe_next(form.get("next"), "/events"))


ROUTES = [EventController, TriggerController]
