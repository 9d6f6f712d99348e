"""A run whose job ended without ending it (its worker lost the database at that moment, or
Redis refused the job) is failed in words by the minute sweep, so the segment can sync again."""

from __future__ import annotations

from datetime import timedelta

from app.db import utcnow
from app.domain.segments import jobs, runs, sync
from app.domain.segments.tables import RunStatus, Segment, SegmentStatus, SyncRun
from app.lib import queue
from tests.integration.faults import fleet
from tests.integration.segments.sync_helpers import connected, make_segment
from tests.integration.segments.sync_helpers import sync as sync_now


async def _quiet_run(owner, segment_id: int, status: RunStatus, *, minutes: int = 10) -> SyncRun:
    run = SyncRun(organisation=owner.organisation.id, segment=segment_id, status=status)
    await run.save()
    # Written directly: the table's auto_update would stamp "now" on a normal save.
    await SyncRun.raw(
        "UPDATE sync_runs SET updated_at = {} WHERE id = {}",
        utcnow() - timedelta(minutes=minutes),
        run.id,
    )
    return run


async def test_a_quiet_run_without_a_live_job_is_failed_and_the_segment_can_sync_again(db, sandbox):
    owner, _, _ = await connected(sandbox)
    segment = await make_segment(owner)
    stuck = await _quiet_run(owner, segment.id, RunStatus.running)

    assert await sync.fail_abandoned(queue.current()) == [stuck.id]

    run = await SyncRun.objects().get(SyncRun.id == stuck.id)
    assert run.status == RunStatus.failed
    assert run.error == sync.ABANDONED
    assert run.finished_at is not None
    assert (await Segment.objects().get(Segment.id == segment.id)).status == SegmentStatus.error
    assert (await sync_now(owner, segment.id)).status == "completed"


async def test_runs_with_a_live_job_or_recent_activity_are_left_alone(db, sandbox):
    owner, _, _ = await connected(sandbox)
    waiting = await make_segment(owner)
    queued = await _quiet_run(owner, waiting.id, RunStatus.queued)
    fresh = await _quiet_run(owner, waiting.id, RunStatus.running, minutes=0)
    # A queue no worker serves: the queued run's job waits there (as a retry waits out its delay).
    async with fleet.private_queue("abandoned") as job_queue:
        job = await job_queue.enqueue(
            "segment_sync", key=runs.job_key(waiting.id), run_id=queued.id
        )
        assert job is not None

        assert await sync.fail_abandoned(job_queue) == []

    statuses = {r["id"]: r["status"] for r in await SyncRun.select(SyncRun.id, SyncRun.status)}
    assert statuses == {queued.id: RunStatus.queued, fresh.id: RunStatus.running}


def test_the_sweep_runs_every_minute():
    schedules = {cron.function.__name__: cron.cron for cron in jobs.CRON_JOBS}
    assert schedules["abandoned_runs"] == "* * * * *"
