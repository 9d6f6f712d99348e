"""The dashboard: where a signed-in person lands."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from app.domain.accounts.principal import Principal
from app.domain.audit import services as audit_services
from app.domain.inbound import status
from app.lib.templating import render


class DashboardController(Controller):
    @get("/", name="dashboard")
    async def index(self, request: Request, principal: Principal) -> Template:
        recent = await audit_services.entries(principal, limit=8)
        return render(
            request,
            "dashboard/index.html",
            recent=recent.items,
            audiences=await status.audiences(principal),
            reachability=await status.reachability(principal),
        )


ROUTES = [DashboardController]
