"""Settings → Mailchimp: connect (API key or OAuth), verify, disconnect, browse audiences."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from app.domain.accounts.principal import Principal
from app.domain.connections import audiences, oauth, services
from app.domain.segments import services as segments
from app.lib.errors import InvalidInput, ListbridgeError, NotFound, UpstreamUnavailable
from app.lib.forms import read_form
from app.lib.templating import render

PAGE = "/settings/mailchimp"


async def _panel(
    request: Request,
    principal: Principal,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    notice: str = "",
) -> Template:
    """The Mailchimp panel, whole page or (for htmx) just the panel."""
    connection = await services.current(principal)
    return render(
        request,
        "settings/mailchimp.html",
        partial="connections/_panel.html",
        status_code=status_code,
        connection=connection,
        sync_summary=await segments.status_summary(principal) if connection else None,
        oauth_enabled=oauth.enabled(),
        errors=errors or {},
        notice=notice,
    )


class MailchimpSettingsController(Controller):
    path = PAGE

    @get("/", name="settings.mailchimp")
    async def page(self, request: Request, principal: Principal) -> Template:
        return await _panel(request, principal)

    @post("/api-key", name="settings.mailchimp.connect")
    async def connect(self, request: Request, principal: Principal) -> Template | Redirect:
        form = await read_form(request)
        try:
            await services.connect_api_key(principal, api_key=form.get("api_key"))
        except InvalidInput as exc:
            return await _panel(request, principal, status_code=400, errors=exc.errors)
        except UpstreamUnavailable as exc:
            return await _panel(request, principal, status_code=502, errors={"form": exc.detail})
        if not request.headers.get("hx-request"):
            flash(request, "Mailchimp is connected.", "success")
            return Redirect(PAGE)
        return await _panel(request, principal, notice="Mailchimp is connected.")

    @post("/verify", name="settings.mailchimp.verify")
    async def verify(self, request: Request, principal: Principal) -> Template:
        try:
            connection = await services.verify(principal)
        except UpstreamUnavailable as exc:
            return await _panel(request, principal, status_code=502, errors={"form": exc.detail})
        notice = "Verified just now." if connection.status == "connected" else ""
        return await _panel(request, principal, notice=notice)

    @post("/disconnect", name="settings.mailchimp.disconnect")
    async def disconnect(self, request: Request, principal: Principal) -> Template | Redirect:
        removal = await services.disconnect(principal)
        notice = "Mailchimp is disconnected. Segments, runs and campaign history are kept."
        if removal["not_removed"]:
            notice += (
                f" {removal['not_removed']} webhook(s) could not be removed from Mailchimp; "
                "delete them there if they remain."
            )
        if not request.headers.get("hx-request"):
            flash(request, notice, "info")
            return Redirect(PAGE)
        return await _panel(request, principal, notice=notice)

    @get("/oauth/start", name="settings.mailchimp.oauth.start")
    async def oauth_start(self, principal: Principal) -> Redirect:
        return Redirect(await oauth.start(principal))

    @get("/oauth/callback", name="settings.mailchimp.oauth.callback")
    async def oauth_callback(
        self,
        request: Request,
        principal: Principal,
        code: str = "",
        # `state` is a reserved name for Litestar handlers; Mailchimp's parameter is mapped.
        oauth_state: Annotated[str, Parameter(query="state")] = "",
        error: str = "",
    ) -> Template | Redirect:
        try:
            await oauth.finish(principal, code=code, state=oauth_state, error=error)
        except InvalidInput as exc:
            return await _panel(request, principal, status_code=400, errors=exc.errors)
        except UpstreamUnavailable as exc:
            return await _panel(request, principal, status_code=502, errors={"form": exc.detail})
        flash(request, "Mailchimp is connected.", "success")
        return Redirect(PAGE)

    @get("/audiences", name="settings.mailchimp.audiences")
    async def audience_list(
        self, request: Request, principal: Principal, refresh: bool = False
    ) -> Template:
        try:
            found, problem = await audiences.audiences(principal, refresh=refresh), ""
        except ListbridgeError as exc:
            found, problem = [], exc.detail
        return Template(
            "connections/_audiences.html", context={"audiences": found, "problem": problem}
        )

    @get("/audiences/picker", name="settings.mailchimp.audiences.picker")
    async def audience_picker(
        self,
        request: Request,
        principal: Principal,
        selected: str = "",
        refresh: bool = False,
    ) -> Template:
        """A labelled <select> of audiences for other forms (segments) to include via htmx."""
        try:
            found, problem = await audiences.audiences(principal, refresh=refresh), ""
        except ListbridgeError as exc:
            found, problem = [], exc.detail
        return Template(
            "connections/_audience_picker.html",
            context={"audiences": found, "problem": problem, "selected": selected},
        )

    @get("/audiences/{list_id:str}/merge-fields", name="settings.mailchimp.merge_fields")
    async def merge_field_list(
        self, principal: Principal, list_id: str, refresh: bool = False
    ) -> Template:
        status = 200
        try:
            fields, problem = await audiences.merge_fields(principal, list_id, refresh=refresh), ""
        except ListbridgeError as exc:
            fields, problem = [], exc.detail
            # An audience outside the connected account: the notice, as a 404 (htmx swaps 4xx).
            status = exc.status_code if isinstance(exc, NotFound) else 200
        return Template(
            "connections/_merge_fields.html",
            context={"fields": fields, "problem": problem, "list_id": list_id},
            status_code=status,
        )


ROUTES = [MailchimpSettingsController]
