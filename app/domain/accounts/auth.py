"""Authentication: who is calling, resolved once per request by a guard.

A request is authenticated by `Authorization: Bearer <api token>` (API clients) or by the
session cookie (people). A Bearer header that does not match a live token fails outright;
it never falls back to the cookie. The guard stores the `Principal` on the connection and
handlers receive it through the `principal` dependency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException

from app.domain.accounts import services, tokens
from app.domain.accounts.principal import Principal

if TYPE_CHECKING:
    from litestar import Request
    from litestar.handlers.base import BaseRouteHandler

SESSION_USER = "user_id"
SESSION_ORGANISATION = "organisation_id"


def client_ip(connection: ASGIConnection) -> str | None:
    return connection.client.host if connection.client else None


def bearer_token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


async def resolve_principal(connection: ASGIConnection) -> Principal | None:
    token = bearer_token(connection)
    if token is not None:
        return await tokens.principal_for_token(token, client_ip(connection))
    session: dict[str, Any] = connection.scope.get("session") or {}
    user_id = session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    return await services.principal_for_user(
        user_id, session.get(SESSION_ORGANISATION), client_ip(connection)
    )


async def require_principal(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard for everything behind a login."""
    principal = await resolve_principal(connection)
    if principal is None:
        if bearer_token(connection) is not None:
            raise NotAuthorizedException("The API token is missing, invalid or revoked.")
        raise NotAuthorizedException("Log in to continue.")
    connection.state.principal = principal


async def provide_principal(request: Request) -> Principal:
    return request.state.principal


def start_session(request: Request, *, user_id: int, organisation_id: int | None) -> None:
    # Replacing the whole session drops anything from before the login (e.g. old messages).
    request.set_session({SESSION_USER: user_id, SESSION_ORGANISATION: organisation_id})


def end_session(request: Request) -> None:
    # An empty (not cleared) session keeps room for the "logged out" message; the cookie
    # then holds nothing else.
    request.set_session({})
