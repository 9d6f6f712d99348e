"""Retries, slots, timeouts and logs: what happens when Mailchimp is busy, broken or away."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import redis.asyncio as redis_asyncio
import respx

from app.mailchimp.client import DEFAULT_TIMEOUT, MailchimpClient
from app.mailchimp.credentials import ApiKeyCredentials
from app.mailchimp.errors import (
    MailchimpUnavailable,
    MemberExists,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
)
from app.mailchimp.limiter import RedisConcurrencyLimiter
from app.mailchimp.retry import RetryPolicy
from tests.unit.mailchimp.mailchimp_client_fakes import API_KEY, LIST_ID, RecordedSleep, problem

PING = {"health_status": "Everything's Chimpy!"}
SERVER_ERROR = problem(500, "Internal Server Error", "An unexpected internal error has occurred.")


def too_many(retry_after: str | None = None) -> httpx.Response:
    answer = problem(429, "Too Many Requests", "You have exceeded the limit of 10 connections.")
    if retry_after is not None:
        answer.headers["Retry-After"] = retry_after
    return answer


async def test_429_waits_as_long_as_retry_after_says(
    api: respx.MockRouter, mc: MailchimpClient, sleep: RecordedSleep
):
    route = api.get("/ping").mock(side_effect=[too_many("3"), httpx.Response(200, json=PING)])
    assert (await mc.ping()).health_status == PING["health_status"]
    assert route.call_count == 2
    assert sleep.delays == [3.0]


async def test_429_without_retry_after_backs_off_with_jitter(
    api: respx.MockRouter, mc: MailchimpClient, sleep: RecordedSleep
):
    api.get("/ping").mock(side_effect=[too_many(), too_many(), httpx.Response(200, json=PING)])
    await mc.ping()
    assert len(sleep.delays) == 2
    # Full jitter under base_delay * 2**(attempt-1): 0.01 then 0.02.
    assert 0 <= sleep.delays[0] <= 0.01
    assert 0 <= sleep.delays[1] <= 0.02


async def test_real_sleep_is_taken_when_none_is_injected(api: respx.MockRouter):
    api.get("/ping").mock(side_effect=[too_many("0.2"), httpx.Response(200, json=PING)])
    async with MailchimpClient(ApiKeyCredentials(API_KEY)) as client:
        started = time.perf_counter()
        await client.ping()
    assert 0.2 <= time.perf_counter() - started < 2


async def test_500s_are_retried_until_one_succeeds(
    api: respx.MockRouter, mc: MailchimpClient, sleep: RecordedSleep
):
    route = api.get("/ping").mock(
        side_effect=[SERVER_ERROR, SERVER_ERROR, httpx.Response(200, json=PING)]
    )
    await mc.ping()
    assert route.call_count == 3
    assert len(sleep.delays) == 2


async def test_a_timeout_is_retried(api: respx.MockRouter, mc: MailchimpClient):
    route = api.get("/ping").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json=PING)]
    )
    await mc.ping()
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("answer", "raised"),
    [
        (SERVER_ERROR, ServerError),
        (too_many(), RateLimited),
        (httpx.Response(502, text="<html>502 Bad Gateway</html>"), ServerError),
        (httpx.ReadTimeout("slow"), MailchimpUnavailable),
        (httpx.ConnectError("refused"), MailchimpUnavailable),
    ],
)
async def test_gives_up_after_max_attempts_with_the_right_error(
    api: respx.MockRouter, mc: MailchimpClient, sleep: RecordedSleep, answer, raised
):
    route = api.get("/ping").mock(side_effect=[answer] * 3)
    with pytest.raises(raised) as caught:
        await mc.ping()
    assert route.call_count == 3
    assert len(sleep.delays) == 2
    assert caught.value.retryable


async def test_unreachable_mailchimp_reads_differently_from_a_bad_key(
    api: respx.MockRouter, mc: MailchimpClient
):
    api.get("/ping").mock(side_effect=httpx.ConnectError("Name or service not known"))
    with pytest.raises(MailchimpUnavailable) as caught:
        await mc.ping()
    assert "reach Mailchimp" in caught.value.user_message
    assert "GET /3.0/ping could not connect" in str(caught.value)


async def test_a_retry_after_beyond_the_total_wait_gives_up_at_once(
    api: respx.MockRouter, mc: MailchimpClient, sleep: RecordedSleep
):
    route = api.get("/ping").mock(return_value=too_many("3600"))
    with pytest.raises(RateLimited) as caught:
        await mc.ping()
    assert caught.value.retry_after == 3600
    assert route.call_count == 1
    assert sleep.delays == []


@pytest.mark.parametrize(
    ("answer", "raised"),
    [
        (problem(400, "Member Exists", "a@b.c is already a list member."), MemberExists),
        (problem(401, "API Key Invalid", "Your API key may be invalid."), Unauthorized),
        (
            problem(404, "Resource Not Found", "The requested resource could not be found."),
            NotFound,
        ),
    ],
)
async def test_other_4xx_are_never_retried(
    api: respx.MockRouter, mc: MailchimpClient, sleep: RecordedSleep, answer, raised
):
    route = api.get("/ping").mock(return_value=answer)
    with pytest.raises(raised):
        await mc.ping()
    assert route.call_count == 1
    assert sleep.delays == []


async def test_a_create_is_not_repeated_after_a_read_timeout(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.post(f"/lists/{LIST_ID}/webhooks").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(MailchimpUnavailable):
        await mc.create_webhook(LIST_ID, "https://example.org/hook")
    assert route.call_count == 1


async def test_a_create_is_repeated_when_it_never_left_or_was_rate_limited(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.post(f"/lists/{LIST_ID}/webhooks").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            too_many("0"),
            httpx.Response(200, json={"id": "wh1", "url": "https://example.org/hook"}),
        ]
    )
    webhook = await mc.create_webhook(LIST_ID, "https://example.org/hook")
    assert webhook.id == "wh1"
    assert route.call_count == 3


class RecordingLimiter:
    """Writes down when slots are taken and handed back, next to the pauses."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    @asynccontextmanager
    async def slot(self, account_key: str) -> AsyncIterator[None]:
        self.events.append(f"take {account_key}")
        try:
            yield
        finally:
            self.events.append("give back")


