"""Settings pages for the organisation's people and API tokens."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from app.domain.accounts import services, tokens
from app.domain.accounts.principal import Principal
from app.domain.accounts.tables import Role
from app.lib.errors import InvalidInput, ListbridgeError, NotFound
from app.lib.forms import read_form
from app.lib.templating import render


async def _team_page(
    request: Request, principal: Principal, *, status: int = 200, **context: object
) -> Template:
    return render(
        request,
        "settings/team.html",
        status_code=status,
        members=await services.team(principal),
        roles=[r.value for r in Role],
        values=context.pop("values", {}),
        errors=context.pop("errors", {}),
        **context,
    )


class TeamController(Controller):
    path = "/settings"

    @get("/", name="settings")
    async def team(self, request: Request, principal: Principal) -> Template:
        return await _team_page(request, principal)

    @post("/team", name="settings.team.add")
    async def add_member(self, request: Request, principal: Principal) -> Template | Redirect:
        form = await read_form(request)
        try:
            member = await services.add_member(
                principal,
                email=form.get("email"),
                name=form.get("name"),
                role=form.get("role", "member"),
                password=form.data.get("password", "") or "",
            )
        except InvalidInput as exc:
            return await _team_page(
                request, principal, status=400, values=form.values(), errors=exc.errors
            )
        flash(
            request, f"{member.email} can now sign in to {principal.organisation_name}.", "success"
        )
        return Redirect("/settings")

    @post("/team/{user_id:int}/role", name="settings.team.role")
    async def change_role(self, request: Request, principal: Principal, user_id: int) -> Redirect:
        form = await read_form(request)
        try:
            await services.change_role(principal, user_id=user_id, role=form.get("role"))
            flash(request, "Role updated.", "success")
        except NotFound:
            raise  # another organisation's person: 404, never a "done" redirect
        except ListbridgeError as exc:
            flash(
                request, exc.detail if not exc.errors else next(iter(exc.errors.values())), "error"
            )
        return Redirect("/settings")

    @post("/team/{user_id:int}/remove", name="settings.team.remove")
    async def remove_member(self, request: Request, principal: Principal, user_id: int) -> Redirect:
        try:
            await services.remove_member(principal, user_id=user_id)
            flash(request, "Member removed.", "success")
        except NotFound:
            raise
        except ListbridgeError as exc:
            flash(request, exc.detail, "error")
        return Redirect("/settings")


class TokenController(Controller):
    path = "/settings/tokens"

    @get("/", name="settings.tokens")
    async def list_tokens(self, request: Request, principal: Principal) -> Template:
        return render(
            request,
            "settings/tokens.html",
            tokens=await tokens.list_tokens(principal),
            created=None,
            values={},
            errors={},
        )

    @post("/", name="settings.tokens.create")
    async def create_token(self, request: Request, principal: Principal) -> Template:
        form = await read_form(request)
        try:
            info, plaintext = await tokens.create(principal, name=form.get("name"))
        except InvalidInput as exc:
            return render(
                request,
                "settings/tokens.html",
                status_code=400,
                tokens=await tokens.list_tokens(principal),
                created=None,
                values=form.values(),
                errors=exc.errors,
            )
        # The plaintext is rendered into this one response and never again.
        return render(
            request,
            "settings/tokens.html",
            status_code=201,
            headers={"cache-control": "no-store"},
            tokens=await tokens.list_tokens(principal),
            created={"info": info, "plaintext": plaintext},
            values={},
            errors={},
        )

    @post("/{token_id:int}/revoke", name="settings.tokens.revoke")
    async def revoke(self, request: Request, principal: Principal, token_id: int) -> Redirect:
        await tokens.revoke(principal, token_id=token_id)
        flash(request, "Token revoked. Anything still using it now gets 401.", "success")
        return Redirect("/settings/tokens")
