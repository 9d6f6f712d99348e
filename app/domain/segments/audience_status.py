"""`audience_members` as events from Mailchimp change it, and as people read it.

The inbound domain calls these when a webhook or a trigger tells us what Mailchimp now holds;
the dashboard and a contact's page read the counts and statuses. Status writes carry the time
Mailchimp says the change happened, and a change older than what we hold is not applied, so
deliveries that arrive out of order never undo a newer status.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from piccolo.query.functions.aggregate import Count

from app.db import transaction, utcnow
from app.domain.segments.tables import AudienceMember, Segment
from app.mailchimp.paths import subscriber_hash

STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "archived")


def _key(organisation_id: int, list_id: str, email: str):
    return (
        (AudienceMember.organisation == organisation_id)
        & (AudienceMember.list_id == list_id)
        & (AudienceMember.subscriber_hash == subscriber_hash(email))
    )


async def member(organisation_id: int, list_id: str, email: str) -> dict[str, Any] | None:
    return (
        await AudienceMember.select()
        .where(_key(organisation_id, list_id, email))
        .output(load_json=True)
        .first()
    )


async def remember_merge_fields(member_id: int, values: dict[str, Any]) -> None:
    await AudienceMember.update({AudienceMember.merge_fields: values}).where(
        AudienceMember.id == member_id
    )


async def apply_status(
    organisation_id: int,
    list_id: str,
    email: str,
    status: str,
    *,
    changed_at: datetime.datetime,
    contact_id: int | None = None,
) -> bool:
    """Record Mailchimp's new status for an address unless we hold a newer one (False then).

    One conditional upsert, so two deliveries for the same member racing on two workers
    still leave the newer status in place.
    """
    now = utcnow()
    await AudienceMember.raw(
        "INSERT INTO audience_members (organisation, list_id, subscriber_hash, email, contact_id, "
        "status, last_changed, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}) "
        "ON CONFLICT (organisation, list_id, subscriber_hash) DO UPDATE SET "
        "status = excluded.status, email = excluded.email, last_changed = excluded.last_changed, "
        "contact_id = COALESCE(audience_members.contact_id, excluded.contact_id), "
        "updated_at = excluded.updated_at "
        "WHERE audience_members.last_changed IS NULL "
        "OR audience_members.last_changed <= excluded.last_changed",
        organisation_id,
        list_id,
        subscriber_hash(email),
        email.strip(),
        contact_id,
        status,
        changed_at,
        now,
        now,
    )
    row = await member(organisation_id, list_id, email)
    return row is not None and row["status"] == status and row["last_changed"] == changed_at


async def change_email(
    organisation_id: int,
    list_id: str,
    old_email: str,
    new_email: str,
    *,
    changed_at: datetime.datetime,
) -> bool:
    """The member's address changed in Mailchimp: our row follows it (False if we had none)."""
    async with transaction():
        old = await member(organisation_id, list_id, old_email)
        if old is None:
            return False
        if await member(organisation_id, list_id, new_email) is not None:
            # Both known: the new address's row stands for the member from now on.
            await AudienceMember.delete().where(AudienceMember.id == old["id"])
            await AudienceMember.update(
                {AudienceMember.email: new_email.strip(), AudienceMember.last_changed: changed_at}
            ).where(_key(organisation_id, list_id, new_email))
            return True
        await AudienceMember.update(
            {
                AudienceMember.subscriber_hash: subscriber_hash(new_email),
                AudienceMember.email: new_email.strip(),
                AudienceMember.last_changed: changed_at,
            }
        ).where(AudienceMember.id == old["id"])
    return True


async def record_answer(
    organisation_id: int,
    list_id: str,
    email: str,
    *,
    status: str,
    contact_id: int | None,
    last_changed: datetime.datetime | None,
) -> None:
    """What Mailchimp answered to one of our writes (it is current, so it always applies)."""
    now = utcnow()
    await AudienceMember.raw(
        "INSERT INTO audience_members (organisation, list_id, subscriber_hash, email, contact_id, "
        "status, last_changed, last_synced_at, created_at, updated_at) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
        "ON CONFLICT (organisation, list_id, subscriber_hash) DO UPDATE SET "
        "status = excluded.status, email = excluded.email, "
        "last_changed = COALESCE(excluded.last_changed, audience_members.last_changed), "
        "contact_id = COALESCE(excluded.contact_id, audience_members.contact_id), "
        "last_synced_at = excluded.last_synced_at, updated_at = excluded.updated_at",
        organisation_id,
        list_id,
        subscriber_hash(email),
        email.strip(),
        contact_id,
        status,
        last_changed,
        now,
        now,
        now,
    )


