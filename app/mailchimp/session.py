"""One authenticated line to Mailchimp: every request holds a slot, is logged, and is retried.

A slot is held for each attempt only, never across a backoff pause, so waiting requests of other
workers can use it meanwhile. Only 429, 5xx and network failures are retried; a request that may
have changed something (POST that creates) is retried only when Mailchimp surely never ran it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx
import msgspec

from app.mailchimp.errors import (
    MailchimpError,
    MailchimpUnavailable,
    RateLimited,
    UnexpectedResponse,
    error_from_response,
)
from app.mailchimp.limiter import ConcurrencyLimiter
from app.mailchimp.retry import RetryPolicy

log = logging.getLogger("app.mailchimp")

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

# Failures where the request cannot have reached Mailchimp, so even a create is safe to repeat.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class ApiSession:
    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        limiter: ConcurrencyLimiter,
        account_key: str,
        retry: RetryPolicy,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.http = http
        self.limiter = limiter
        self.account_key = account_key
        self.retry = retry
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"ApiSession(base_url={str(self.http.base_url)!r}, retry={self.retry!r})"

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send until a 2xx comes back or the retry policy gives up; raise a MailchimpError."""
        content = msgspec.json.encode(json) if json is not None else None
        send_headers = dict(headers or {})
        if content is not None:
            send_headers["Content-Type"] = "application/json"
        attempt, waited = 1, 0.0
        while True:
            request = self.http.build_request(
                method, path, params=params, content=content, data=data, headers=send_headers
            )
            outcome, retry_after = await self._attempt(request, attempt, idempotent)
            if isinstance(outcome, httpx.Response):
                return outcome
            delay = self.retry.delay_before(attempt, retry_after)
            if attempt >= self.retry.max_attempts or waited + delay > self.retry.max_total_wait:
                if isinstance(outcome, MailchimpError):
                    raise outcome
                raise _unavailable(outcome, request, attempt) from outcome
            log.info(
                "Mailchimp %s %s: retrying in %.2f s after attempt %d",
                request.method,
                request.url.path,
                delay,
                attempt,
            )
            await self._sleep(delay)
            waited += delay
            attempt += 1

    async def _attempt(
        self, request: httpx.Request, attempt: int, idempotent: bool
    ) -> tuple[httpx.Response | MailchimpError | httpx.TransportError, float | None]:
        """One try inside a slot: the response, or a retryable failure (others are raised)."""
        started = time.perf_counter()
        try:
            async with self.limiter.slot(self.account_key):
                response = await self.http.send(request)
        except httpx.TransportError as failure:
            log.warning(
                "Mailchimp %s %s failed: %s (attempt %d, %.0f ms)",
                request.method,
                request.url.path,
                type(failure).__name__,
                attempt,
                (time.perf_counter() - started) * 1000,
            )
            if idempotent or isinstance(failure, _NEVER_SENT):
                return failure, None
            raise _unavailable(failure, request, attempt) from failure
        # Successes at DEBUG: a large sync makes thousands; refusals at INFO.
        log.log(
            logging.DEBUG if response.is_success else logging.INFO,
            "Mailchimp %s %s -> %d (attempt %d, %.0f ms)",
            request.method,
            request.url.path,
            response.status_code,
            attempt,
            (time.perf_counter() - started) * 1000,
        )
        if response.is_success:
            return response, None
        error = error_from_response(response)
        # A 429 means Mailchimp ran nothing, so it is safe to repeat any request.
        if error.retryable and (idempotent or isinstance(error, RateLimited)):
            return error, getattr(error, "retry_after", None)
        raise error


def _unavailable(
    failure: httpx.TransportError, request: httpx.Request, attempts: int
) -> MailchimpUnavailable:
    kind = "timed out" if isinstance(failure, httpx.TimeoutException) else "could not connect"
    return MailchimpUnavailable(
        f"{request.method} {request.url.path} {kind} ({type(failure).__name__}) "
        f"after {attempts} attempt(s)."
    )


def decode(response: httpx.Response, into: type[T]) -> T:
    """Read a 2xx body as `into`; an unreadable answer becomes UnexpectedResponse."""
    try:
        return msgspec.json.decode(response.content, type=into)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise UnexpectedResponse(
            f"Could not read Mailchimp's answer to {response.request.url.path}: {exc}",
            status=response.status_code,
        ) from None
