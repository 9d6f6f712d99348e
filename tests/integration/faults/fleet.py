"""Real `listbridge worker` processes on a queue of their own, and what they did to the sandbox.

The test app (its in-process worker included) keeps its own queue; runs queued here are picked
up only by the processes started here, which reach the sandbox over loopback (`live_server`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from saq import Queue

from app.domain.segments import runs
from app.domain.segments.tables import AudienceMember, SyncRun
from app.lib.redis import redis_url
from app.settings import get_settings
from app.worker import create_queue
from tests.fixtures.app import wait_until
from tests.integration.segments.sync_helpers import AUDIENCE

# A silent worker is presumed dead after this long (the app's own is a minute).
HEARTBEAT = 2


def worker_env(job_queue: Queue, live_server: str, **overrides: str) -> dict[str, str]:
    """The environment of a worker process: this test's database, Redis and queue."""
    return {
        **os.environ,
        "REDIS_URL": redis_url(get_settings()),
        "LISTBRIDGE_QUEUE": job_queue.name,
        "LISTBRIDGE_WORKER_SWEEP_SECONDS": "1",
        "LISTBRIDGE_SANDBOX": "0",
        "MAILCHIMP_BASE_URL": f"{live_server}/sandbox/mailchimp/3.0",
        "LISTBRIDGE_LOG_LEVEL": os.environ.get("LISTBRIDGE_WORKER_LOG_LEVEL", "WARNING"),
        **overrides,
    }


def start_worker(env: Mapping[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        # LISTBRIDGE_WORKER_STDERR=<file> keeps the workers' logs when a run needs explaining
        # (LISTBRIDGE_WORKER_LOG_LEVEL=INFO for more of them)
        stderr=open(os.environ.get("LISTBRIDGE_WORKER_STDERR", os.devnull), "ab"),
    )


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


async def stop(*processes: subprocess.Popen | None) -> None:
    """SIGTERM, then wait without blocking the event loop: the test's own proxies and live
    server run on it, and a worker closing its connections through them needs them to answer."""
    running = [p for p in processes if p is not None and p.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            # the worker waits out its grace period first
            await asyncio.wait_for(asyncio.to_thread(process.wait), timeout=30)
        except TimeoutError:
            kill(process)  # a hung worker must not outlive the test


@asynccontextmanager
async def private_queue(name: str) -> AsyncIterator[Queue]:
    job_queue = create_queue(redis_url(get_settings()), f"{name}-{uuid.uuid4().hex[:8]}")
    await job_queue.connect()
    try:
        yield job_queue
    finally:
        await job_queue.disconnect()


async def queue_run(job_queue: Queue, organisation_id: int, segment_id: int) -> SyncRun:
    """A run queued as `runs.request` queues it, but with a heartbeat a test can wait out."""
    run = SyncRun(organisation=organisation_id, segment=segment_id, mode="incremental")
    await run.save()
    await job_queue.enqueue(
        "segment_sync",
        key=runs.job_key(segment_id),
        run_id=run.id,
        timeout=runs.SYNC_TIMEOUT,
        heartbeat=HEARTBEAT,
        retries=runs.SYNC_ATTEMPTS,
        retry_delay=1.0,
        retry_backoff=True,
    )
    return run


async def current(run_id: int) -> SyncRun:
    return await SyncRun.objects().get(SyncRun.id == run_id)


async def partly_sent(run_id: int, total: int) -> SyncRun:
    async def check():
        run = await current(run_id)
        return 0 < run.created < total and run

    return await wait_until(check, timeout=120, interval=0.02)


async def finished(run_id: int, *, timeout: float = 240) -> SyncRun:
    async def check():
        run = await current(run_id)
        return run.status in ("completed", "failed") and run

    return await wait_until(check, timeout=timeout, interval=0.1)


async def recorded_as_sent(run_id: int) -> set[str]:
    """Addresses the app has recorded as accepted by Mailchimp in this run."""
    rows = await AudienceMember.select(AudienceMember.email).where(
        (AudienceMember.last_sent_run == run_id) & (AudienceMember.list_id == AUDIENCE)
    )
    return {row["email"] for row in rows}


def write_histories(sandbox, key: str) -> dict[str, list[bool]]:
    """Every member's writes in order: True when Mailchimp's answer was sent, False when an
    injected timeout withheld it."""
    return {w["email_address"]: w["answered"] for w in sandbox.write_counts(key)}


def writes_after_success(
    histories: Mapping[str, list[bool]],
    *,
    killed_workers_writes: Mapping[str, int] | None = None,
    recorded_before_death: set[str] = frozenset(),
) -> dict[str, int]:
    """Members written again after the app knew an earlier write of theirs had succeeded.

    A write is known once its answer reached a worker that went on living: the surviving
    worker, or the killed one before a later write of the same member (one worker sends a
    member again only after the earlier call ended). Of its last writes the killed worker knew
    only what it had recorded (`recorded_before_death`); an answer it got but never recorded,
    or one a timeout withheld (a hidden success), may rightly be sent again.
    `killed_workers_writes` says how many of each member's writes came before the kill.
    """
    repeats: dict[str, int] = {}
    for email, answers in histories.items():
        split = (killed_workers_writes or {}).get(email, 0)
        for position, answered in enumerate(answers):
            known = answered and (
                position >= split or position + 1 < split or email in recorded_before_death
            )
            if known:
                if later := len(answers) - position - 1:
                    repeats[email] = later
                break
    return repeats
