"""Opting in: recorded with its source; in Mailchimp an unsubscribed member becomes pending
(Mailchimp emails them to confirm), never silently subscribed. And the Mailchimp side of any
change: the member's own state decides, outages are retried, the latest change wins."""

from __future__ import annotations

from app.domain.preferences import services
from app.domain.preferences.tables import EmailPreference, PreferenceChange, PreferencePush
from app.mailchimp.sandbox import control
from app.mailchimp.sandbox.seed import faults_from
from tests.contact_factories import make_contact
from tests.fixtures.app import wait_until
from tests.integration.preferences.helpers import EMPLOYEES, EVERYONE, pushes_settled, synced_world


async def _opt(world, contact_id: int, status: str, source: str = "ui"):
    return await services.set_preference(
        world.owner.principal, contact_id, status=status, source=source
    )


async def test_opting_back_in_makes_the_unsubscribed_member_pending_not_subscribed(db, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner)
    await world.sync_all()
    await _opt(world, person["id"], "opted_out")
    await pushes_settled(person["id"])

    recorded = await _opt(world, person["id"], "opted_in", source="product_event")

    assert recorded.preference["status"] == "opted_in"
    assert recorded.preference["consent_source"] == "product_event"
    assert recorded.preference["consent_given_at"] is not None
    assert recorded.preference["consent_withdrawn_at"] is None
    await pushes_settled(person["id"])
    assert world.member(EMPLOYEES, person["email"]).status == "pending"
    assert world.member(EVERYONE, person["email"]).status == "pending"
    # A later sync leaves them waiting for their own confirmation.
    await world.sync_all("full")
    assert world.member(EMPLOYEES, person["email"]).status == "pending"
    changes = await PreferenceChange.select().order_by(PreferenceChange.id)
    assert [(c["from_status"], c["to_status"]) for c in changes] == [
        ("", "opted_out"),
        ("opted_out", "opted_in"),
    ]


async def test_an_opt_in_leaves_subscribed_and_cleaned_members_as_they_are(db, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner)
    await world.sync_all()
    member = world.member(EMPLOYEES, person["email"])
    control.change_member(
        sandbox, world.account, EMPLOYEES, member.subscriber_hash, {"action": "unsubscribe"}
    )
    cleaned = world.member(EVERYONE, person["email"])
    control.change_member(
        sandbox, world.account, EVERYONE, cleaned.subscriber_hash, {"action": "clean"}
    )
    await world.sync_all()  # our mirror learns what happened in Mailchimp

    await _opt(world, person["id"], "opted_in", source="csv_import")
    pushes = {p["list_id"]: p for p in await pushes_settled(person["id"])}

    assert world.member(EMPLOYEES, person["email"]).status == "pending"
    assert world.member(EVERYONE, person["email"]).status == "cleaned"
    assert pushes[EMPLOYEES]["member_status"] == "pending"
    assert "confirm" in pushes[EMPLOYEES]["message"]
    assert pushes[EVERYONE]["status"] == "done"
    assert "Cleaned" in pushes[EVERYONE]["message"]


async def test_choosing_the_status_a_contact_has_records_nothing(db, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner)
    await _opt(world, person["id"], "opted_out")

    again = await _opt(world, person["id"], "opted_out")

    assert not again.changed
    assert await PreferenceChange.count() == 1
    assert await EmailPreference.count() == 1


async def test_an_outage_is_retried_until_every_audience_has_the_change(db, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner)
    await world.sync_all()
    world.account.set_faults(faults_from({"rate_500": 1.0}))

    await _opt(world, person["id"], "opted_out")

    async def retrying():
        rows = await PreferencePush.select().where(PreferencePush.status == "retrying")
        return rows or None

    stuck = await wait_until(retrying, timeout=30)
    assert "try" in stuck[0]["message"].lower()
    world.account.set_faults(faults_from({}))
    pushes = await pushes_settled(person["id"])

    assert {p["status"] for p in pushes} == {"done"}
    assert world.member(EMPLOYEES, person["email"]).status == "unsubscribed"
    assert world.member(EVERYONE, person["email"]).status == "unsubscribed"


async def test_the_latest_change_wins_when_changes_come_quickly(db, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner)
    await world.sync_all()
    world.account.set_faults(faults_from({"latency_ms": 150}))

    await _opt(world, person["id"], "opted_out")
    await _opt(world, person["id"], "opted_in")
    await _opt(world, person["id"], "opted_out")

    async def settled():
        rows = await PreferencePush.select().where(
            PreferencePush.status.is_in(["queued", "retrying"])
        )
        return not rows

    await wait_until(settled, timeout=30)
    assert world.member(EMPLOYEES, person["email"]).status == "unsubscribed"
    assert world.member(EVERYONE, person["email"]).status == "unsubscribed"
    latest = await PreferenceChange.objects().order_by(PreferenceChange.id, ascending=False).first()
    pushes = await PreferencePush.select().where(PreferencePush.change == latest.id)
    assert {p["status"] for p in pushes} == {"done"}
