"""A sync whose worker process dies mid-run is retried by another worker and ends exact.

Two real worker processes (`listbridge worker`) on a queue of their own; the first is killed
(SIGKILL) part-way through, the second notices the silent job (heartbeat) and resumes the
same run. Mailchimp is the test app's sandbox, reached over loopback HTTP.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import pytest

from app.domain.segments.tables import AudienceMember, SyncRun
from app.lib.redis import redis_url
from app.mailchimp.sandbox.seed import faults_from
from app.settings import get_settings
from app.worker import create_queue
from tests.contact_factories import make_contacts
from tests.fixtures.app import wait_until
from tests.integration.segments.sync_helpers import audience, connected, make_segment, writes

pytestmark = pytest.mark.slow

# 12 batches of 500 with 10 in flight: two rounds, so the worker can die between them.
CONTACTS = 6000


def _worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_a_run_whose_worker_dies_is_resumed_by_another_and_nobody_is_sent_twice(
    db, sandbox, live_server
):
    owner, key, account = await connected(sandbox)
    await make_contacts(owner, CONTACTS)
    segment = await make_segment(owner)
    account.set_faults(faults_from({"latency_ms": 1500}))  # slow enough to die part-way
    run = SyncRun(organisation=owner.organisation.id, segment=segment.id, mode="incremental")
    await run.save()
    url = redis_url(get_settings())
    queue = create_queue(url, f"worker-death-{uuid.uuid4().hex[:8]}")
    await queue.connect()
    await queue.enqueue("segment_sync", run_id=run.id, timeout=600, heartbeat=2, retries=4)
    env = {
        **os.environ,
        "REDIS_URL": url,
        "LISTBRIDGE_QUEUE": queue.name,
        "LISTBRIDGE_WORKER_SWEEP_SECONDS": "1",
        "LISTBRIDGE_SANDBOX": "0",
        "MAILCHIMP_BASE_URL": f"{live_server}/sandbox/mailchimp/3.0",
        "LISTBRIDGE_LOG_LEVEL": "WARNING",
    }
    first = _worker(env)
    second = None
    try:

        async def partly_sent():
            current = await SyncRun.objects().get(SyncRun.id == run.id)
            return 0 < current.created < CONTACTS and current

        await wait_until(partly_sent, timeout=60, interval=0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        sent_before_death = {
            row["email"]
            for row in await AudienceMember.select(AudienceMember.email).where(
                AudienceMember.last_sent_run == run.id
            )
        }
        assert 0 < len(sent_before_death) < CONTACTS

        second = _worker(env)

        async def finished():
            current = await SyncRun.objects().get(SyncRun.id == run.id)
            return current.status in ("completed", "failed") and current

        done = await wait_until(finished, timeout=120, interval=0.1)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=15)
        await queue.disconnect()

    assert done.status == "completed", done.error
    held = audience(account)
    assert len(held) == CONTACTS
    assert all(member.status == "subscribed" for member in held.values())
    counts = writes(sandbox, key)
    # Recorded as sent before the worker died: never sent again.
    assert all(counts[email] == 1 for email in sent_before_death)
    # Only batches still in flight at the moment of death may have gone out twice.
    assert sum(1 for n in counts.values() if n > 1) <= 10 * 500
    assert await AudienceMember.count().where(AudienceMember.last_sent_run == run.id) == CONTACTS
