"""Enqueueing background jobs from services, web handlers and other jobs alike.

The process binds its SAQ queue once (the web app at start-up, a worker in its startup hook);
callers then `await queue.enqueue("job_name", timeout=..., **kwargs)`. Every job carries an
explicit timeout: SAQ's default of 10 seconds is wrong for almost everything we run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from saq import Job, Queue

_queue: Queue | None = None


def bind(queue: Queue) -> None:
    global _queue
    _queue = queue


def current() -> Queue:
    if _queue is None:
        raise RuntimeError("No job queue is bound in this process")
    return _queue


async def enqueue(
    function: str,
    *,
    timeout: int,
    key: str | None = None,
    retries: int = 1,
    retry_delay: float = 0.0,
    scheduled: int = 0,
    heartbeat: int = 0,
    **kwargs: Any,
) -> Job | None:
    """Queue `function(**kwargs)`. With `key`, a job already queued under that key is not
    queued again (SAQ answers None), which is how "never run twice at once" starts."""
    options: dict[str, Any] = {
        "timeout": timeout,
        "retries": retries,
        "retry_delay": retry_delay,
        "retry_backoff": retry_delay > 0,
        "scheduled": scheduled,
        # With a heartbeat, a job whose worker died is noticed (and retried) after `heartbeat`
        # seconds of silence instead of after its whole timeout.
        "heartbeat": heartbeat,
    }
    if key is not None:
        options["key"] = key
    return await current().enqueue(function, **options, **kwargs)


async def enqueue_after_commit(function: str, **options: Any) -> None:
    """`enqueue`, once the caller's transaction has committed: a job that reads what the
    transaction wrote must not start (on another worker, even) before it can see it."""
    from app.db import after_commit

    async def start() -> None:
        await enqueue(function, **options)

    await after_commit(start)
