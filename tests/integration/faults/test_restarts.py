"""Redis, or the database, restarting in the middle of a sync.

A real worker process reaches the server through an `OutageProxy`, which drops every
connection and refuses new ones for a few seconds part-way through the run. The run must end
either completed and exact, or failed in words a person understands with nothing claimed that
Mailchimp does not hold; either way the next run (the Sync button's path) completes exact.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest
import pytest_asyncio

from app.domain.segments.tables import AudienceMember
from app.lib.redis import redis_url
from app.mailchimp.sandbox.seed import faults_from
from app.settings import get_settings
from tests.conftest import BACKEND
from tests.contact_factories import make_contacts
from tests.integration.faults import fleet
from tests.integration.faults.outage_proxy import OutageProxy
from tests.integration.segments.sync_helpers import audience, connected, make_segment, sync

# Separate worker processes are the Postgres + Redis mode (DESIGN.md); the embedded SQLite mode
# runs its worker in the web process, so these multi-process fault runs belong to that pass.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BACKEND != "postgres", reason="worker processes run with Postgres + Redis"),
]

CONTACTS = 6000  # 12 batches, 10 in flight, a second each: the outage lands between rounds
OUTAGE_SECONDS = 3


def _behind(url: str, proxy: OutageProxy) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=f"{netloc}127.0.0.1:{proxy.port}"))


@pytest_asyncio.fixture
async def proxy_for():
    proxies: list[OutageProxy] = []

    async def start(url: str) -> OutageProxy:
        parts = urlsplit(url)
        proxy = OutageProxy(parts.hostname or "127.0.0.1", parts.port or 0)
        await proxy.start()
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        await proxy.stop()


async def _run_through_an_outage(
    sandbox, live_server, *, server_url: str, variable: str, proxy_for
):
    owner, key, account = await connected(sandbox)
    await make_contacts(owner, CONTACTS)
    segment = await make_segment(owner)
    account.set_faults(faults_from({"latency_ms": 1000}))
    proxy = await proxy_for(server_url)
    worker = None
    async with fleet.private_queue("restart") as job_queue:
        env = fleet.worker_env(job_queue, live_server, **{variable: _behind(server_url, proxy)})
        run = await fleet.queue_run(job_queue, owner.organisation.id, segment.id)
        try:
            worker = fleet.start_worker(env)
            await fleet.partly_sent(run.id, CONTACTS)
            await proxy.outage(OUTAGE_SECONDS)
            ended = await fleet.finished(run.id, timeout=180)
        finally:
            await fleet.stop(worker)
    assert proxy.connections_dropped > 0
    return owner, key, account, segment, run, ended


async def _assert_honest_then_retry_is_exact(sandbox, owner, account, segment, run, ended):
    held = audience(account)
    recorded = await fleet.recorded_as_sent(run.id)
    assert recorded <= set(held)  # nothing claimed that Mailchimp does not hold
    if ended.status == "completed":
        assert len(held) == CONTACTS
        assert len(recorded) == CONTACTS
    else:
        assert ended.status == "failed"
        assert ended.error
        assert "Traceback" not in ended.error
        assert ended.created + ended.updated <= len(recorded)
    retried = await sync(owner, segment.id, timeout=120)
    assert retried.status == "completed", retried.error
    held = audience(account)
    assert len(held) == CONTACTS
    assert all(member.status == "subscribed" for member in held.values())
    assert await AudienceMember.count().where(AudienceMember.segment == segment.id) == CONTACTS


async def test_redis_restarting_mid_run_ends_honestly_and_the_retry_is_exact(
    db, sandbox, live_server, proxy_for
):
    owner, _key, account, segment, run, ended = await _run_through_an_outage(
        sandbox,
        live_server,
        server_url=redis_url(get_settings()),
        variable="REDIS_URL",
        proxy_for=proxy_for,
    )
    await _assert_honest_then_retry_is_exact(sandbox, owner, account, segment, run, ended)


async def test_the_database_restarting_mid_run_ends_honestly_and_the_retry_is_exact(
    db, sandbox, live_server, proxy_for
):
    owner, _key, account, segment, run, ended = await _run_through_an_outage(
        sandbox,
        live_server,
        server_url=get_settings().database.url,
        variable="DATABASE_URL",
        proxy_for=proxy_for,
    )
    await _assert_honest_then_retry_is_exact(sandbox, owner, account, segment, run, ended)
