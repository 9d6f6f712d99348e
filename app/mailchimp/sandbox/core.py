"""`Sandbox`: one offline Mailchimp — its state, its webhook sender and its ASGI app."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike
from typing import Any

import httpx

from app.mailchimp.sandbox.seed import apply_seed, read_seed
from app.mailchimp.sandbox.state import Account, SandboxState
from app.mailchimp.sandbox.webhook_payloads import WebhookEvent
from app.mailchimp.sandbox.webhooks_out import DEFAULT_RETRY_DELAYS, WebhookDispatcher


class Sandbox:
    """Build one per test (or per process) and talk to `asgi_app` over HTTP.

    `state` is the live model to inspect or drive directly; `drain_webhooks()` waits until
    queued deliveries are done; `reset()` returns to the seeded starting point.
    """

    def __init__(
        self,
        state: SandboxState | None = None,
        *,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        seed: dict[str, Any] | str | PathLike[str] | None = None,
        public_base_url: str | None = None,
        webhook_retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        self.state = state if state is not None else SandboxState()
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.seed_document = read_seed(seed) if seed is not None else None
        if self.seed_document is not None:
            apply_seed(self.state, self.seed_document)
        self.webhooks = WebhookDispatcher(
            self.state, transport=webhook_transport, retry_delays=webhook_retry_delays
        )
        from app.mailchimp.sandbox.app import build_asgi_app  # the app needs this class

        self.asgi_app = build_asgi_app(self)

    def publish(self, account: Account, events: Iterable[WebhookEvent]) -> None:
        self.webhooks.publish(account, events)

    async def drain_webhooks(self) -> None:
        """Return once every pending webhook delivery (and its retries) has finished."""
        await self.webhooks.drain()

    def reset(self) -> None:
        """Forget everything, then load the starting seed again (if there was one)."""
        self.state.clear()
        if self.seed_document is not None:
            apply_seed(self.state, self.seed_document)

    def account(self, ref: str) -> Account:
        """An account by id or API key (KeyError if unknown)."""
        account = self.state.find_account(ref)
        if account is None:
            raise KeyError(ref)
        return account

    def write_counts(self, ref: str) -> list[dict[str, Any]]:
        """How many times API writes created or updated each member of the account, and for
        each write in order whether its answer was sent (False: an injected timeout withheld it)."""
        return [
            {
                "list_id": list_id,
                "subscriber_hash": member_hash,
                "email_address": count.email_address,
                "created": count.created,
                "updated": count.updated,
                "answered": list(count.answered),
            }
            for (list_id, member_hash), count in self.account(ref).write_counts.items()
        ]

    async def aclose(self) -> None:
        await self.webhooks.aclose()
