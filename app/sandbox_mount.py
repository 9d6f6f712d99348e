"""The offline Mailchimp sandbox mounted at /sandbox/mailchimp (LISTBRIDGE_SANDBOX=1).

Used by the demo and the tests. Listbridge talks to it exactly as to Mailchimp, over HTTP
semantics, but in-process: the Mailchimp client's requests and the sandbox's webhook deliveries
both go through this app's own ASGI interface, so no socket and no second process is needed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from app.settings import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_MOUNT

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

    from app.mailchimp.sandbox import Sandbox
    from app.settings import Settings


class LateBoundApp:
    """An ASGI app that forwards to one set later (the Litestar app is built after the mount)."""

    target: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.target is not None, "the app was never bound"
        await self.target(scope, receive, send)


def seed_document(settings: Settings) -> dict[str, Any]:
    """The demo seed (demo mode) plus the OAuth app this server signs in with."""
    from app.mailchimp.sandbox import DEMO_SEED

    document = json.loads(DEMO_SEED.read_text()) if settings.app.demo else {"accounts": []}
    document["oauth_clients"] = [
        {
            "client_id": SANDBOX_CLIENT_ID,
            "client_secret": SANDBOX_CLIENT_SECRET,
            "redirect_uri": f"{settings.app.base_url}/settings/mailchimp/oauth/callback",
            "name": "Listbridge",
        }
    ]
    return document


def create_sandbox(settings: Settings, loopback: LateBoundApp) -> Sandbox:
    from app.mailchimp.sandbox import Sandbox

    return Sandbox(
        seed=seed_document(settings),
        webhook_transport=httpx.ASGITransport(app=loopback),
        public_base_url=f"{settings.app.base_url}{SANDBOX_MOUNT}",
    )
