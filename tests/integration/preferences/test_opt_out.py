"""Opting out: recorded with its source and history, audited, unsubscribed in every audience
that holds the person, and never re-subscribed by a later sync."""

from __future__ import annotations

from app.domain.preferences import services
from app.domain.preferences.tables import PreferenceChange
from app.domain.segments.tables import SyncRunItem
from tests.contact_factories import make_contact
from tests.integration.preferences.helpers import EMPLOYEES, EVERYONE, pushes_settled, synced_world


async def test_opt_out_unsubscribes_in_every_audience_and_survives_a_full_sync(db, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner)
    await world.sync_all()
    assert world.member(EMPLOYEES, person["email"]).status == "subscribed"
    assert world.member(EVERYONE, person["email"]).status == "subscribed"

    recorded = await services.set_preference(
        world.owner.principal, person["id"], status="opted_out", source="ui"
    )

    assert recorded.changed
    assert recorded.preference["status"] == "opted_out"
    assert recorded.preference["consent_withdrawn_at"] is not None
    pushes = await pushes_settled(person["id"])
    assert {p["list_id"]: p["status"] for p in pushes} == {EMPLOYEES: "done", EVERYONE: "done"}
    assert world.member(EMPLOYEES, person["email"]).status == "unsubscribed"
    assert world.member(EVERYONE, person["email"]).status == "unsubscribed"

    await world.sync_all("full")

    assert world.member(EMPLOYEES, person["email"]).status == "unsubscribed"
    assert world.member(EVERYONE, person["email"]).status == "unsubscribed"
    change = await PreferenceChange.objects().first()
    assert (change.to_status, change.source, change.actor_type) == ("opted_out", "ui", "user")


async def test_a_contact_who_opted_out_before_any_sync_is_never_added(db, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner)
    other = await make_contact(world.owner)
    await services.set_preference(
        world.owner.principal, person["id"], status="opted_out", source="api"
    )

    await world.sync_all()

    assert world.member(EMPLOYEES, person["email"]) is None
    assert world.member(EVERYONE, person["email"]) is None
    assert world.member(EMPLOYEES, other["email"]).status == "subscribed"
    skipped = await SyncRunItem.objects().where(SyncRunItem.outcome == "skipped")
    assert {item.contact_id for item in skipped} == {person["id"]}
