"""Sign up, log in, log out, switch organisation: the pages before and around a session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar import Controller, Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from app.domain.accounts import services
from app.domain.accounts.auth import (
    SESSION_USER,
    client_ip,
    end_session,
    start_session,
)
from app.domain.accounts.principal import Principal
from app.domain.accounts.team import TeamController, TokenController
from app.lib.errors import InvalidInput
from app.lib.forms import read_form, safe_next
from app.lib.ratelimit import AttemptLimit
from app.lib.templating import render
from app.settings import get_settings

if TYPE_CHECKING:
    from redis.asyncio import Redis


def _login_limits(redis: Redis) -> tuple[AttemptLimit, AttemptLimit]:
    security = get_settings().security
    per_email = AttemptLimit(
        redis, "login-email", security.login_attempts, security.login_window_seconds
    )
    # An address-wide ceiling catches one client spraying many accounts.
    per_ip = AttemptLimit(
        redis, "login-ip", security.login_attempts * 5, security.login_window_seconds
    )
    return per_email, per_ip


class SessionController(Controller):
    """Public pages: no login needed to see them."""

    @get("/login", name="login")
    async def login_page(self, request: Request, next: str | None = None) -> Template | Redirect:
        if isinstance((request.scope.get("session") or {}).get(SESSION_USER), int):
            return Redirect(safe_next(next))
        return render(request, "accounts/login.html", next=safe_next(next), values={}, errors={})

    @post("/login", name="login.submit")
    async def login(self, request: Request, redis: Redis) -> Template | Redirect:
        form = await read_form(request)
        email, password = form.get("email"), form.data.get("password", "")
        target = safe_next(form.get("next"))
        per_email, per_ip = _login_limits(redis)
        ip = client_ip(request) or "unknown"
        wait = max(await per_email.blocked_for(email), await per_ip.blocked_for(ip))
        if wait:
            minutes = max(1, round(wait / 60))
            return render(
                request,
                "accounts/login.html",
                status_code=429,
                headers={"retry-after": str(wait)},
                next=target,
                values={"email": email},
                errors={"form": f"Too many failed attempts. Try again in {minutes} min."},
            )
        user = await services.authenticate(email, password if isinstance(password, str) else "")
        if user is None:
            await per_email.fail(email)
            await per_ip.fail(ip)
            return render(
                request,
                "accounts/login.html",
                status_code=400,
                next=target,
                values={"email": email},
                errors={"form": "That email and password don't match an account."},
            )
        await per_email.reset(email)
        organisations = await services.organisations_of(user.id)
        start_session(
            request,
            user_id=user.id,
            organisation_id=organisations[0].id if organisations else None,
        )
        return Redirect(target)

    @get("/signup", name="signup")
    async def signup_page(self, request: Request) -> Template:
        return render(request, "accounts/signup.html", values={}, errors={})

    @post("/signup", name="signup.submit")
    async def signup(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        try:
            user, organisation = await services.signup(
                organisation_name=form.get("organisation_name"),
                name=form.get("name"),
                email=form.get("email"),
                password=form.data.get("password", "") or "",
                ip=client_ip(request),
            )
        except InvalidInput as exc:
            return render(
                request,
                "accounts/signup.html",
                status_code=400,
                values=form.values(),
                errors=exc.errors,
            )
        start_session(request, user_id=user.id, organisation_id=organisation.id)
        flash(request, f"Welcome to Listbridge, {organisation.name}.", "success")
        return Redirect("/")


class SignedInSessionController(Controller):
    """Session actions that need a signed-in person."""

    @post("/logout", name="logout")
    async def logout(self, request: Request) -> Redirect:
        end_session(request)
        flash(request, "You have been logged out.", "info")
        return Redirect("/login")

    @post("/session/organisation", name="session.organisation")
    async def switch_organisation(self, request: Request, principal: Principal) -> Redirect:
        form = await read_form(request)
        wanted = form.get("organisation_id")
        choice = next((c for c in principal.organisations if str(c.id) == wanted), None)
        if choice is None:
            flash(request, "You are not a member of that organisation.", "error")
            return Redirect("/")
        start_session(request, user_id=principal.user_id, organisation_id=choice.id)
        flash(request, f"Switched to {choice.name}.", "info")
        return Redirect("/")


# Pages anyone may open; everything in ROUTES needs a login (app/asgi.py adds the guard).
PUBLIC_ROUTES = [SessionController]
ROUTES = [SignedInSessionController, TeamController, TokenController]