async def record_tags(
    organisation_id: int,
    list_id: str,
    email: str,
    *,
    active: Collection[str] = (),
    inactive: Collection[str] = (),
) -> None:
    """Tags we just switched on or off in Mailchimp, reflected in our copy."""
    async with transaction():
        row = await member(organisation_id, list_id, email)
        if row is None:
            return
        tags = (set(row["tags"] or []) | set(active)) - set(inactive)
        await AudienceMember.update({AudienceMember.tags: sorted(tags)}).where(
            AudienceMember.id == row["id"]
        )


async def status_counts(
    organisation_id: int, list_id: str | None = None
) -> dict[str, dict[str, int]]:
    """{list_id: {status: members}} for every audience we know members of."""
    query = AudienceMember.select(
        AudienceMember.list_id, AudienceMember.status, Count(alias="n")
    ).where(AudienceMember.organisation == organisation_id)
    if list_id is not None:
        query = query.where(AudienceMember.list_id == list_id)
    rows = await query.group_by(AudienceMember.list_id, AudienceMember.status)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for row in rows:
        status = row["status"] or "subscribed"
        counts[row["list_id"]][status] = counts[row["list_id"]].get(status, 0) + row["n"]
    return dict(counts)


async def memberships(organisation_id: int, contact_id: int, email: str) -> list[dict[str, Any]]:
    """The contact's rows in every audience: linked to it, or holding its address."""
    rows = await AudienceMember.select(
        AudienceMember.list_id,
        AudienceMember.email,
        AudienceMember.status,
        AudienceMember.tags,
        AudienceMember.last_changed,
        AudienceMember.last_synced_at,
    ).where(
        (AudienceMember.organisation == organisation_id)
        & (
            (AudienceMember.contact_id == contact_id)
            | (AudienceMember.subscriber_hash == subscriber_hash(email))
        )
    )
    for row in rows:
        if isinstance(row["tags"], str):
            row["tags"] = json.loads(row["tags"] or "[]")
    return sorted(rows, key=lambda r: r["list_id"])


async def statuses_by_contact(
    organisation_id: int, contact_ids: Collection[int]
) -> dict[int, list[dict[str, str]]]:
    """For a page of contacts: each one's status in every audience that holds it, in one query
    (the contacts list shows them as badges)."""
    if not contact_ids:
        return {}
    rows = await AudienceMember.select(
        AudienceMember.contact_id, AudienceMember.list_id, AudienceMember.status
    ).where(
        (AudienceMember.organisation == organisation_id)
        & AudienceMember.contact_id.is_in(list(contact_ids))
        & (AudienceMember.status != "")
    )
    names = await audience_names(organisation_id)
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: names.get(r["list_id"], r["list_id"])):
        found[row["contact_id"]].append(
            {"audience": names.get(row["list_id"], row["list_id"]), "status": row["status"]}
        )
    return dict(found)


async def audience_names(organisation_id: int) -> dict[str, str]:
    """Names of the audiences the organisation's live segments feed, by list id."""
    rows = await Segment.select(Segment.list_id, Segment.list_name).where(
        (Segment.organisation == organisation_id) & Segment.soft_deleted_at.is_null()
    )
    return {row["list_id"]: row["list_name"] or row["list_id"] for row in rows}


async def segment_for_audience(organisation_id: int, list_id: str) -> Segment | None:
    """The live segment feeding this audience (at most one), with its mapping."""
    return (
        await Segment.objects()
        .where(
            (Segment.organisation == organisation_id)
            & (Segment.list_id == list_id)
            & Segment.soft_deleted_at.is_null()
        )
        .output(load_json=True)
        .first()
    )


async def targeted_audiences(organisation_id: int) -> list[str]:
    """Audiences the organisation's live segments feed (each gets our webhook)."""
    return sorted((await audience_names(organisation_id)).keys())
