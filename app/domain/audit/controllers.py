"""The audit log page: every change in the organisation, newest first."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from app.domain.accounts.principal import Principal
from app.domain.audit import services
from app.lib.templating import render


class AuditController(Controller):
    path = "/audit"

    @get("/", name="audit")
    async def index(
        self, request: Request, principal: Principal, cursor: str | None = None
    ) -> Template:
        page = await services.entries(principal, cursor=cursor)
        return render(request, "audit/index.html", partial="audit/_rows.html", page=page)


ROUTES = [AuditController]
