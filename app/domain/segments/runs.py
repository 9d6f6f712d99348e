"""Sync runs: asking for one, following it, and reading what happened afterwards.

Every trigger (the Sync button, the API, the daily cron, product events, "retry rejected")
asks here; the run row exists before the job does, so its id can be answered at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

from app.db import transaction
from app.domain.accounts.principal import Principal
from app.domain.segments import services
from app.domain.segments.tables import RunStatus, SyncRun, SyncRunItem
from app.lib import audit, queue
from app.lib.errors import Conflict, InvalidInput, NotFound
from app.lib.pagination import Page, keyset_page
from app.lib.spreadsheet import inert_row

MODES = ("incremental", "full", "dry_run")
TRIGGERS = ("manual", "scheduled", "api", "event", "retry")
ACTIVE = (RunStatus.queued, RunStatus.running)
SYNC_TIMEOUT = 2 * 3600  # seconds; a million contacts fit well inside
SYNC_HEARTBEAT = 60  # a silent worker this long is presumed dead and the run retried
SYNC_ATTEMPTS = 4
COUNTS = ("selected", "created", "updated", "unchanged", "removed", "invalid", "rejected")


def job_key(segment_id: int) -> str:
    return f"segment-sync:{segment_id}"


async def active_run(organisation_id: int, segment_id: int) -> SyncRun | None:
    return (
        await SyncRun.objects()
        .where(
            (SyncRun.organisation == organisation_id)
            & (SyncRun.segment == segment_id)
            & SyncRun.status.is_in(list(ACTIVE))
        )
        .first()
    )


async def request(
    principal: Principal,
    segment_id: int,
    *,
    mode: str = "incremental",
    trigger: str = "manual",
    only_contacts: list[int] | None = None,
) -> SyncRun:
    """Queue a run of the segment; refuses while another run of it is queued or running."""
    if mode not in MODES:
        raise InvalidInput({"mode": "Choose incremental, full or dry_run."})
    segment = await services.get(principal, segment_id)
    if running := await active_run(principal.organisation_id, segment.id):
        raise Conflict(
            f"A sync of “{segment.name}” is already {running.status} (run {running.id})."
        )
    async with transaction():
        run = SyncRun(
            organisation=principal.organisation_id,
            segment=segment.id,
            trigger=trigger if trigger in TRIGGERS else "manual",
            mode=mode,
            status=RunStatus.queued,
            only_contacts=only_contacts or [],
            actor_label=principal.actor.label,
        )
        await run.save()
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="segment.sync_requested",
            entity_type="segment",
            entity_id=segment.id,
            changes={"run_id": run.id, "mode": mode, "trigger": run.trigger},
        )
    job = await queue.enqueue(
        "segment_sync",
        key=job_key(segment.id),
        timeout=SYNC_TIMEOUT,
        heartbeat=SYNC_HEARTBEAT,
        retries=SYNC_ATTEMPTS,
        retry_delay=5.0,  # then 10, 20 s (backoff): a database or Redis restart is waited out
        run_id=run.id,
    )
    if job is None:  # a job of this segment is still in the queue: never two at once
        run.status, run.error = RunStatus.failed, "Another sync of this segment was still queued."
        await run.save([SyncRun.status, SyncRun.error])
        raise Conflict(f"A sync of “{segment.name}” is already queued.")
    return run


async def retry_rejected(principal: Principal, run_id: int) -> SyncRun:
    run = await get(principal, run_id)
    contact_ids = [
        row["contact_id"]
        for row in await SyncRunItem.select(SyncRunItem.contact_id).where(
            (SyncRunItem.run == run.id) & (SyncRunItem.outcome == "rejected")
        )
        if row["contact_id"] is not None
    ]
    if not contact_ids:
        raise InvalidInput({"run": "This run has no rejected rows to retry."})
    return await request(
        principal, run.segment, mode="full", trigger="retry", only_contacts=contact_ids
    )


async def get(principal: Principal, run_id: int) -> SyncRun:
    run = (
        await SyncRun.objects()
        .where((SyncRun.id == run_id) & (SyncRun.organisation == principal.organisation_id))
        .output(load_json=True)
        .first()
    )
    if run is None:
        raise NotFound("There is no such sync run.")
    return run


async def history(
    principal: Principal, segment_id: int, *, cursor: str | None = None, limit: int | None = None
) -> Page[dict]:
    await services.get(principal, segment_id)
    query = SyncRun.select().where(
        (SyncRun.organisation == principal.organisation_id) & (SyncRun.segment == segment_id)
    )
    return await keyset_page(
        query,
        sort=SyncRun.created_at,
        id_column=SyncRun.id,
        descending=True,
        cursor=cursor,
        limit=limit,
    )


async def items(
    principal: Principal,
    run_id: int,
    *,
    outcome: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[dict]:
    run = await get(principal, run_id)
    query = SyncRunItem.select().where(SyncRunItem.run == run.id)
    if outcome:
        query = query.where(SyncRunItem.outcome == outcome)
    return await keyset_page(
        query,
        sort=SyncRunItem.id,
        id_column=SyncRunItem.id,
        descending=False,
        cursor=cursor,
        limit=limit,
    )


async def outcome_counts(principal: Principal, run_id: int) -> dict[str, int]:
    run = await get(principal, run_id)
    rows = await SyncRunItem.raw(
        "SELECT outcome, COUNT(*) AS n FROM sync_run_items WHERE run = {} GROUP BY outcome", run.id
    )
    return {row["outcome"]: row["n"] for row in rows}


async def rejected_csv(principal: Principal, run_id: int) -> AsyncIterator[str]:
    """The run's rejected rows as CSV, streamed a page at a time."""
    run = await get(principal, run_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "contact_id", "outcome", "error_code", "message"])
    last_id = 0
    while True:
        rows = (
            await SyncRunItem.select()
            .where(
                (SyncRunItem.run == run.id)
                & SyncRunItem.outcome.is_in(["rejected", "invalid"])
                & (SyncRunItem.id > last_id)
            )
            .order_by(SyncRunItem.id)
            .limit(1000)
        )
        for row in rows:
            writer.writerow(
                inert_row(
                    [
                        row["email"],
                        row["contact_id"] or "",
                        row["outcome"],
                        row["error_code"],
                        row["message"],
                    ]
                )
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < 1000:
            return
        last_id = rows[-1]["id"]


def summary(run: SyncRun | dict[str, Any]) -> dict[str, Any]:
    """The figures a progress event and the status partial show."""
    data = run if isinstance(run, dict) else run.to_dict()
    return {
        "run_id": data["id"],
        "segment_id": data["segment"],
        "status": data["status"],
        "mode": data["mode"],
        "trigger": data["trigger"],
        "error": data["error"],
        "expected": data["expected"],
        "phase": data["phase"],
        "started_at": data["started_at"],
        "finished_at": data["finished_at"],
        **{name: data[name] for name in COUNTS},
    }


async def latest(principal: Principal, segment_id: int) -> SyncRun | None:
    return (
        await SyncRun.objects()
        .where(
            (SyncRun.organisation == principal.organisation_id) & (SyncRun.segment == segment_id)
        )
        .order_by(SyncRun.id, ascending=False)
        .first()
    )
