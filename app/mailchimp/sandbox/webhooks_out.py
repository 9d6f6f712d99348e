"""Sending webhooks: the validation GET on create, then form-encoded POSTs in the background.

Deliveries to one webhook go out in the order the changes happened; each attempt is recorded
in `SandboxState.webhook_deliveries`. A 410 answer disables the webhook, as at Mailchimp.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Sequence

import httpx

from app.mailchimp.sandbox.identity import new_id
from app.mailchimp.sandbox.state import (
    Account,
    DeliveryAttempt,
    SandboxState,
    Webhook,
    WebhookDelivery,
    remember,
)
from app.mailchimp.sandbox.webhook_payloads import (
    WebhookEvent,
    encode_body,
    fired_at_text,
    signature_header,
)

DELIVERY_USER_AGENT = "MailChimp.com"
VALIDATOR_USER_AGENT = "MailChimp.com WebHook Validator"
DEFAULT_RETRY_DELAYS = (1.0, 5.0, 25.0)  # Mailchimp retries for 75 minutes; a sandbox need not
REQUEST_TIMEOUT_SECONDS = 10.0  # Mailchimp gives up on a receiver after 10 s


class WebhookDispatcher:
    def __init__(
        self,
        state: SandboxState,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        self._state = state
        self._transport = transport
        self.retry_delays = tuple(retry_delays)
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task] = set()
        self._locks: dict[str, asyncio.Lock] = {}

    def _http(self) -> httpx.AsyncClient:
        # Created on first use, inside the running loop (a mounted app gets no startup hook).
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport, timeout=REQUEST_TIMEOUT_SECONDS, follow_redirects=False
            )
        return self._client

    async def validation_problem(self, url: str) -> str | None:
        """Mailchimp GETs a new webhook URL first; anything but 2xx refuses the webhook."""
        try:
            response = await self._http().get(url, headers={"User-Agent": VALIDATOR_USER_AGENT})
        except httpx.HTTPError as exc:
            return f"We couldn't reach {url} to validate it ({type(exc).__name__})."
        if not response.is_success:
            return (
                f"The URL {url} answered {response.status_code} to our validation GET request; "
                "it must answer with a 2xx status."
            )
        return None

    def publish(self, account: Account, events: Iterable[WebhookEvent]) -> None:
        """Queue a delivery for every webhook of the event's audience that wants it."""
        for event in events:
            audience = account.audiences.get(event.list_id)
            if audience is None:
                continue
            for webhook in list(audience.webhooks.values()):
                if webhook.disabled or not webhook.events.get(event.type):
                    continue
                # campaign events are "all or nothing": sources do not apply to them
                if event.type != "campaign" and not webhook.sources.get(event.source):
                    continue
                delivery = WebhookDelivery(
                    id=new_id(),
                    account_id=account.account_id,
                    list_id=event.list_id,
                    webhook_id=webhook.id,
                    url=webhook.url,
                    event_type=event.type,
                    source=event.source,
                    body=encode_body(event.type, fired_at_text(event.fired_at), event.fields),
                )
                remember(self._state.webhook_deliveries, delivery)
                task = asyncio.get_running_loop().create_task(self._deliver(webhook, delivery))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _deliver(self, webhook: Webhook, delivery: WebhookDelivery) -> None:
        async with self._locks.setdefault(webhook.id, asyncio.Lock()):
            for delay in (0.0, *self.retry_delays):
                if delay:
                    await asyncio.sleep(delay)
                if webhook.disabled:
                    delivery.outcome = "webhook_disabled"
                    return
                status = await self._attempt(webhook, delivery)
                if status is not None and 200 <= status < 300:
                    delivery.outcome = "delivered"
                    return
                if status == 410:
                    webhook.disabled = True
                    delivery.outcome = "webhook_disabled"
                    return
            delivery.outcome = "failed"

    async def _attempt(self, webhook: Webhook, delivery: WebhookDelivery) -> int | None:
        headers = {
            "User-Agent": DELIVERY_USER_AGENT,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if webhook.signing_enabled and webhook.signing_secret:
            # signed with wall-clock time: receivers check it against their own clock
            headers["X-Mailchimp-Signature"] = signature_header(
                webhook.signing_secret, int(time.time()), delivery.body
            )
        try:
            response = await self._http().post(webhook.url, content=delivery.body, headers=headers)
        except httpx.HTTPError as exc:
            delivery.attempts.append(
                DeliveryAttempt(self._state.now(), None, f"{type(exc).__name__}: {exc}")
            )
            return None
        delivery.attempts.append(DeliveryAttempt(self._state.now(), response.status_code))
        return response.status_code

    async def drain(self) -> None:
        """Wait until every queued delivery (including retries) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()
            self._client = None
