"""Contacts pages: the list (search, filters, paging), a contact, its form, deleting it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from app.domain.accounts.principal import Principal
from app.domain.audit import services as audit_services
from app.domain.contacts import services
from app.domain.contacts.fields import (
    ENTITY_TYPES,
    FILTERS,
    LABELS,
    attributes_from_text,
    attributes_to_text,
    clean_contact,
    display_name,
)
from app.domain.contacts.import_pages import ImportController
from app.domain.contacts.services import EDITABLE, ContactFilters, DuplicateContact
from app.domain.inbound import status as inbound_status
from app.domain.segments import audience_status
from app.lib.errors import InvalidInput
from app.lib.forms import Form, read_form
from app.lib.templating import render

FORM_FIELDS = [name for name in EDITABLE if name != "attributes"]


def _wants_fragment(request: Request) -> bool:
    # Back/forward in the browser asks htmx for the whole page again, not a fragment.
    headers = request.headers
    return bool(headers.get("hx-request")) and not headers.get("hx-history-restore-request")


def _values(form: Form) -> tuple[dict[str, Any], dict[str, str]]:
    """The posted contact, and problems no service call would see (the attributes' lines)."""
    values: dict[str, Any] = {name: form.get(name) for name in FORM_FIELDS}
    attributes, problem = attributes_from_text(form.data.get("attributes", "") or "")
    values["attributes"] = attributes
    if problem:
        _, errors = clean_contact(values)
        return values, {**errors, "attributes": problem}
    return values, {}


def _form_page(
    request: Request, *, contact: dict | None, values: dict, error: InvalidInput | None = None
) -> Template:
    return render(
        request,
        "contacts/form.html",
        status_code=error.status_code if error else 200,
        contact=contact,
        values=values,
        errors=error.errors if error else {},
        duplicate_id=error.contact_id if isinstance(error, DuplicateContact) else None,
        entity_types=ENTITY_TYPES,
        labels=LABELS,
    )


class ContactController(Controller):
    path = "/contacts"

    @get("/", name="contacts")
    async def index(
        self,
        request: Request,
        principal: Principal,
        q: str | None = None,
        entity_type: str | None = None,
        department: str | None = None,
        location: str | None = None,
        employment_type: str | None = None,
        employment_status: str | None = None,
        cursor: str | None = None,
    ) -> Template:
        filters = ContactFilters.of(
            q=q,
            entity_type=entity_type,
            department=department,
            location=location,
            employment_type=employment_type,
            employment_status=employment_status,
        )
        page = await services.list_contacts(principal, filters, cursor=cursor)
        statuses = await audience_status.statuses_by_contact(
            principal.organisation_id, [contact["id"] for contact in page.items]
        )
        context = {
            "page": page,
            "filters": filters,
            "cursor": cursor,
            "labels": LABELS,
            "audience_statuses": statuses,
        }
        if _wants_fragment(request):
            partial = "contacts/_rows.html" if cursor else "contacts/_results.html"
            return render(request, partial, **context)
        options = await services.filter_options(principal)
        return render(request, "contacts/index.html", options=options, facets=FILTERS, **context)

    @get("/new", name="contacts.new")
    async def new(self, request: Request) -> Template:
        return _form_page(request, contact=None, values={"entity_type": "employee"})

    @post("/", name="contacts.create")
    async def create(self, request: Request, principal: Principal) -> Template | Redirect:
        form = await read_form(request)
        values, problems = _values(form)
        try:
            if problems:
                raise InvalidInput(problems)
            contact = await services.create_contact(principal, values)
        except InvalidInput as exc:
            return _form_page(request, contact=None, values=form.values(), error=exc)
        flash(request, f"{display_name(contact)} was added.", "success")
        return Redirect(f"/contacts/{contact['id']}")

    @get("/{contact_id:int}", name="contacts.show")
    async def show(self, request: Request, principal: Principal, contact_id: int) -> Template:
        contact = await services.get_contact(principal, contact_id)
        history = await audit_services.history(
            principal, entity_type="contact", entity_id=contact_id
        )
        return render(
            request,
            "contacts/show.html",
            contact=contact,
            history=history,
            labels=LABELS,
            audiences=await inbound_status.contact_audiences(principal, contact),
        )

    @get("/{contact_id:int}/edit", name="contacts.edit")
    async def edit(self, request: Request, principal: Principal, contact_id: int) -> Template:
        contact = await services.get_contact(principal, contact_id)
        values = {name: contact[name] or "" for name in FORM_FIELDS}
        values["attributes"] = attributes_to_text(contact["attributes"])
        return _form_page(request, contact=contact, values=values)

    @post("/{contact_id:int}", name="contacts.update")
    async def update(
        self, request: Request, principal: Principal, contact_id: int
    ) -> Template | Redirect:
        contact = await services.get_contact(principal, contact_id)
        form = await read_form(request)
        values, problems = _values(form)
        try:
            if problems:
                raise InvalidInput(problems)
            contact = await services.update_contact(principal, contact_id, values)
        except InvalidInput as exc:
            return _form_page(request, contact=contact, values=form.values(), error=exc)
        flash(request, f"{display_name(contact)} was saved.", "success")
        return Redirect(f"/contacts/{contact_id}")

    @get("/{contact_id:int}/delete", name="contacts.delete")
    async def confirm_delete(
        self, request: Request, principal: Principal, contact_id: int
    ) -> Template:
        contact = await services.get_contact(principal, contact_id)
        return render(request, "contacts/delete.html", contact=contact)

    @post("/{contact_id:int}/delete", name="contacts.delete.submit")
    async def delete(self, request: Request, principal: Principal, contact_id: int) -> Redirect:
        contact = await services.delete_contact(principal, contact_id)
        flash(request, f"{display_name(contact)} was deleted.", "success")
        return Redirect("/contacts")


ROUTES = [ImportController, ContactController]
