"""Before sending, a sync reads what Mailchimp holds: each member's status, tags and change time."""

from __future__ import annotations

from app.domain.connections import services as connections
from app.domain.segments import members
from app.domain.segments.tables import AudienceMember, Segment
from tests.contact_factories import make_contact
from tests.integration.segments.sync_helpers import connected, make_segment, sync


async def test_a_refresh_reads_each_members_status_tags_and_last_change(db, sandbox):
    owner, _key, _account = await connected(sandbox)
    person = await make_contact(owner)
    segment = await make_segment(owner, tags=["Staff"])
    await sync(owner, segment.id)
    await AudienceMember.delete(force=True)  # forget what the sync recorded

    async def heartbeat() -> None:
        return None

    row = await Segment.objects().get(Segment.id == segment.id)
    async with await connections.client_for(owner.organisation.id) as client:
        read = await members.refresh(row, client, heartbeat=heartbeat, everything=True)

    assert read == 1
    held = (
        await AudienceMember.objects()
        .where(AudienceMember.email == person["email"])
        .output(load_json=True)
        .first()
    )
    assert held.status == "subscribed"
    assert held.tags == ["Staff"]
    assert held.last_changed is not None