async def test_each_attempt_holds_a_slot_and_none_is_held_while_backing_off(
    api: respx.MockRouter,
):
    events: list[str] = []

    async def sleep(seconds: float) -> None:
        events.append("pause")

    api.get("/ping").mock(side_effect=[SERVER_ERROR, httpx.Response(200, json=PING)])
    async with MailchimpClient(
        ApiKeyCredentials(API_KEY),
        limiter=RecordingLimiter(events),
        account_key="account-8d3a",
        retry=RetryPolicy(max_attempts=2, base_delay=0.01),
        sleep=sleep,
    ) as client:
        await client.ping()
    assert events == ["take account-8d3a", "give back", "pause", "take account-8d3a", "give back"]


def test_retry_delays_grow_but_stay_under_max_delay() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=4, random=random.Random(7))
    for attempt in range(1, 10):
        ceiling = min(4, 2 ** (attempt - 1))
        delays = [policy.delay_before(attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8
    assert policy.delay_before(1, retry_after=12.5) == 12.5


async def test_default_timeouts_are_mailchimps_own(api: respx.MockRouter, mc: MailchimpClient):
    route = api.get("/ping").respond(json=PING)
    await mc.ping()
    timeout = route.calls.last.request.extensions["timeout"]
    assert (timeout["connect"], timeout["read"]) == (10.0, 120.0)
    assert DEFAULT_TIMEOUT.read == 120.0


async def test_timeouts_can_be_configured(api: respx.MockRouter):
    route = api.get("/ping").respond(json=PING)
    custom = httpx.Timeout(30.0, connect=2.0)
    async with MailchimpClient(ApiKeyCredentials(API_KEY), timeout=custom) as client:
        await client.ping()
    assert route.calls.last.request.extensions["timeout"]["connect"] == 2.0


def test_a_lease_shorter_than_the_read_timeout_is_refused() -> None:
    # Never contacted: the check happens before any request.
    limiter = RedisConcurrencyLimiter(redis_asyncio.Redis(), lease_seconds=60)
    with pytest.raises(ValueError, match="lease_seconds"):
        MailchimpClient(ApiKeyCredentials(API_KEY), limiter=limiter)


async def test_logs_name_method_path_status_and_attempt_but_never_the_secret(
    api: respx.MockRouter, mc: MailchimpClient, caplog: pytest.LogCaptureFixture
):
    api.get("/ping").mock(side_effect=[too_many("0"), SERVER_ERROR, httpx.Response(200, json=PING)])
    api.get(f"/lists/{LIST_ID}").mock(side_effect=httpx.ConnectError("refused"))
    api.get("/").mock(return_value=problem(401, "API Key Invalid", "Your API key may be invalid."))
    caught: list[Exception] = []
    with caplog.at_level(logging.DEBUG):
        await mc.ping()
        for call in (mc.get_list(LIST_ID), mc.account()):
            try:
                await call
            except Exception as error:
                caught.append(error)
                logging.getLogger("test").exception("failed")

    text = caplog.text
    assert "GET /3.0/ping -> 429 (attempt 1" in text
    assert "GET /3.0/ping -> 500 (attempt 2" in text
    assert "GET /3.0/ping -> 200 (attempt 3" in text
    assert f"GET /3.0/lists/{LIST_ID} failed: ConnectError" in text
    assert [type(e) for e in caught] == [MailchimpUnavailable, Unauthorized]
    key_part = API_KEY.split("-")[0]
    for surface in [text, *map(str, caught), *map(repr, caught), repr(mc)]:
        assert key_part not in surface
        assert "Authorization" not in surface
        assert "Basic " not in surface
