"""The SAQ worker: which functions it runs, the cron schedule, start-up and shutdown.

Embedded mode runs one worker inside the web process (started and stopped by the app's
lifespan); with REDIS_URL set, `just worker` (`listbridge worker`) runs worker processes,
as many as you like, on any machine. Each domain lists its jobs in its own jobs.py (`FUNCTIONS`,
`CRON_JOBS`); they are gathered here.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from saq import Queue, Worker

from app.db import close_database, open_database
from app.lib import queue
from app.lib.discovery import collect
from app.lib.redis import close_shared, shared_client

if TYPE_CHECKING:
    from saq.types import Context

    from app.settings import Settings

logger = logging.getLogger(__name__)


def create_queue(redis_url: str, name: str | None = None) -> Queue:
    from app.settings import get_settings

    return Queue.from_url(redis_url, name=name or get_settings().worker.queue_name)


def create_worker(settings: Settings, job_queue: Queue, *, in_process: bool) -> Worker:
    async def startup(ctx: Context) -> None:
        await open_database(settings)
        ctx["redis"] = shared_client()
        ctx["settings"] = settings
        queue.bind(job_queue)
        logger.info("worker ready", extra={"queue": job_queue.name, "in_process": in_process})

    async def shutdown(ctx: Context) -> None:
        if not in_process:  # in-process, the web app owns the database pool and Redis client
            await close_shared()
            await close_database()

    worker = Worker(
        job_queue,
        functions=collect("jobs.py", "FUNCTIONS"),
        cron_jobs=collect("jobs.py", "CRON_JOBS"),
        concurrency=settings.worker.concurrency,
        startup=startup,
        shutdown=shutdown,
        # The sweep notices jobs whose worker died and retries them (if retries remain).
        timers={"sweep": settings.worker.sweep_seconds},
        # Idle upkeep loops only notice shutdown when their sleep ends, so stop() always waits
        # the whole grace period: short in-process (a web restart), longer for a worker fleet.
        shutdown_grace_period_s=2 if in_process else 10,
    )
    if in_process:
        worker.SIGNALS = []  # the web server owns signal handling
    return worker


async def run_worker_process(settings: Settings, redis_url: str) -> None:
    """`listbridge worker`: run until SIGTERM/SIGINT, then finish running jobs gracefully."""
    job_queue = create_queue(redis_url)
    await job_queue.connect()
    worker = create_worker(settings, job_queue, in_process=False)
    worker.SIGNALS = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    task = asyncio.create_task(worker.start())
    await stop.wait()
    await worker.stop()
    await task
    await job_queue.disconnect()
