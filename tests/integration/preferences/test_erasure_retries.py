"""Erasures that cannot finish at once: deleted contacts, duplicates, running syncs, and the
sweep that restarts whatever is due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db import utcnow
from app.domain.audit.tables import AuditLog
from app.domain.contacts import services as contacts
from app.domain.contacts.tables import Contact
from app.domain.preferences import erasure, jobs, services
from app.domain.preferences.tables import Erasure, PreferencePush
from app.domain.segments.tables import RunStatus, SyncRun
from app.lib.errors import Conflict
from tests.contact_factories import make_contact
from tests.integration.preferences.helpers import (
    EMPLOYEES,
    EVERYONE,
    erasure_ends,
    pushes_settled,
    synced_world,
)
from tests.integration.preferences.pii import places_holding

EMAIL = "wendell.ostrowski@bluefin-foods.com"


async def test_a_deleted_contact_can_be_erased_and_its_deletion_entry_is_redacted(db, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner, email=EMAIL, first_name="Wendell")
    await world.sync_all()
    await contacts.delete_contact(world.owner.principal, person["id"])

    started, created = await erasure.request_erasure(world.owner.principal, person["id"])
    await erasure_ends(world.owner, started["id"], "done")

    assert created
    assert world.member(EMPLOYEES, EMAIL) is None
    assert await places_holding(EMAIL, "Wendell") == []
    deleted = await AuditLog.objects().where(AuditLog.action == "contact.deleted").first()
    assert deleted is not None  # the fact stays, its details go


async def test_a_deleted_duplicate_points_to_the_live_contact_whose_erasure_covers_both(
    db, sandbox
):
    world = await synced_world(sandbox)
    old = await make_contact(world.owner, email=EMAIL, first_name="Wendell")
    await contacts.delete_contact(world.owner.principal, old["id"])
    current = await make_contact(world.owner, email=EMAIL, first_name="Wendell")

    with pytest.raises(Conflict, match=f"#{current['id']}"):
        await erasure.request_erasure(world.owner.principal, old["id"])
    started, _ = await erasure.request_erasure(world.owner.principal, current["id"])
    await erasure_ends(world.owner, started["id"], "done")

    rows = await Contact.select(Contact.id, Contact.email).order_by(Contact.id)
    assert [row["email"] for row in rows] == [
        f"erased-{old['id']}@erased.invalid",
        f"erased-{current['id']}@erased.invalid",
    ]


async def test_the_erasure_waits_while_a_sync_may_still_write_the_person_down(db, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner, email=EMAIL)
    await world.sync_all()
    running = SyncRun(
        organisation=world.owner.organisation.id,
        segment=world.segment_ids[0],
        status=RunStatus.running,
    )
    await running.save()

    started, _ = await erasure.request_erasure(world.owner.principal, person["id"])
    waiting = await erasure_ends(world.owner, started["id"], "incomplete")

    assert "sync" in waiting["last_error"]
    assert {a["status"] for a in waiting["audiences"]} == {"done"}  # Mailchimp first
    assert world.member(EVERYONE, EMAIL) is None
    assert await places_holding(EMAIL)  # our own records wait for the sync

    running.status = RunStatus.completed
    await running.save()
    await erasure.retry(world.owner.principal, started["id"])
    await erasure_ends(world.owner, started["id"], "done")
    assert await places_holding(EMAIL) == []


async def test_the_sweep_restarts_due_erasures_and_pushes_that_waited_too_long(db, sandbox):
    world = await synced_world(sandbox)
    gone = await make_contact(world.owner, email=EMAIL)
    out = await make_contact(world.owner)
    await world.sync_all()
    started, _ = await erasure.request_erasure(world.owner.principal, gone["id"])
    await erasure_ends(world.owner, started["id"], "done")
    # An erasure left incomplete whose next attempt is due, and a push whose job was lost.
    await Erasure.update(
        {Erasure.status: "incomplete", Erasure.next_attempt_at: utcnow() - timedelta(minutes=1)}
    ).where(Erasure.id == started["id"])
    await services.set_preference(world.owner.principal, out["id"], status="opted_out", source="ui")
    await pushes_settled(out["id"])
    await PreferencePush.raw(
        "UPDATE preference_pushes SET status = 'queued', updated_at = {}",
        utcnow() - timedelta(minutes=10),
    )
    not_due = await make_contact(world.owner)
    pending, _ = await erasure.request_erasure(world.owner.principal, not_due["id"])
    await erasure_ends(world.owner, pending["id"], "done")
    await Erasure.update(
        {Erasure.status: "incomplete", Erasure.next_attempt_at: utcnow() + timedelta(hours=1)}
    ).where(Erasure.id == pending["id"])

    result = await jobs.preference_retries({})

    assert result == {"erasures": 1, "pushes": 1}
    await erasure_ends(world.owner, started["id"], "done")
    assert {p["status"] for p in await pushes_settled(out["id"])} == {"done"}
    untouched = await erasure.get_erasure(world.owner.principal, pending["id"])
    assert untouched["status"] == "incomplete"
