"""The daily 05:00 UTC sync: registered with the worker, one run per live, connected segment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.connections import services as connections
from app.domain.segments import jobs, runs
from app.domain.segments import services as segments
from app.domain.segments.tables import SyncRun
from app.lib import queue
from app.mailchimp.sandbox.seed import faults_from
from tests.factories import make_organisation
from tests.fixtures.app import wait_until
from tests.integration.segments.sync_helpers import connected, make_segment
from tests.mailchimp_factories import connect

pytestmark = pytest.mark.usefixtures("db")


def _next_five_utc(now: datetime) -> int:
    """When 05:00 UTC next comes round after `now`, as a unix timestamp."""
    five = now.replace(hour=5, minute=0, second=0, microsecond=0)
    if five <= now:
        five += timedelta(days=1)
    return int(five.timestamp())


async def test_the_daily_sync_is_registered_for_05_00_utc_once_across_workers():
    [cron] = [c for c in jobs.CRON_JOBS if c.function is jobs.scheduled_sync]
    assert cron.cron == "0 5 * * *"
    assert cron.unique is True
    assert cron.timeout >= 60

    # The running worker has put the next occurrence in the queue, under one key for all workers.
    async def scheduled():
        return await queue.current().job("cron:scheduled_sync")

    job = await wait_until(scheduled, timeout=5)
    assert job.function == "scheduled_sync"
    assert job.scheduled == _next_five_utc(datetime.now(UTC))


async def test_the_daily_sync_queues_a_run_of_every_live_connected_segment(sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    staff_list, vendor_list = list(account.audiences)
    retired = await make_segment(owner, name="Retired", list_id=staff_list)
    await segments.delete(owner.principal, retired.id)
    staff = await make_segment(owner, name="Staff", list_id=staff_list)
    vendors = await make_segment(
        owner,
        name="Vendors",
        list_id=vendor_list,
        segment_type="vendor",
        field_mapping={"FNAME": "first_name"},
    )

    disconnected, _, _ = await connected(sandbox)
    await make_segment(disconnected, name="Left behind")
    await connections.disconnect(disconnected.principal)

    busy, _, busy_account = await connected(sandbox)
    busy_segment = await make_segment(busy, name="Busy")
    busy_account.set_faults(faults_from({"latency_ms": 400}))  # its manual run is still going
    manual = await runs.request(busy.principal, busy_segment.id, trigger="manual")

    result = await jobs.scheduled_sync({})

    assert result == {"queued": 2, "skipped": 1}
    scheduled = await SyncRun.select().where(SyncRun.trigger == "scheduled")
    assert sorted(r["segment"] for r in scheduled) == sorted([staff.id, vendors.id])
    assert {(r["mode"], r["actor_label"]) for r in scheduled} == {("incremental", "daily sync")}
    assert [r["id"] for r in await SyncRun.select().where(SyncRun.segment == busy_segment.id)] == [
        manual.id
    ]

    async def all_finished():
        rows = await SyncRun.select(SyncRun.status)
        return all(r["status"] in ("completed", "failed") for r in rows) and rows

    finished = await wait_until(all_finished, timeout=30)
    assert {r["status"] for r in finished} == {"completed"}
