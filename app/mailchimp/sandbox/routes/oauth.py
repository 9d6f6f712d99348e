"""OAuth 2 at the sandbox root, as at login.mailchimp.com: authorize, token, metadata.

Codes are single-use and expire after `SandboxState.oauth_code_ttl_seconds` (30 s, like
Mailchimp); tokens never expire. Metadata answers 200 `{"error": "invalid_token"}` for a bad
token, as Mailchimp does, and its `api_endpoint` is this sandbox's own root.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Headers
from litestar.response import Redirect, Template

from app.mailchimp.sandbox.gate import credential_from
from app.mailchimp.sandbox.identity import new_api_key
from app.mailchimp.sandbox.routes import CurrentSandbox, site_root
from app.mailchimp.sandbox.state import AuthCode, OAuthClient, SandboxState


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [
        (k, v) for k, v in params.items() if v
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _oauth_error(error: str, status: int) -> Response:
    return Response(content={"error": error}, status_code=status)


def _refusal(request: Request, message: str) -> Template:
    return Template(
        "oauth_error.html",
        context={"message": message, "root": site_root(request)},
        status_code=400,
    )


def _client_for(
    state: SandboxState, client_id: str | None, redirect_uri: str | None
) -> OAuthClient | str:
    """The registered client, or why the request cannot be honoured (never redirect then)."""
    client = state.oauth_clients.get(client_id or "")
    if client is None:
        return f"There is no registered app with client_id {client_id!r}."
    if redirect_uri != client.redirect_uri:
        return "The redirect_uri does not match the one registered for this app."
    return client


class OAuthController(Controller):
    path = "/oauth2"

    @get("/authorize")
    async def authorize_page(self, request: Request, sandbox: CurrentSandbox) -> Template:
        params = request.query_params
        if params.get("response_type") != "code":
            return _refusal(request, "response_type must be 'code'.")
        client = _client_for(sandbox.state, params.get("client_id"), params.get("redirect_uri"))
        if isinstance(client, str):
            return _refusal(request, client)
        accounts = [
            account
            for account in sandbox.state.accounts.values()
            if any(not key.revoked for key in sandbox.state.keys_of(account))
        ]
        return Template(
            "oauth_authorize.html",
            context={
                "client": client,
                "accounts": accounts,
                "oauth_state": params.get("state", ""),
                "root": site_root(request),
            },
        )

    @post("/authorize", status_code=302)
    async def decide(self, request: Request, sandbox: CurrentSandbox) -> Response:
        form = await request.form()
        client = _client_for(sandbox.state, form.get("client_id"), form.get("redirect_uri"))
        if isinstance(client, str):
            return _refusal(request, client)
        oauth_state = form.get("state", "")
        if form.get("decision") != "allow":
            return Redirect(
                _with_query(client.redirect_uri, {"error": "access_denied", "state": oauth_state})
            )
        account = sandbox.state.accounts.get(form.get("account_id", ""))
        if account is None and form.get("account_id") == "new":
            account = sandbox.state.create_account(
                api_key=new_api_key(), account_name=form.get("account_name") or None
            )
        if account is None:
            return _refusal(request, "Choose the Mailchimp account to connect.")
        code = secrets.token_hex(16)
        sandbox.state.auth_codes[code] = AuthCode(
            code, client.client_id, client.redirect_uri, account.account_id, sandbox.state.now()
        )
        return Redirect(_with_query(client.redirect_uri, {"code": code, "state": oauth_state}))

    @post("/token", status_code=200)
    async def token(self, request: Request, sandbox: CurrentSandbox) -> Response:
        form = await request.form()
        state = sandbox.state
        if form.get("grant_type") != "authorization_code":
            return _oauth_error("unsupported_grant_type", 400)
        client = state.oauth_clients.get(form.get("client_id", ""))
        if client is None or not secrets.compare_digest(
            client.client_secret, form.get("client_secret", "")
        ):
            return _oauth_error("invalid_client", 401)
        grant = state.auth_codes.pop(form.get("code", ""), None)  # single use, even on failure
        if (
            grant is None
            or grant.client_id != client.client_id
            or grant.redirect_uri != form.get("redirect_uri")
            or (state.now() - grant.issued_at).total_seconds() > state.oauth_code_ttl_seconds
        ):
            return _oauth_error("invalid_grant", 400)
        access_token = secrets.token_hex(16)
        state.access_tokens[access_token] = grant.account_id
        return Response(
            content={"access_token": access_token, "token_type": "bearer", "scope": None}
        )

    @get("/metadata")
    async def metadata(self, request: Request, sandbox: CurrentSandbox) -> dict[str, Any]:
        token = credential_from(Headers.from_scope(request.scope), schemes=("oauth", "bearer"))
        account_id = sandbox.state.access_tokens.get(token or "")
        account = sandbox.state.accounts.get(account_id or "")
        if account is None:
            return {"error": "invalid_token"}
        root = site_root(request)
        return {
            "dc": account.dc,
            "role": account.role,
            "accountname": account.account_name,
            "user_id": account.user_id,
            "login": {
                "email": account.login_email,
                "avatar": None,
                "login_id": account.user_id,
                "login_name": account.username,
                "login_email": account.login_email,
            },
            "login_url": f"{root}/_sandbox/",
            "api_endpoint": root,
        }
