"""Opting out: recorded with its source and history, audited, unsubscribed in every audience
that holds the person, and never re-subscribed by a later sync."""

from __future__ import annotations

from app.domain.preferences import services
from app.domain.preferences.tables import PreferenceChange
from app.domain.segments.tables import SyncRunItem
from tests.contact_factories import make_contact
from tests.integration.preferences.helpers import EMPLOYEES, EVERYONE, pushes_settled, synced_world

SALES = "sales00001"


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


async def test_an_archived_member_who_opted_out_is_not_brought_back_by_a_sync(db, sandbox):
    from app.domain.contacts import services as contacts
    from app.domain.segments import services as segments
    from app.domain.segments.services import SegmentInput
    from tests.integration.segments.sync_helpers import sync

    world = await synced_world(sandbox, more_audiences=({"id": SALES, "name": "Sales"},))
    sales = await segments.create(
        world.owner.principal,
        SegmentInput(
            name="Sales",
            list_id=SALES,
            segment_type="mixed",
            filter_criteria={"department": ["Sales"]},
            removal_policy="archive",
        ),
    )
    person = await make_contact(world.owner, department="Sales")
    await sync(world.owner, sales.id)
    await contacts.update_contact(world.owner.principal, person["id"], {"department": "Finance"})
    await sync(world.owner, sales.id)
    assert world.member(SALES, person["email"]).status == "archived"
    await services.set_preference(
        world.owner.principal, person["id"], status="opted_out", source="ui"
    )
    pushes = await pushes_settled(person["id"])
    assert "Archived" in pushes[0]["message"]

    await contacts.update_contact(world.owner.principal, person["id"], {"department": "Sales"})
    run = await sync(world.owner, sales.id)

    assert world.member(SALES, person["email"]).status == "archived"
    assert run.created == 0
    skipped = await SyncRunItem.objects().where(SyncRunItem.run == run.id)
    assert [(item.outcome, item.error_code) for item in skipped] == [("skipped", "opted_out")]


async def test_an_address_that_opted_out_stays_out_when_its_contact_is_added_again(db, sandbox):
    from app.domain.contacts import services as contacts

    world = await synced_world(sandbox)
    before = await make_contact(world.owner, email="repeat@bluefin-foods.com")
    await services.set_preference(
        world.owner.principal, before["id"], status="opted_out", source="ui"
    )
    await contacts.delete_contact(world.owner.principal, before["id"])
    again = await make_contact(world.owner, email="Repeat@bluefin-foods.com")

    await world.sync_all()

    assert world.member(EMPLOYEES, again["email"]) is None
    # Their own, newer choice decides once they make one.
    await services.set_preference(
        world.owner.principal, again["id"], status="opted_in", source="api"
    )
    await world.sync_all()
    assert world.member(EMPLOYEES, again["email"]).status == "subscribed"
