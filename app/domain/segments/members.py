"""`audience_members`: what we believe Mailchimp holds, kept in step before every sync.

Refreshing reads only members Mailchimp changed since the last refresh (`since_last_changed`,
1,000 per page), so a sync knows who unsubscribed or was cleaned before it sends anything.
Writes are upserts on (organisation, list_id, subscriber_hash), one statement per page.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from piccolo.columns.combination import WhereRaw

from app.db import transaction, utcnow
from app.domain.segments.tables import AudienceMember, Segment
from app.mailchimp.client import MailchimpClient

_KEY_NAMES = ("organisation", "list_id", "subscriber_hash")
_JSON_COLUMNS = {"tags", "managed_tags", "merge_fields"}
# Rows per statement: well inside both engines' limits on bound parameters.
UPSERT_ROWS = 500


def parse_time(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


async def _upsert(rows: Sequence[dict[str, Any]], update: Sequence[str]) -> None:
    """Insert or update rows on their key, one statement per call.

    Plain SQL (both engines accept this ON CONFLICT form): building a Piccolo object per row
    cost more than the database did, on the sync's hottest path.
    """
    if not rows:
        return
    now = utcnow()
    columns = [*_KEY_NAMES, *update, "created_at", "updated_at"]
    arguments: list[Any] = []
    for row in rows:
        for name in columns[:-2]:
            value = row.get(name)
            arguments.append(json.dumps(value) if name in _JSON_COLUMNS else value)
        arguments += [now, now]
    placeholders = "(" + ", ".join("{}" for _ in columns) + ")"
    assignments = ", ".join(f"{name} = excluded.{name}" for name in [*update, "updated_at"])
    await AudienceMember.raw(
        f"INSERT INTO audience_members ({', '.join(columns)}) "  # noqa: S608 - names are ours
        f"VALUES {', '.join([placeholders] * len(rows))} "
        f"ON CONFLICT ({', '.join(_KEY_NAMES)}) DO UPDATE SET {assignments}",
        *arguments,
    )


# Member field names: the client adds id, email_address and the paging totals itself.
REFRESH_FIELDS = ("status", "last_changed", "tags")


async def refresh(
    segment: Segment,
    client: MailchimpClient,
    *,
    heartbeat: Callable[[], Awaitable[Any]],
    everything: bool = False,
) -> int:
    """Bring our copy of the audience up to date with Mailchimp; returns members read.

    Normally only what changed since the last refresh; `everything` reads the whole audience
    (the daily run does, to catch anything a missed webhook or a clock skew left behind)."""
    since = None if everything else segment.members_refreshed_at
    newest = since
    read = 0
    batch: list[dict[str, Any]] = []
    async for member in client.iter_members(
        segment.list_id, since_last_changed=since, fields=REFRESH_FIELDS
    ):
        changed = parse_time(member.last_changed)
        if changed and (newest is None or changed > newest):
            newest = changed
        batch.append(
            {
                "organisation": segment.organisation,
                "list_id": segment.list_id,
                "subscriber_hash": member.id,
                "email": member.email_address,
                "status": member.status or "",
                "tags": sorted(tag.name for tag in member.tags),
                "last_changed": changed,
            }
        )
        read += 1
        if len(batch) >= UPSERT_ROWS:
            await _write_refreshed(batch)
            batch = []
            await heartbeat()
    await _write_refreshed(batch)
    if newest is not None:
        # since_last_changed is inclusive, so the boundary member is read again next time.
        segment.members_refreshed_at = newest
        await segment.save([Segment.members_refreshed_at])
    return read


async def _write_refreshed(rows: list[dict[str, Any]]) -> None:
    await _upsert(rows, ("email", "status", "tags", "last_changed"))


async def advance_mark(segment: Segment, written_up_to: datetime.datetime | None) -> None:
    """After a run: our own writes need not be read back next time. Their statuses came back
    in Mailchimp's answers; a change someone else made meanwhile arrives by webhook, and the
    daily run re-reads the whole audience in any case. Mailchimp compares whole seconds and
    includes the second asked for, so the mark moves past our last write's second."""
    if written_up_to is None:
        return
    mark = written_up_to.replace(microsecond=0) + datetime.timedelta(seconds=1)
    current = segment.members_refreshed_at
    if current is None or mark > current:
        segment.members_refreshed_at = mark
        await segment.save([Segment.members_refreshed_at])


