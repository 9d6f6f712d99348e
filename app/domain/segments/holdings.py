"""Where an organisation holds a person in Mailchimp: for the consent ledger and erasures.

`audience_members` mirrors every audience a segment syncs (refreshed from Mailchimp before each
sync), so it answers "which audiences hold this address or this contact?" without asking
Mailchimp. Other domains reach these rows only through the functions here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from piccolo.columns.combination import WhereRaw

from app.domain.segments.tables import AudienceMember, RunStatus, Segment, SyncRun, SyncRunItem
from app.lib.like import contains

ERASED_MESSAGE = "[erased]"


async def holdings(
    organisation_id: int, *, hashes: Sequence[str], contact_id: int | None = None
) -> list[dict[str, Any]]:
    """Members with one of these subscriber hashes, or placed for this contact, in any audience
    (an address the contact used before counts too), with the audience's name where known."""
    condition = AudienceMember.subscriber_hash.is_in(list(hashes) or [""])
    if contact_id is not None:
        condition |= AudienceMember.contact_id == contact_id
    rows = await AudienceMember.select(
        AudienceMember.list_id,
        AudienceMember.subscriber_hash,
        AudienceMember.email,
        AudienceMember.status,
    ).where((AudienceMember.organisation == organisation_id) & condition)
    names = await audience_names(organisation_id, [row["list_id"] for row in rows])
    named = [{**row, "list_name": names.get(row["list_id"], "")} for row in rows]
    return sorted(named, key=lambda row: (row["list_name"] or row["list_id"]).lower())


async def audience_names(organisation_id: int, list_ids: Sequence[str]) -> dict[str, str]:
    """Audience names as the organisation's segments recorded them (live segments win)."""
    if not list_ids:
        return {}
    rows = await (
        Segment.select(Segment.list_id, Segment.list_name, Segment.soft_deleted_at)
        .where((Segment.organisation == organisation_id) & Segment.list_id.is_in(list(list_ids)))
        .order_by(Segment.id)
    )
    names: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: r["soft_deleted_at"] is None):
        if row["list_name"]:
            names[row["list_id"]] = row["list_name"]
    return names


async def set_status(organisation_id: int, list_id: str, member_hash: str, status: str) -> None:
    """What Mailchimp answered about a member we changed outside a sync."""
    await AudienceMember.update({AudienceMember.status: status}).where(
        (AudienceMember.organisation == organisation_id)
        & (AudienceMember.list_id == list_id)
        & (AudienceMember.subscriber_hash == member_hash)
    )


async def forget(organisation_id: int, list_id: str, member_hash: str) -> None:
    """The member no longer exists in Mailchimp (deleted permanently): nothing to mirror."""
    await AudienceMember.delete().where(
        (AudienceMember.organisation == organisation_id)
        & (AudienceMember.list_id == list_id)
        & (AudienceMember.subscriber_hash == member_hash)
    )


async def forget_contact(
    organisation_id: int, contact_ids: Sequence[int], hashes: Sequence[str]
) -> None:
    """Every row of these addresses or these contacts, in every audience."""
    await AudienceMember.delete().where(
        (AudienceMember.organisation == organisation_id)
        & (
            AudienceMember.subscriber_hash.is_in(list(hashes) or [""])
            | AudienceMember.contact_id.is_in(list(contact_ids) or [-1])
        )
    )


async def scrub_run_items(
    organisation_id: int, *, contact_ids: Sequence[int], emails: Sequence[str]
) -> None:
    """Sync-run rows about these contacts or addresses keep their outcome, not the address;
    a message that quotes the address (Mailchimp's words often do) is replaced."""
    runs = SyncRun.select(SyncRun.id).where(SyncRun.organisation == organisation_id)
    about = SyncRunItem.contact_id.is_in(list(contact_ids) or [-1])
    for email in emails:
        about |= WhereRaw("lower(email) = {}", email.lower())
        await SyncRunItem.update({SyncRunItem.message: ERASED_MESSAGE}).where(
            SyncRunItem.run.is_in(runs) & contains("message", email)
        )
    await SyncRunItem.update({SyncRunItem.email: ""}).where(SyncRunItem.run.is_in(runs) & about)


async def sync_in_progress(organisation_id: int) -> bool:
    """Is any sync of the organisation queued or running (and so may still write rows)?"""
    return await SyncRun.exists().where(
        (SyncRun.organisation == organisation_id)
        & SyncRun.status.is_in([RunStatus.queued, RunStatus.running])
    )
