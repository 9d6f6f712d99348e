"""Segment pages: the list, the editor with its live preview, the segment's own page."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from litestar import Controller, Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from app.domain.accounts.principal import Principal
from app.domain.connections import audiences
from app.domain.connections import services as connections
from app.domain.contacts import selection
from app.domain.segments import preview, runs, services
from app.domain.segments.merge_values import ATTRIBUTE_PREFIX, CONTACT_FIELDS
from app.domain.segments.services import SegmentInput
from app.domain.segments.sync_controllers import RunController, SyncController
from app.domain.segments.tables import RemovalPolicy, SegmentType
from app.lib.errors import InvalidInput, ListbridgeError
from app.lib.forms import Form, read_form
from app.lib.templating import render


def input_from_form(form: Form) -> SegmentInput:
    return SegmentInput(
        name=form.get("name"),
        description=form.get("description"),
        segment_type=form.get("segment_type", SegmentType.employee.value),
        list_id=form.get("list_id"),
        filter_criteria={f: form.getall(f"filter_{f}") for f in selection.CRITERIA_FIELDS},
        field_mapping={
            key[len("map_") :]: _mapping_source(form, key[len("map_") :])
            for key in form.data
            if key.startswith("map_")
        },
        tags=[tag.strip() for tag in form.get("tags").split(",")],
        status_if_new=form.get("status_if_new", "subscribed"),
        removal_policy=form.get("removal_policy", RemovalPolicy.none.value),
    )


def _mapping_source(form: Form, tag: str) -> str:
    """A mapping select offers contact fields and "attribute…", which takes a typed name."""
    choice = form.get(f"map_{tag}")
    if choice == ATTRIBUTE_PREFIX:
        name = form.get(f"attr_{tag}")
        return f"{ATTRIBUTE_PREFIX}{name}" if name else ""
    return choice


def _values(segment: Any | None) -> dict[str, Any]:
    if segment is None:
        return asdict(SegmentInput())
    return {name: getattr(segment, name) for name in asdict(SegmentInput())}


async def _editor_context(
    principal: Principal, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    try:
        found, audience_problem = await audiences.audiences(principal), ""
    except ListbridgeError as exc:
        found, audience_problem = [], exc.detail
    return {
        "audiences": found,
        "problem": audience_problem,
        "selected": values.get("list_id") or "",
        "values": values,
        "errors": errors,
        "connected": await connections.current(principal) is not None,
        "filter_options": await selection.filter_values(principal.organisation_id),
        "criteria_fields": selection.CRITERIA_FIELDS,
        "contact_fields": CONTACT_FIELDS,
        "segment_types": [t.value for t in SegmentType],
        "removal_policies": [p.value for p in RemovalPolicy],
    }


async def _mapping_context(principal: Principal, list_id: str, mapping: dict[str, str]) -> dict:
    if not list_id:
        return {"merge_fields": [], "mapping": mapping, "mapping_problem": ""}
    try:
        fields = services.specs_from(await audiences.merge_fields(principal, list_id))
    except ListbridgeError as exc:
        return {"merge_fields": [], "mapping": mapping, "mapping_problem": exc.detail}
    return {"merge_fields": fields, "mapping": mapping, "mapping_problem": ""}


class SegmentController(Controller):
    path = "/segments"

    @get("/", name="segments")
    async def index(
        self, request: Request, principal: Principal, cursor: str | None = None
    ) -> Template:
        page = await services.list_segments(principal, cursor=cursor)
        return render(request, "segments/index.html", partial="segments/_rows.html", page=page)

    @get("/new", name="segments.new")
    async def new(self, request: Request, principal: Principal) -> Template:
        values = _values(None)
        context = await _editor_context(principal, values, {})
        context.update(
            await _mapping_context(principal, values["list_id"], values["field_mapping"])
        )
        return render(request, "segments/edit.html", segment=None, **context)

    @post("/", name="segments.create")
    async def create(self, request: Request, principal: Principal) -> Template | Redirect:
        data = input_from_form(await read_form(request))
        try:
            segment = await services.create(principal, data)
        except InvalidInput as exc:
            return await self._editor_again(request, principal, None, data, exc.errors)
        flash(request, f"Segment “{segment.name}” created. Preview it, then sync.", "success")
        return Redirect(f"/segments/{segment.id}")

    @get("/{segment_id:int}/edit", name="segments.edit")
    async def edit(self, request: Request, principal: Principal, segment_id: int) -> Template:
        segment = await services.get(principal, segment_id)
        values = _values(segment)
        context = await _editor_context(principal, values, {})
        context.update(
            await _mapping_context(principal, values["list_id"], values["field_mapping"])
        )
        return render(request, "segments/edit.html", segment=segment, **context)

    @post("/{segment_id:int}", name="segments.update")
    async def update(
        self, request: Request, principal: Principal, segment_id: int
    ) -> Template | Redirect:
        segment = await services.get(principal, segment_id)
        data = input_from_form(await read_form(request))
        try:
            await services.update(principal, segment_id, data)
        except InvalidInput as exc:
            return await self._editor_again(request, principal, segment, data, exc.errors)
        flash(request, "Segment saved.", "success")
        return Redirect(f"/segments/{segment_id}")

    async def _editor_again(
        self,
        request: Request,
        principal: Principal,
        segment: Any | None,
        data: SegmentInput,
        errors: dict[str, str],
    ) -> Template:
        values = asdict(data)
        context = await _editor_context(principal, values, errors)
        context.update(await _mapping_context(principal, data.list_id, data.field_mapping))
        return render(request, "segments/edit.html", status_code=400, segment=segment, **context)

    @post("/{segment_id:int}/delete", name="segments.delete")
    async def delete(self, request: Request, principal: Principal, segment_id: int) -> Redirect:
        await services.delete(principal, segment_id)
        flash(request, "Segment deleted. Its members stay in Mailchimp as they are.", "info")
        return Redirect("/segments")

    @get("/{segment_id:int}", name="segments.show")
    async def show(self, request: Request, principal: Principal, segment_id: int) -> Template:
        segment = await services.get(principal, segment_id)
        found = await preview.matches(principal, services.criteria_of(segment))
        latest = await runs.latest(principal, segment_id)
        return render(
            request,
            "segments/show.html",
            segment=segment,
            matches=found,
            auto_check_limit=preview.AUTO_CHECK_LIMIT,
            run=runs.summary(latest) if latest else None,
            problem="",
            notice="",
        )

    @get("/{segment_id:int}/merge-field-check", name="segments.merge_field_check")
    async def merge_field_check(self, principal: Principal, segment_id: int) -> Template:
        segment = await services.get(principal, segment_id)
        try:
            check, problem = (
                await preview.merge_field_check(
                    principal,
                    services.criteria_of(segment),
                    list_id=segment.list_id,
                    mapping=segment.field_mapping,
                ),
                "",
            )
        except ListbridgeError as exc:
            check, problem = None, exc.detail
        return Template(
            "segments/_merge_field_check.html", context={"check": check, "problem": problem}
        )

    @get("/containing/{contact_id:int}", name="segments.containing")
    async def containing(self, principal: Principal, contact_id: int) -> Template:
        """The segments one contact falls in: a partial for the contact's page."""
        found = await services.containing(principal, contact_id)
        return Template("segments/_containing.html", context={"segments": found})

    @get("/preview", name="segments.preview")
    async def live_preview(self, request: Request, principal: Principal) -> Template:
        """The editor's live count and sample, from the form's current (unsaved) values."""
        data = input_from_form(Form(request.query_params))
        criteria = services.criteria_of(asdict(data))
        found = await preview.matches(principal, criteria)
        return Template("segments/_preview.html", context={"matches": found})

    @get("/mapping", name="segments.mapping")
    async def mapping(self, request: Request, principal: Principal) -> Template:
        """The merge-field mapping table for the audience chosen in the editor."""
        data = input_from_form(Form(request.query_params))
        context = await _mapping_context(principal, data.list_id, data.field_mapping)
        context["contact_fields"] = CONTACT_FIELDS
        return Template("segments/_mapping.html", context=context)


ROUTES = [SegmentController, SyncController, RunController]
