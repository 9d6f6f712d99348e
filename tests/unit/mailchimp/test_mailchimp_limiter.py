"""The per-account cap of 10 requests, shared through Redis by every process (and Valkey too)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as redis_asyncio
import respx

from app.mailchimp.client import MailchimpClient
from app.mailchimp.credentials import ApiKeyCredentials
from app.mailchimp.limiter import LocalConcurrencyLimiter, RedisConcurrencyLimiter
from tests.unit.mailchimp.mailchimp_client_fakes import API_KEY

ACCOUNT = "account-8d3a3db4"


@pytest.fixture
def limiter(redis: redis_asyncio.Redis, key_prefix: str) -> RedisConcurrencyLimiter:
    return RedisConcurrencyLimiter(redis, key_prefix=key_prefix, poll_interval=0.01)


@pytest.fixture
async def second_process(redis_url: str, key_prefix: str) -> AsyncIterator[RedisConcurrencyLimiter]:
    """Another limiter on its own connection, as a second worker process would have."""
    client = redis_asyncio.Redis.from_url(redis_url)
    yield RedisConcurrencyLimiter(client, key_prefix=key_prefix, poll_interval=0.01)
    await client.aclose()


async def test_the_eleventh_holder_waits_until_one_releases(limiter: RedisConcurrencyLimiter):
    leases = [await limiter.acquire(ACCOUNT) for _ in range(10)]
    eleventh = asyncio.create_task(limiter.acquire(ACCOUNT))
    await asyncio.sleep(0.15)
    assert not eleventh.done()

    await limiter.release(ACCOUNT, leases.pop())
    lease = await asyncio.wait_for(eleventh, timeout=2)
    assert lease not in leases
    assert await limiter.holders(ACCOUNT) == 10


async def test_a_dead_holders_lease_expires_and_its_slot_is_reclaimed(
    limiter: RedisConcurrencyLimiter,
):
    # Nine live holders and one that "crashes": it takes a short lease and never releases.
    for _ in range(9):
        await limiter.acquire(ACCOUNT)
    await limiter.acquire(ACCOUNT, lease_seconds=0.3)
    assert await limiter.try_acquire(ACCOUNT) is None

    started = time.perf_counter()
    await asyncio.wait_for(limiter.acquire(ACCOUNT), timeout=3)
    waited = time.perf_counter() - started
    assert 0.15 <= waited < 2
    assert await limiter.holders(ACCOUNT) == 10


async def test_two_processes_share_one_cap(
    limiter: RedisConcurrencyLimiter, second_process: RedisConcurrencyLimiter
):
    mine = [await limiter.acquire(ACCOUNT) for _ in range(6)]
    for _ in range(4):
        await second_process.acquire(ACCOUNT)
    assert await limiter.try_acquire(ACCOUNT) is None
    assert await second_process.try_acquire(ACCOUNT) is None

    await limiter.release(ACCOUNT, mine[0])
    assert await second_process.try_acquire(ACCOUNT) is not None
    assert await limiter.try_acquire(ACCOUNT) is None


async def test_many_holders_in_two_processes_never_exceed_the_cap(
    limiter: RedisConcurrencyLimiter, second_process: RedisConcurrencyLimiter
):
    inside = peak = 0

    async def hold(process: RedisConcurrencyLimiter) -> None:
        nonlocal inside, peak
        async with process.slot(ACCOUNT):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.02)
            inside -= 1

    await asyncio.gather(*(hold(p) for p in [limiter, second_process] * 20))
    assert peak == 10
    assert await limiter.holders(ACCOUNT) == 0


async def test_accounts_have_separate_caps(limiter: RedisConcurrencyLimiter):
    for _ in range(10):
        await limiter.acquire(ACCOUNT)
    assert await limiter.try_acquire("another-account") is not None


async def test_a_cancelled_holder_hands_its_slot_back(limiter: RedisConcurrencyLimiter):
    entered = asyncio.Event()

    async def hold_forever() -> None:
        async with limiter.slot(ACCOUNT):
            entered.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(hold_forever())
    await entered.wait()
    assert await limiter.holders(ACCOUNT) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)
    assert await limiter.holders(ACCOUNT) == 0


async def test_the_key_expires_with_its_last_lease(
    limiter: RedisConcurrencyLimiter, redis: redis_asyncio.Redis, key_prefix: str
):
    await limiter.acquire(ACCOUNT)
    ttl_ms = await redis.pttl(f"{key_prefix}:{ACCOUNT}")
    assert 0 < ttl_ms <= limiter.lease_seconds * 1000


async def test_clients_in_two_processes_keep_to_the_cap_together(
    redis: redis_asyncio.Redis, redis_url: str, key_prefix: str
):
    inside = peak = 0

    async def slow_ping(request: httpx.Request) -> httpx.Response:
        nonlocal inside, peak
        inside += 1
        peak = max(peak, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        return httpx.Response(200, json={"health_status": "Everything's Chimpy!"})

    other_connection = redis_asyncio.Redis.from_url(redis_url)
    limiters = [
        RedisConcurrencyLimiter(connection, limit=3, key_prefix=key_prefix, poll_interval=0.01)
        for connection in (redis, other_connection)
    ]
    with respx.mock(base_url="https://us6.api.mailchimp.com/3.0") as router:
        router.get("/ping").mock(side_effect=slow_ping)
        clients = [
            MailchimpClient(ApiKeyCredentials(API_KEY), limiter=each, account_key=ACCOUNT)
            for each in limiters
        ]
        await asyncio.gather(*(client.ping() for client in clients for _ in range(12)))
        for client in clients:
            await client.aclose()
    await other_connection.aclose()
    assert peak == 3


async def test_the_local_limiter_caps_one_process_at_ten():
    limiter = LocalConcurrencyLimiter()
    inside = peak = 0

    async def hold() -> None:
        nonlocal inside, peak
        async with limiter.slot(ACCOUNT):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(hold() for _ in range(25)))
    assert peak == 10


def test_limiter_repr_shows_no_connection_details(redis: redis_asyncio.Redis):
    text = repr(RedisConcurrencyLimiter(redis))
    assert text == "RedisConcurrencyLimiter(limit=10, lease_seconds=300.0)"
