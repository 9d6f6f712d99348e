"""The gate every `/3.0` request passes: authentication, the 10-connection limit, faults.

Order matters and mirrors what a client sees at Mailchimp: an unknown key is refused first;
then the request occupies one of the account's 10 simultaneous connections for its whole life
(injected latency included); injected faults strike before the operation touches any state
(except a timeout set to strike after the write: the change is made, its answer withheld).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable
from typing import Any

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.mailchimp.sandbox.errors import ApiProblem, internal_error, too_many_requests
from app.mailchimp.sandbox.state import (
    Account,
    RequestLogEntry,
    SandboxState,
    answer_withheld,
    remember,
)

MAX_CONNECTIONS = 10
ACCOUNT_SCOPE_KEY = "mailchimp_sandbox_account"
_TIMEOUT_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
    b"<p>The server did not answer in time.</p></body></html>"
)


def api_key_missing() -> ApiProblem:
    return ApiProblem(401, "API Key Missing", "Your request did not include an API key.")


def api_key_invalid() -> ApiProblem:
    return ApiProblem(
        401,
        "API Key Invalid",
        "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
    )


def credential_from(
    headers: Headers, schemes: tuple[str, ...] = ("bearer", "apikey")
) -> str | None:
    """The key or token: HTTP Basic password (any user name), or `Bearer <key or token>`."""
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    if scheme in schemes:
        return value
    return None if not scheme else ""


def authenticate(state: SandboxState, headers: Headers) -> Account:
    credential = credential_from(headers)
    if credential is None:
        raise api_key_missing()
    account = state.authenticate(credential) if credential else None
    if account is None:
        raise api_key_invalid()
    return account


class ApiGate(ASGIMiddleware):
    """Holds no state of its own: Litestar deep-copies middleware when it registers routes,
    so the live state is looked up on the app for every request."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state: SandboxState = scope["litestar_app"].state.sandbox.state
        account = authenticate(state, Headers.from_scope(scope))
        scope[ACCOUNT_SCOPE_KEY] = account  # type: ignore[literal-required]
        entry = RequestLogEntry(
            at=state.now(),
            method=scope["method"],
            path=scope["path"],
            query=scope["query_string"].decode("latin-1"),
        )
        remember(account.request_log, entry)
        account.requests_total += 1
        if account.in_flight >= MAX_CONNECTIONS:
            entry.status, entry.fault = 429, "concurrency"
            raise too_many_requests()
        account.in_flight += 1
        try:
            if await self._misbehave(account, entry, send, lambda s: next_app(scope, receive, s)):
                return

            async def recording_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    entry.status = message["status"]
                await send(message)

            await next_app(scope, receive, recording_send)
        finally:
            account.in_flight -= 1

    async def _misbehave(
        self, account: Account, entry: RequestLogEntry, send: Send, operate: Callable[[Send], Any]
    ) -> bool:
        """Apply latency and maybe a fault; True when the request was answered here."""
        faults = account.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if not (faults.rate_429 or faults.rate_500 or faults.rate_timeout):
            return False
        roll = account.rng.random()  # one draw per request keeps a seeded run reproducible
        if roll < faults.rate_429:
            entry.status, entry.fault = 429, "429"
            raise too_many_requests(faults.retry_after)
        roll -= faults.rate_429
        if roll < faults.rate_500:
            entry.status, entry.fault = 500, "500"
            raise internal_error()
        roll -= faults.rate_500
        if roll < faults.rate_timeout:
            entry.fault = "timeout"
            if faults.timeout_after_write:
                await _operate_unanswered(operate)
            await asyncio.sleep(faults.timeout_seconds)
            # what a client sees if it waits that long: the CDN's HTML error page
            entry.status = 502
            await send(
                {
                    "type": "http.response.start",
                    "status": 502,
                    "headers": [(b"content-type", b"text/html")],
                }
            )
            await send({"type": "http.response.body", "body": _TIMEOUT_PAGE})
            return True
        return False


async def _operate_unanswered(operate: Callable[[Send], Any]) -> None:
    """Carry out the request but throw its answer away; its writes are marked unanswered."""

    async def discard(message: Message) -> None:
        return None

    token = answer_withheld.set(True)
    try:
        await operate(discard)
    finally:
        answer_withheld.reset(token)
