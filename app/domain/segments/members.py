"""`audience_members`: what we believe Mailchimp holds, kept in step before every sync.

Refreshing reads only members Mailchimp changed since the last refresh (`since_last_changed`,
1,000 per page), so a sync knows who unsubscribed or was cleaned before it sends anything.
Writes are upserts on (organisation, list_id, subscriber_hash), one statement per page.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from piccolo.columns.combination import WhereRaw

from app.db import transaction, utcnow
from app.domain.segments.tables import AudienceMember, Segment
from app.mailchimp.client import MailchimpClient

REFRESH_PAGE = 1000
_KEY = (AudienceMember.organisation, AudienceMember.list_id, AudienceMember.subscriber_hash)


def parse_time(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


async def _upsert(rows: Sequence[AudienceMember], update: Sequence[Any]) -> None:
    if rows:
        await AudienceMember.insert(*rows).on_conflict(
            target=_KEY, action="DO UPDATE", values=list(update)
        )


async def refresh(
    segment: Segment, client: MailchimpClient, *, heartbeat: Callable[[], Awaitable[Any]]
) -> int:
    """Bring our copy of the audience up to date with Mailchimp; returns members read."""
    since = segment.members_refreshed_at
    newest = since
    read = 0
    batch: list[AudienceMember] = []
    async for member in client.iter_members(segment.list_id, since_last_changed=since):
        changed = parse_time(member.last_changed)
        if changed and (newest is None or changed > newest):
            newest = changed
        batch.append(
            AudienceMember(
                organisation=segment.organisation,
                list_id=segment.list_id,
                subscriber_hash=member.id,
                email=member.email_address,
                status=member.status or "",
                tags=sorted(tag.name for tag in member.tags),
                last_changed=changed,
            )
        )
        read += 1
        if len(batch) >= REFRESH_PAGE:
            await _write_refreshed(batch)
            batch = []
            await heartbeat()
    await _write_refreshed(batch)
    if newest is not None:
        # since_last_changed is inclusive, so the boundary member is read again next time.
        segment.members_refreshed_at = newest
        await segment.save([Segment.members_refreshed_at])
    return read


async def _write_refreshed(rows: list[AudienceMember]) -> None:
    await _upsert(
        rows,
        (
            AudienceMember.email,
            AudienceMember.status,
            AudienceMember.tags,
            AudienceMember.last_changed,
            AudienceMember.updated_at,
        ),
    )


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
        AudienceMember(
            organisation=segment.organisation,
            list_id=segment.list_id,
            subscriber_hash=item["subscriber_hash"],
            email=item["email"],
            contact_id=item["contact_id"],
            segment=segment.id,
            status=item["status"],
            payload_hash=item["payload_hash"],
            managed_tags=item["managed_tags"],
            last_synced_at=now,
            last_sent_run=run_id,
            last_seen_run=run_id,
        )
        for item in sent
    ]
    await _upsert(
        rows,
        (
            AudienceMember.email,
            AudienceMember.contact_id,
            AudienceMember.segment,
            AudienceMember.status,
            AudienceMember.payload_hash,
            AudienceMember.managed_tags,
            AudienceMember.last_synced_at,
            AudienceMember.last_sent_run,
            AudienceMember.last_seen_run,
            AudienceMember.updated_at,
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
