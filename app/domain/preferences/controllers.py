"""Preferences pages: everyone's choices, one contact's ledger, opting in and out (one contact,
or several from the contacts list), and the panel the contact page shows."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from app.domain.accounts.principal import Principal
from app.domain.audit import services as audit_log
from app.domain.contacts import selection
from app.domain.contacts import services as contacts
from app.domain.contacts.fields import display_name
from app.domain.preferences import erasure, services
from app.domain.preferences.erasure_pages import ErasureController
from app.domain.preferences.filters import PreferenceFilters
from app.domain.preferences.tables import ConsentSource
from app.lib.errors import InvalidInput
from app.lib.forms import read_form, safe_next
from app.lib.templating import render

SOURCE_NAMES = {
    "ui": "In Listbridge",
    "api": "API",
    "csv_import": "CSV import",
    "mailchimp_webhook": "Mailchimp",
    "product_event": "Product event",
}
STATUS_NAMES = {"opted_in": "Opted in", "opted_out": "Opted out"}
DONE_WORDS = {"opted_out": "opted out", "opted_in": "opted in"}


async def _panel_context(principal: Principal, contact_id: int, *, ledger: bool = False) -> dict:
    """The preferences card; `ledger` when it sits on the contact's consent-history page."""
    contact = await contacts.get_contact(principal, contact_id)
    changes = await services.history(principal, contact_id)
    return {
        "contact": contact,
        "preference": await services.get_preference(principal, contact_id),
        "changes": changes,
        "watching": services.in_progress(changes),
        "erasure": await erasure.erasure_of(principal, contact_id),
        "source_names": SOURCE_NAMES,
        "status_names": STATUS_NAMES,
        "ledger": ledger,
    }


def _wants_fragment(request: Request) -> bool:
    headers = request.headers
    return bool(headers.get("hx-request")) and not headers.get("hx-history-restore-request")


def _contact_ids(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()][: services.BULK_LIMIT + 1]


class PreferenceController(Controller):
    path = "/preferences"

    @get("/", name="preferences")
    async def index(
        self,
        request: Request,
        principal: Principal,
        status: str | None = None,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
        cursor: str | None = None,
    ) -> Template:
        values = {"status": status, "source": source, "since": since, "until": until}
        try:
            filters = PreferenceFilters.of(**values)
            errors: dict[str, str] = {}
        except InvalidInput as exc:
            filters, errors = PreferenceFilters(), exc.errors
        page = await services.list_preferences(principal, filters, cursor=cursor)
        context = {
            "page": page,
            "filters": filters,
            "values": {k: (v or "").strip() for k, v in values.items()},
            "errors": errors,
            "source_names": SOURCE_NAMES,
            "status_names": STATUS_NAMES,
        }
        if cursor and _wants_fragment(request):
            return render(request, "preferences/_rows.html", **context)
        return render(
            request,
            "preferences/index.html",
            status_code=400 if errors else 200,
            counts=await services.counts(principal),
            **context,
        )

    @get("/contacts/{contact_id:int}", name="preferences.contact")
    async def contact(self, request: Request, principal: Principal, contact_id: int) -> Template:
        context = await _panel_context(principal, contact_id, ledger=True)
        history = await audit_log.history(principal, entity_type="contact", entity_id=contact_id)
        return render(request, "preferences/contact.html", history=history, **context)

    @get("/contacts/{contact_id:int}/panel", name="preferences.panel")
    async def panel(self, request: Request, principal: Principal, contact_id: int) -> Template:
        """The contact page's preferences card (loaded by it, and polled while Mailchimp is
        being updated)."""
        context = await _panel_context(principal, contact_id)
        return render(request, "preferences/_panel.html", **context)

    @post("/contacts/{contact_id:int}", name="preferences.set")
    async def set_preference(
        self, request: Request, principal: Principal, contact_id: int
    ) -> Template | Redirect:
        form = await read_form(request)
        name = display_name(await contacts.get_contact(principal, contact_id))
        problem = ""
        try:
            recorded = await services.set_preference(
                principal, contact_id, status=form.get("status"), source=ConsentSource.ui
            )
            status = recorded.preference["status"]
            notice = (
                f"{name} is {DONE_WORDS[status]}."
                if recorded.changed
                else f"{name} was already {DONE_WORDS[status]}."
            )
        except InvalidInput as exc:
            problem, notice = next(iter(exc.errors.values()), exc.detail), ""
        if _wants_fragment(request):
            context = await _panel_context(principal, contact_id)
            return render(
                request,
                "preferences/_panel.html",
                status_code=400 if problem else 200,
                notice=notice,
                problem=problem,
                **context,
            )
        flash(request, problem or notice, "error" if problem else "success")
        return Redirect(safe_next(form.get("next"), f"/preferences/contacts/{contact_id}"))

    @post("/opt-out", name="preferences.bulk_opt_out")
    async def bulk_opt_out(self, request: Request, principal: Principal) -> Template | Redirect:
        """From the contacts list: first a page naming who will be opted out, then the deed."""
        form = await read_form(request)
        ids = _contact_ids(form.getall("contact_id"))
        if form.get("confirm") != "yes":
            people = await selection.by_ids(principal.organisation_id, ids)
            return render(
                request,
                "preferences/bulk_confirm.html",
                people=people,
                limit=services.BULK_LIMIT,
                too_many=len(ids) > services.BULK_LIMIT,
                back=safe_next(form.get("next"), "/contacts"),
            )
        try:
            outcome = await services.opt_out_many(principal, ids)
        except InvalidInput as exc:
            flash(request, next(iter(exc.errors.values())), "error")
            return Redirect(safe_next(form.get("next"), "/contacts"))
        words = [f"{outcome.opted_out} opted out"]
        if outcome.already:
            words.append(f"{outcome.already} had opted out already")
        if outcome.not_found:
            words.append(f"{outcome.not_found} could not be found")
        flash(request, "; ".join(words) + ". Mailchimp is being updated.", "success")
        return Redirect(safe_next(form.get("next"), "/contacts"))


ROUTES = [PreferenceController, ErasureController]
