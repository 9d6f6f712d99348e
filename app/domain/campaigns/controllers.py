"""Campaign pages: the tracked list (track, refresh, sparklines), a campaign's history, import."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from app.domain.accounts.principal import Principal
from app.domain.campaigns import chart, recent, refresh, services
from app.domain.campaigns.tables import SnapshotTrigger
from app.domain.connections import services as connections
from app.lib.errors import Conflict, InvalidInput, ListbridgeError, NotFound, UpstreamUnavailable
from app.lib.forms import read_form
from app.lib.templating import render

PAGE = "/campaigns"


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


async def _list_context(principal: Principal, cursor: str | None = None) -> dict[str, Any]:
    page = await services.campaigns(principal, cursor=cursor)
    history = await services.sparklines(principal, [c.id for c in page.items])
    return {
        "page": page,
        "sparklines": {key: chart.sparkline(readings) for key, readings in history.items()},
        "connection": await connections.current(principal),
    }


async def _panel(
    request: Request,
    principal: Principal,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    notice: str = "",
    existing: services.CampaignView | None = None,
) -> Template:
    """The list page, or for htmx its panel (track form and table)."""
    return render(
        request,
        "campaigns/index.html",
        partial="campaigns/_panel.html",
        status_code=status_code,
        errors=errors or {},
        values=values or {},
        notice=notice,
        existing=existing,
        **await _list_context(principal),
    )


async def _summary_context(principal: Principal, campaign: services.CampaignView) -> dict:
    readings = await services.history(principal, campaign.id)
    return {
        "campaign": campaign,
        "history": readings,
        "chart": chart.rate_chart(readings),
        "history_limit": services.HISTORY_LIMIT,
        "connection": await connections.current(principal),
    }


class CampaignController(Controller):
    path = PAGE

    @get("/", name="campaigns")
    async def index(
        self, request: Request, principal: Principal, cursor: str | None = None
    ) -> Template:
        if cursor and _is_htmx(request):  # "show more": just the next rows
            return Template("campaigns/_rows.html", context=await _list_context(principal, cursor))
        return render(
            request,
            "campaigns/index.html",
            errors={},
            values={},
            notice="",
            existing=None,
            **await _list_context(principal, cursor),
        )

    @post("/", name="campaigns.track")
    async def track(self, request: Request, principal: Principal) -> Template | Redirect:
        form = await read_form(request)
        try:
            campaign = await services.track(principal, campaign_id=form.get("campaign_id"))
        except InvalidInput as exc:
            return await _panel(
                request, principal, status_code=400, errors=exc.errors, values=form.values()
            )
        except Conflict as exc:
            existing = await _tracked(principal, form.get("campaign_id"))
            return await _panel(
                request,
                principal,
                status_code=409,
                errors={"campaign_id": exc.detail},
                values=form.values(),
                existing=existing,
            )
        except (NotFound, UpstreamUnavailable) as exc:
            return await _panel(
                request,
                principal,
                status_code=exc.status_code,
                errors={"form": exc.detail},
                values=form.values(),
            )
        notice = f"Now tracking “{campaign.name}”."
        if not _is_htmx(request):
            flash(request, notice, "success")
            return Redirect(f"{PAGE}/{campaign.id}")
        return await _panel(request, principal, notice=notice)

    @get("/import", name="campaigns.import")
    async def import_page(
        self, request: Request, principal: Principal, page: int = 1, refresh: bool = False
    ) -> Template:
        return await _import_page(request, principal, number=page, refresh=refresh)

    @post("/import", name="campaigns.import.submit")
    async def import_submit(self, request: Request, principal: Principal) -> Template | Redirect:
        form = await read_form(request)
        try:
            outcome = await recent.import_campaigns(principal, form.getall("campaign_id"))
        except InvalidInput as exc:
            page = form.get("page")
            number = int(page) if page.isdigit() else 1
            return await _import_page(
                request, principal, number=number, status_code=400, errors=exc.errors
            )
        if outcome.tracked:
            names = ", ".join(f"“{c.name}”" for c in outcome.tracked)
            flash(request, f"Now tracking {len(outcome.tracked)}: {names}.", "success")
        if outcome.already_tracked:
            flash(request, f"Already tracked: {', '.join(outcome.already_tracked)}.", "info")
        for campaign_id, reason in outcome.failed:
            flash(request, f"Could not track {campaign_id}: {reason}", "error")
        return Redirect(PAGE)

    @get("/{tracking_id:int}", name="campaigns.show")
    async def show(self, request: Request, principal: Principal, tracking_id: int) -> Template:
        campaign = await services.campaign(principal, tracking_id)
        return render(
            request, "campaigns/show.html", notice="", **await _summary_context(principal, campaign)
        )

    @post("/{tracking_id:int}/refresh", name="campaigns.refresh")
    async def refresh_now(
        self, request: Request, principal: Principal, tracking_id: int
    ) -> Template | Redirect:
        """The refresh button: the list's row, or the campaign page's summary, redrawn."""
        form = await read_form(request)
        in_row = form.get("view") == "row"
        try:
            campaign = await refresh.refresh(principal, tracking_id, trigger=SnapshotTrigger.manual)
            notice = "Refreshed just now."
        except refresh.RefreshFailed as exc:
            campaign, notice = exc.campaign, ""  # the row itself now shows the failure
        if not _is_htmx(request):
            flash(request, notice or campaign.last_error, "success" if notice else "error")
            return Redirect(PAGE if in_row else f"{PAGE}/{campaign.id}")
        if in_row:
            readings = (await services.sparklines(principal, [campaign.id]))[campaign.id]
            return Template(
                "campaigns/_row.html",
                # `refreshed` puts focus back on the button htmx just swapped (keyboard users).
                context={
                    "campaign": campaign,
                    "spark": chart.sparkline(readings),
                    "refreshed": True,
                },
            )
        return Template(
            "campaigns/_summary.html",
            context={
                "notice": notice,
                "refreshed": True,
                **await _summary_context(principal, campaign),
            },
        )

    @post("/{tracking_id:int}/untrack", name="campaigns.untrack")
    async def untrack(self, request: Request, principal: Principal, tracking_id: int) -> Redirect:
        campaign = await services.untrack(principal, tracking_id)
        flash(request, f"Stopped tracking “{campaign.name}”. Track it again any time.", "success")
        return Redirect(PAGE)


async def _tracked(principal: Principal, campaign_id: str) -> services.CampaignView | None:
    found = await services.tracked_ids(principal, [campaign_id.strip()])
    if not found:
        return None
    return await services.campaign(principal, next(iter(found.values())))


async def _import_page(
    request: Request,
    principal: Principal,
    *,
    number: int,
    refresh: bool = False,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Template:
    try:
        found, problem = await recent.recent_page(principal, number=number, refresh=refresh), ""
    except ListbridgeError as exc:
        found, problem = None, exc.detail
    return render(
        request,
        "campaigns/import.html",
        status_code=status_code,
        recent=found,
        problem=problem,
        errors=errors or {},
        connection=await connections.current(principal),
    )


ROUTES = [CampaignController]
