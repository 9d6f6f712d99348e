"""The sync engine: make the audience hold what the segment says, sending only what changed.

One run, every trigger:
1. refresh what we know of the audience from Mailchimp (`since_last_changed`);
2. stream the segment's contacts a page at a time; map, validate and coerce each against the
   audience's merge fields (an invalid row costs no API call and is recorded with why);
3. send only new or changed members (or all, in `full` mode) by batch subscribe, ≤ 500 per
   call and up to 10 calls in flight per account; upserts carry `status_if_new` and never a
   `status`, so nobody who unsubscribed or was cleaned is ever subscribed again;
4. add tags with the upsert, take them away through the tags endpoint, only where they changed;
5. apply the removal policy to members the segment placed that it no longer selects.

Resumable: every accepted member is stamped with the run's id as soon as Mailchimp answers, so
a run retried after its worker died skips what was already sent and loses nobody.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from saq import Queue
from saq.job import Status

from app.db import transaction, utcnow
from app.domain.connections import services as connections
from app.domain.contacts import selection
from app.domain.preferences import services as preferences
from app.domain.segments import members, removal, runs, services
from app.domain.segments.merge_values import MergeFieldSpec, merge_values, payload_hash
from app.domain.segments.tables import RunStatus, Segment, SegmentStatus, SyncRun, SyncRunItem
from app.lib import audit, progress
from app.lib.audit import Actor
from app.mailchimp.client import MailchimpClient, subscriber_hash
from app.mailchimp.errors import (
    OUTCOME_MESSAGES,
    MailchimpError,
    MailchimpUnavailable,
    RateLimited,
    ServerError,
    classify_member_error,
)

logger = logging.getLogger(__name__)
# A queued or running run whose job has ended or vanished is failed after this long unchanged.
ABANDONED_AFTER = 3 * runs.SYNC_HEARTBEAT
ABANDONED = (
    "The sync stopped before it could finish: its worker lost contact with the database or "
    "Redis. Sync again: members already in Mailchimp are updated, never added twice."
)
LIVE_JOB = (Status.NEW, Status.QUEUED, Status.ACTIVE)
# Counts saved as they stand in memory; created/updated/rejected are added instead, in the
# transaction that records the members they count.
SAVED_AS_IS = ("selected", "unchanged", "invalid", "removed")

BATCH = 500  # Mailchimp's limit per batch-subscribe call
IN_FLIGHT = 10  # calls at once per account (the limiter enforces it across processes too)
TRANSIENT = (MailchimpUnavailable, RateLimited, ServerError)
OPTED_OUT = "Opted out of email: not added to the audience."
Heartbeat = Callable[[], Awaitable[Any]]


@dataclass(slots=True)
class Pending:
    contact: dict[str, Any]
    subscriber_hash: str
    merge_fields: dict[str, Any]
    payload_hash: str
    add_tags: list[str]
    remove_tags: list[str]
    managed_tags: list[str]
    known: bool


@dataclass(slots=True)
class Pass:
    """One attempt at a run: its segment, client, audience rules and running figures."""

    run: SyncRun
    segment: Segment
    client: MailchimpClient
    specs: list[MergeFieldSpec]
    heartbeat: Heartbeat
    dry_run: bool
    full: bool
    queue: list[Pending] = field(default_factory=list)
    written_up_to: datetime | None = None  # Mailchimp's last_changed of our latest write
    rejected_before: set[int] = field(default_factory=set)
    items: list[SyncRunItem] = field(default_factory=list)


def channel(segment_id: int) -> str:
    return f"segment:{segment_id}"


def organisation_channel(organisation_id: int) -> str:
    return f"segments:{organisation_id}"


async def _publish(run: SyncRun) -> None:
    event = runs.summary(run)
    await progress.publish(channel(run.segment), event)
    await progress.publish(organisation_channel(run.organisation), event)


async def _phase(p: Pass, phase: str) -> None:
    p.run.phase = phase
    await p.run.save([SyncRun.phase])
    await _publish(p.run)


async def _save_counts(p: Pass) -> None:
    # Taken before awaiting: senders may add items while this insert runs.
    items, p.items = p.items, []
    if items:
        await SyncRunItem.insert(*items)
    await p.run.save([getattr(SyncRun, name) for name in (*SAVED_AS_IS, "api_calls")])
    await p.heartbeat()
    await _publish(p.run)


def _item(
    p: Pass, contact_id: int | None, email: str, outcome: str, code: str, message: str
) -> None:
    p.items.append(_item_row(p, contact_id, email, outcome, code, message))


def _item_row(
    p: Pass, contact_id: int | None, email: str, outcome: str, code: str, message: str
) -> SyncRunItem:
    return SyncRunItem(
        run=p.run.id,
        contact_id=contact_id,
        email=email,
        outcome=outcome,
        error_code=code,
        message=message[:2000],
    )


async def execute(run_id: int, *, heartbeat: Heartbeat, final_attempt: bool) -> dict[str, Any]:
    """Carry out (or resume) one run. Transient Mailchimp trouble is re-raised so the job is
    retried, unless this is the last attempt; anything else ends the run as failed, in words."""
    run = await SyncRun.objects().where(SyncRun.id == run_id).output(load_json=True).first()
    if run is None or run.status in (RunStatus.completed, RunStatus.failed):
        return {"skipped": True}
    segment = (
        await Segment.objects()
        .where((Segment.id == run.segment) & Segment.soft_deleted_at.is_null())
        .output(load_json=True)
        .first()
    )
    if segment is None:
        return await _fail(run, None, "The segment was deleted before the sync could run.")
    await _start(run, segment)
    try:
        async with await connections.client_for(run.organisation) as client:
            fields = await client.merge_fields(segment.list_id)
            specs = [
                MergeFieldSpec(
                    f.tag,
                    f.name,
                    f.type,
                    f.required,
                    f.options.date_format,
                    tuple(f.options.choices or ()),
                )
                for f in fields
                if f.tag != "EMAIL"
            ]
            p = Pass(
                run, segment, client, specs, heartbeat, run.mode == "dry_run", run.mode == "full"
            )
            await _phase(p, "reading")
            await members.refresh(
                segment, client, heartbeat=heartbeat, everything=run.trigger == "scheduled"
            )
            await _phase(p, "sending")
            await _send_segment(p)
            await _phase(p, "removing")
            await removal.apply(p, _item, _save_counts)
            if not p.dry_run:
                await members.advance_mark(segment, p.written_up_to)
    except TRANSIENT as exc:
        if not final_attempt:
            logger.warning(
                "sync interrupted, will retry", extra={"run_id": run.id, "error": exc.title}
            )
            raise
        return await _fail(
            run, segment, f"Mailchimp kept failing, so the sync stopped: {exc.user_message}"
        )
    except MailchimpError as exc:
        return await _fail(run, segment, exc.user_message)
    except Exception as exc:
        if hasattr(exc, "detail"):
            return await _fail(run, segment, exc.detail)
        logger.exception("sync failed", extra={"run_id": run.id})
        if not final_attempt:
            raise
        return await _fail(
            run, segment, "The sync stopped on an unexpected error; it has been logged."
        )
    return await _finish(run, segment)


async def _start(run: SyncRun, segment: Segment) -> None:
    """Begin an attempt. A retried run recounts what it re-reads (selected, unchanged, invalid)
    and keeps what it already did (created, updated, rejected, removed)."""
    async with transaction():
        # Re-read rows are recounted (and re-recorded) by this attempt.
        await SyncRunItem.delete().where(
            (SyncRunItem.run == run.id) & SyncRunItem.outcome.is_in(["invalid", "skipped"])
        )
        run.selected = run.unchanged = run.invalid = 0
        only = tuple(run.only_contacts) if run.only_contacts else None
        run.expected = await selection.count(
            run.organisation, services.criteria_of(segment.to_dict(), only_ids=only)
        )
        run.status = RunStatus.running
        run.started_at = run.started_at or utcnow()
        await run.save()
        if run.mode != "dry_run":
            segment.status = SegmentStatus.syncing
            await segment.save([Segment.status])
    await _publish(run)


async def _finish(run: SyncRun, segment: Segment) -> dict[str, Any]:
    async with transaction():
        run.status = RunStatus.completed
        run.phase = ""
        run.finished_at = utcnow()
        await run.save()
        if run.mode != "dry_run":
            segment.status = SegmentStatus.synced
            segment.last_synced_at = run.finished_at
            segment.last_error = ""
            await segment.save([Segment.status, Segment.last_synced_at, Segment.last_error])
        await audit.record(
            Actor.system("sync"),
            organisation_id=run.organisation,
            action="segment.synced" if run.mode != "dry_run" else "segment.dry_run",
            entity_type="segment",
            entity_id=segment.id,
            changes={"run_id": run.id, **{name: getattr(run, name) for name in runs.COUNTS}},
        )
    await _publish(run)
    return runs.summary(run)


async def _fail(run: SyncRun, segment: Segment | None, reason: str) -> dict[str, Any]:
    async with transaction():
        run.status = RunStatus.failed
        run.phase = ""
        run.error = reason
        run.finished_at = utcnow()
        await run.save()
        if segment is not None and run.mode != "dry_run":
            segment.status = SegmentStatus.error
            segment.last_error = reason
            await segment.save([Segment.status, Segment.last_error])
    await _publish(run)
    return runs.summary(run)


async def fail_abandoned(job_queue: Queue, *, quiet_for: float = ABANDONED_AFTER) -> list[int]:
    """Runs still queued or running whose job has ended or is gone — its worker lost the
    database at the moment it would have recorded the end, or the job was never queued because
    Redis was down — end as failed, in words, so the segment can be synced again.
    Only runs quiet for `quiet_for` seconds are looked at: a new run's job is queued just after
    its row is written."""
    cutoff = utcnow() - timedelta(seconds=quiet_for)
    quiet = await SyncRun.objects().where(
        SyncRun.status.is_in(list(runs.ACTIVE)) & (SyncRun.updated_at < cutoff)
    )
    ended = []
    for run in quiet:
        job = await job_queue.job(runs.job_key(run.segment))
        if job is not None and job.kwargs.get("run_id") == run.id and job.status in LIVE_JOB:
            continue
        segment = await Segment.objects().where(Segment.id == run.segment).first()
        await _fail(run, segment, ABANDONED)
        logger.warning("sync run abandoned by its job", extra={"run_id": run.id})
        ended.append(run.id)
    return ended


async def _send_segment(p: Pass) -> None:
    rejected = await SyncRunItem.select(SyncRunItem.contact_id).where(
        (SyncRunItem.run == p.run.id) & (SyncRunItem.outcome == "rejected")
    )
    p.rejected_before = {row["contact_id"] for row in rejected}
    only = tuple(p.run.only_contacts) if p.run.only_contacts else None
    criteria = services.criteria_of(p.segment.to_dict(), only_ids=only)
    desired_tags = sorted(p.segment.tags or [])
    # Reading and checking contacts overlaps with batches in flight: up to IN_FLIGHT senders
    # take ready chunks of 500 from a short queue while the next pages are prepared.
    chunks: asyncio.Queue[list[Pending] | None] = asyncio.Queue(maxsize=IN_FLIGHT)

    async def produce() -> None:
        async for page in selection.pages(p.segment.organisation, criteria):
            hashes = [subscriber_hash(contact["email"]) for contact in page]
            known = await members.known(p.segment.organisation, p.segment.list_id, hashes)
            opted_out = await preferences.opted_out_ids(p.segment.organisation, page)
            for contact, member_hash in zip(page, hashes, strict=True):
                member = known.get(member_hash)
                _consider(p, contact, member_hash, member, desired_tags, contact["id"] in opted_out)
            await members.mark_seen(p.segment, p.run.id, hashes)
            while len(p.queue) >= BATCH:
                await chunks.put(p.queue[:BATCH])
                p.queue = p.queue[BATCH:]
            await _save_counts(p)
        if p.queue:
            await chunks.put(p.queue)
            p.queue = []
        for _ in range(IN_FLIGHT):
            await chunks.put(None)

    async def send() -> None:
        while (chunk := await chunks.get()) is not None:
            await _deliver(p, chunk)

    await _together(produce(), *(send() for _ in range(IN_FLIGHT)))
    await _save_counts(p)


async def _together(*work: Awaitable[Any]) -> None:
    """Run side by side; the first failure cancels the rest and is raised as itself."""
    tasks = [asyncio.ensure_future(item) for item in work]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                raise task.exception()
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _consider(
    p: Pass,
    contact: dict[str, Any],
    member_hash: str,
    member: dict | None,
    desired_tags: list[str],
    opted_out: bool,
) -> None:
    p.run.selected += 1
    if opted_out and (member is None or member["status"] == "archived"):
        # Adding (or un-archiving) them would subscribe someone who said no. A member the
        # audience holds is safe: upserts carry only status_if_new.
        p.run.unchanged += 1
        _item(p, contact["id"], contact["email"], "skipped", "opted_out", OPTED_OUT)
        return
    values, problems = merge_values(contact, p.segment.field_mapping, p.specs)
    if problems:
        p.run.invalid += 1
        text = "; ".join(f"{problem.tag}: {problem.message}" for problem in problems)
        _item(p, contact["id"], contact["email"], "invalid", "merge_fields", text)
        return
    if member is not None and member["last_sent_run"] == p.run.id:
        return  # sent by an earlier attempt of this run
    if contact["id"] in p.rejected_before:
        return  # refused by Mailchimp in an earlier attempt of this run: already recorded
    digest = payload_hash(contact["email"], values, p.segment.status_if_new)
    managed = list(member["managed_tags"]) if member else []
    add = [t for t in desired_tags if t not in managed]
    remove = [t for t in managed if t not in desired_tags]
    unchanged = (
        member is not None and member["payload_hash"] == digest and member["status"] != "archived"
    )
    if unchanged and not p.full and not add and not remove:
        p.run.unchanged += 1
        return
    p.queue.append(
        Pending(contact, member_hash, values, digest, add, remove, desired_tags, member is not None)
    )


async def _deliver(p: Pass, chunk: list[Pending]) -> None:
    """One chunk: counted (dry run), or sent, recorded, and its tags taken away."""
    if p.dry_run:
        for item in chunk:
            if item.known:
                p.run.updated += 1
            else:
                p.run.created += 1
        return
    result = await _send_chunk(p, chunk)
    await _record_chunk(p, chunk, result)
    await _remove_tags(p, [item for item in chunk if item.remove_tags])
    await _save_counts(p)


async def _send_chunk(p: Pass, chunk: list[Pending]) -> Any:
    payload = [
        {
            "email_address": item.contact["email"],
            "status_if_new": p.segment.status_if_new,
            "merge_fields": item.merge_fields,
            **({"tags": item.add_tags} if item.add_tags else {}),
        }
        for item in chunk
    ]
    return await p.client.batch_subscribe(p.segment.list_id, payload, update_existing=True)


async def _record_chunk(p: Pass, chunk: list[Pending], result: Any) -> None:
    p.run.api_calls += 1
    by_email = {item.contact["email"].strip().lower(): item for item in chunk}
    refused: set[str] = set()
    rejections: list[SyncRunItem] = []
    for error in result.errors:
        email = (error.email_address or "").strip().lower()
        item = by_email.get(email) or (chunk[error.index] if error.index is not None else None)
        if item is None:
            continue
        refused.add(item.subscriber_hash)
        outcome = classify_member_error(error.error, error.error_code, error.field)
        words = error.error or OUTCOME_MESSAGES[outcome]
        if error.field:
            words = f"{error.field}: {error.field_message or words}"
        contact = item.contact
        rejections.append(
            _item_row(p, contact["id"], contact["email"], "rejected", outcome.value, words)
        )
    statuses = {}
    for created, answers in ((True, result.new_members), (False, result.updated_members)):
        for answer in answers:
            statuses[answer.email_address.strip().lower()] = (answer.status or "", created)
            changed = members.parse_time(answer.last_changed)
            if changed and (p.written_up_to is None or changed > p.written_up_to):
                p.written_up_to = changed
    accepted = []
    added = {"created": 0, "updated": 0, "rejected": len(rejections)}
    for item in chunk:
        if item.subscriber_hash in refused:
            continue
        status, created = statuses.get(item.contact["email"].strip().lower(), ("", not item.known))
        added["created" if created else "updated"] += 1
        accepted.append(
            {
                "subscriber_hash": item.subscriber_hash,
                "email": item.contact["email"],
                "contact_id": item.contact["id"],
                "status": status or p.segment.status_if_new,
                "payload_hash": item.payload_hash,
                "merge_fields": item.merge_fields,
                # Tags still to be taken away stay "managed" until the tags call succeeds.
                "managed_tags": sorted(set(item.managed_tags) | set(item.remove_tags)),
            }
        )
    # The members, their refusals and the counts commit together: a worker dying in between
    # must not leave counts for members a resumed run sends (and counts) again, or the reverse.
    async with transaction():
        await members.record_sent(p.segment, p.run.id, accepted)
        if rejections:
            await SyncRunItem.insert(*rejections)
        await SyncRun.update(
            {getattr(SyncRun, name): getattr(SyncRun, name) + n for name, n in added.items()}
        ).where(SyncRun.id == p.run.id)
    for name, n in added.items():
        setattr(p.run, name, getattr(p.run, name) + n)


async def _remove_tags(p: Pass, pending: list[Pending]) -> None:
    """Tags the segment no longer applies are switched off, member by member (Mailchimp has no
    batch for it); a member Mailchimp refuses is recorded, not a reason to stop the run."""
    semaphore = asyncio.Semaphore(IN_FLIGHT)

    async def untag(item: Pending) -> None:
        async with semaphore:
            p.run.api_calls += 1
            try:
                await p.client.update_member_tags(
                    p.segment.list_id, item.subscriber_hash, inactive=item.remove_tags
                )
            except TRANSIENT:
                raise
            except MailchimpError as exc:
                _item(
                    p,
                    item.contact["id"],
                    item.contact["email"],
                    "rejected",
                    "tags",
                    exc.user_message,
                )
                return
            await members.set_managed_tags(p.segment, item.subscriber_hash, item.managed_tags)

    await asyncio.gather(*(untag(item) for item in pending))