async def known(organisation_id: int, list_id: str, hashes: Sequence[str]) -> dict[str, dict]:
    """Our rows for these addresses in this audience, by subscriber hash."""
    if not hashes:
        return {}
    rows = (
        await AudienceMember.select(
            AudienceMember.id,
            AudienceMember.subscriber_hash,
            AudienceMember.status,
            AudienceMember.payload_hash,
            AudienceMember.managed_tags,
            AudienceMember.segment,
            AudienceMember.last_sent_run,
        )
        .where(
            (AudienceMember.organisation == organisation_id)
            & (AudienceMember.list_id == list_id)
            & AudienceMember.subscriber_hash.is_in(list(hashes))
        )
        .output(load_json=True)
    )
    return {row["subscriber_hash"]: row for row in rows}


async def record_sent(segment: Segment, run_id: int, sent: Sequence[dict[str, Any]]) -> None:
    """After Mailchimp accepted members: what we sent, the status it answered, who owns them."""
    now = utcnow()
    rows = [
        {
            "organisation": segment.organisation,
            "list_id": segment.list_id,
            "subscriber_hash": item["subscriber_hash"],
            "email": item["email"],
            "contact_id": item["contact_id"],
            "segment": segment.id,
            "status": item["status"],
            "payload_hash": item["payload_hash"],
            "merge_fields": item["merge_fields"],
            "managed_tags": item["managed_tags"],
            "last_synced_at": now,
            "last_sent_run": run_id,
            "last_seen_run": run_id,
        }
        for item in sent
    ]
    for start in range(0, len(rows), UPSERT_ROWS):
        await _upsert(
            rows[start : start + UPSERT_ROWS],
            (
                "email",
                "contact_id",
                "segment",
                "status",
                "payload_hash",
                "merge_fields",
                "managed_tags",
                "last_synced_at",
                "last_sent_run",
                "last_seen_run",
            ),
        )


async def set_managed_tags(segment: Segment, member_hash: str, tags: Sequence[str]) -> None:
    await AudienceMember.update({AudienceMember.managed_tags: list(tags)}).where(
        (AudienceMember.organisation == segment.organisation)
        & (AudienceMember.list_id == segment.list_id)
        & (AudienceMember.subscriber_hash == member_hash)
    )


async def mark_seen(segment: Segment, run_id: int, hashes: Sequence[str]) -> None:
    """These members still belong to the segment (whether or not anything was sent)."""
    if hashes:
        await AudienceMember.update({AudienceMember.last_seen_run: run_id}).where(
            (AudienceMember.organisation == segment.organisation)
            & (AudienceMember.list_id == segment.list_id)
            & AudienceMember.subscriber_hash.is_in(list(hashes))
        )


async def leavers(segment: Segment, run_id: int, *, limit: int = 500) -> list[dict[str, Any]]:
    """Members this segment placed that it no longer selects, a page at a time."""
    return await (
        AudienceMember.select(
            AudienceMember.id,
            AudienceMember.subscriber_hash,
            AudienceMember.email,
            AudienceMember.contact_id,
            AudienceMember.status,
        )
        .where(
            (AudienceMember.organisation == segment.organisation)
            & (AudienceMember.list_id == segment.list_id)
            & (AudienceMember.segment == segment.id)
            & WhereRaw("(last_seen_run IS NULL OR last_seen_run <> {})", run_id)
        )
        .order_by(AudienceMember.id)
        .limit(limit)
    )


async def release(
    member_ids: Sequence[int], *, status: str | None = None, forget: bool = False
) -> None:
    """After a removal: the segment no longer owns these members (or they no longer exist)."""
    if not member_ids:
        return
    async with transaction():
        if forget:
            await AudienceMember.delete().where(AudienceMember.id.is_in(list(member_ids)))
            return
        values: dict[Any, Any] = {AudienceMember.segment: None, AudienceMember.payload_hash: ""}
        if status is not None:
            values[AudienceMember.status] = status
        await AudienceMember.update(values).where(AudienceMember.id.is_in(list(member_ids)))
