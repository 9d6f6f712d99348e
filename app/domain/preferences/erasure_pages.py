"""Erasure pages: the confirm step that names what will happen, the erasures list, and one
erasure's progress per audience (polled while it runs)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from app.domain.accounts.principal import Principal
from app.domain.audit import services as audit_log
from app.domain.contacts import services as contacts
from app.domain.preferences import erasure
from app.domain.preferences.tables import ErasureStatus
from app.lib.errors import Conflict
from app.lib.templating import render

WATCH = (ErasureStatus.queued, ErasureStatus.running)


class ErasureController(Controller):
    path = "/preferences"

    @get("/contacts/{contact_id:int}/erase", name="preferences.erase")
    async def confirm(self, request: Request, principal: Principal, contact_id: int) -> Template:
        principal.require_admin()
        contact = await contacts.get_contact(principal, contact_id)
        return render(
            request,
            "preferences/erase.html",
            contact=contact,
            audiences=await erasure.audiences_of(principal, contact_id),
        )

    @post("/contacts/{contact_id:int}/erase", name="preferences.erase.submit")
    async def erase(self, request: Request, principal: Principal, contact_id: int) -> Redirect:
        row, created = await erasure.request_erasure(principal, contact_id)
        flash(
            request,
            "Erasure started: the contact is hidden now and will be erased everywhere."
            if created
            else "This contact's erasure was asked for already.",
            "success" if created else "info",
        )
        return Redirect(f"/preferences/erasures/{row['id']}")

    @get("/erasures", name="preferences.erasures")
    async def index(
        self, request: Request, principal: Principal, cursor: str | None = None
    ) -> Template:
        page = await erasure.list_erasures(principal, cursor=cursor)
        return render(
            request,
            "preferences/erasures.html",
            partial="preferences/_erasure_rows.html" if cursor else None,
            page=page,
        )

    @get("/erasures/{erasure_id:int}", name="preferences.erasure")
    async def show(self, request: Request, principal: Principal, erasure_id: int) -> Template:
        row = await erasure.get_erasure(principal, erasure_id)
        history = await audit_log.history(
            principal, entity_type="contact", entity_id=row["contact_id"]
        )
        return render(
            request,
            "preferences/erasure.html",
            partial="preferences/_erasure.html",
            erasure=row,
            watching=row["status"] in WATCH,
            history=history,
        )

    @post("/erasures/{erasure_id:int}/retry", name="preferences.erasure.retry")
    async def retry(self, request: Request, principal: Principal, erasure_id: int) -> Redirect:
        try:
            row = await erasure.retry(principal, erasure_id)
            flash(
                request,
                "This erasure is done already."
                if row["status"] == ErasureStatus.done
                else "Trying again now.",
                "info",
            )
        except Conflict as exc:
            flash(request, exc.detail, "info")
        return Redirect(f"/preferences/erasures/{erasure_id}")
