"""GDPR erasure: gone from every Mailchimp audience (which then refuses them back), gone from
every table of ours, proven in the audit log without the data it removed."""

from __future__ import annotations

import io

from app.domain.audit.tables import AuditLog
from app.domain.contacts import imports
from app.domain.contacts import services as contacts
from app.domain.contacts.imports import Upload
from app.domain.contacts.tables import Contact
from app.domain.inbound.tables import InboundEvent
from app.domain.preferences import erasure, services
from app.domain.segments import services as segments
from app.domain.segments.services import SegmentInput
from app.domain.segments.tables import SyncRunItem
from app.mailchimp.paths import subscriber_hash
from app.mailchimp.sandbox import control
from tests.contact_factories import make_contact
from tests.fixtures.app import wait_until
from tests.integration.contacts.helpers import finished
from tests.integration.preferences.helpers import (
    EMPLOYEES,
    EVERYONE,
    erasure_ends,
    pushes_settled,
    synced_world,
)
from tests.integration.preferences.pii import places_holding
from tests.integration.segments.sync_helpers import sync

FIRST, LAST = "Zebedee", "Quillfeather"
EMAIL = "zebedee.quillfeather@bluefin-foods.com"
NEWSLETTER = "news000001"


async def _a_person_known_everywhere(sandbox):
    """A contact whose data reached every kind of table: Mailchimp audiences and our mirror
    of them, preferences and their history, sync-run rows, import rows and files, audit."""
    newsletter_fields = [{"tag": "DEPTCODE", "name": "Code", "type": "text", "required": True}]
    world = await synced_world(
        sandbox,
        more_audiences=(
            {"id": NEWSLETTER, "name": "Newsletter", "merge_fields": newsletter_fields},
        ),
    )
    owner = world.owner
    person = await make_contact(
        owner,
        email=EMAIL,
        first_name=FIRST,
        last_name=LAST,
        phone="+44 20 7946 0000",
        company=f"{LAST} Ltd",
        attributes={"nickname": FIRST},
    )
    await contacts.update_contact(owner.principal, person["id"], {"location": "Leeds"})
    await world.sync_all()
    # They unsubscribe from one audience in Mailchimp: its webhook is stored as an event.
    control.change_member(
        sandbox, world.account, EMPLOYEES, subscriber_hash(EMAIL), {"action": "unsubscribe"}
    )
    await sandbox.drain_webhooks()

    async def handled():
        return await InboundEvent.exists().where(
            (InboundEvent.email == EMAIL) & (InboundEvent.status != "received")
        )

    await wait_until(handled, timeout=15)
    # A segment whose required field the person lacks: an "invalid" sync-run row names them.
    newsletter = await segments.create(
        owner.principal,
        SegmentInput(
            name="Newsletter", list_id=NEWSLETTER, field_mapping={"DEPTCODE": "department"}
        ),
    )
    await sync(owner, newsletter.id)
    assert await SyncRunItem.exists().where(SyncRunItem.email == EMAIL)
    await services.set_preference(owner.principal, person["id"], status="opted_out", source="ui")
    await pushes_settled(person["id"])
    # An import that refused a row quoting them, and an upload nobody imported yet.
    row = f"{EMAIL},{FIRST},{LAST}\n"
    csv = f"email,first_name,last_name\n{row}{row}".encode()
    done = await finished(
        await imports.receive_and_start(owner.principal, Upload("people.csv", io.BytesIO(csv)))
    )
    assert done["rejected_count"] == 1
    await imports.receive(owner.principal, Upload("later.csv", io.BytesIO(csv)))
    return world, person


async def test_erasure_removes_the_person_from_mailchimp_and_from_every_table(db, sandbox):
    world, person = await _a_person_known_everywhere(sandbox)
    assert await places_holding(EMAIL)  # the scan does find them before

    started, created = await erasure.request_erasure(world.owner.principal, person["id"])

    assert created
    assert {a["list_id"] for a in started["audiences"]} == {EMPLOYEES, EVERYONE}
    done = await erasure_ends(world.owner, started["id"], "done")
    assert all(a["status"] == "done" for a in done["audiences"])
    assert world.member(EMPLOYEES, EMAIL) is None
    assert world.member(EVERYONE, EMAIL) is None
    assert await places_holding(EMAIL, FIRST, LAST) == []
    scrubbed = await Contact.objects().where(Contact.id == person["id"]).first()
    assert scrubbed.email == f"erased-{person['id']}@erased.invalid"
    assert scrubbed.soft_deleted_at is not None


async def test_the_erasure_is_audited_with_the_hash_and_audiences_only(db, sandbox):
    world, person = await _a_person_known_everywhere(sandbox)

    started, _ = await erasure.request_erasure(world.owner.principal, person["id"])
    await erasure_ends(world.owner, started["id"], "done")

    entry = await (
        AuditLog.objects().where(AuditLog.action == "contact.erased").output(load_json=True).first()
    )
    assert entry.entity_id == str(person["id"])
    assert entry.changes["subscriber_hash"] == subscriber_hash(EMAIL)
    assert {a["list_id"] for a in entry.changes["audiences"]} == {EMPLOYEES, EVERYONE}
    assert entry.actor_label == world.owner.email
    created = await (
        AuditLog.objects()
        .where(AuditLog.action == "contact.created")
        .output(load_json=True)
        .first()
    )
    assert "redacted" in created.changes  # kept: what happened, when and by whom


async def test_mailchimp_refuses_to_take_an_erased_person_back(db, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner, email=EMAIL)
    await world.sync_all()
    started, _ = await erasure.request_erasure(world.owner.principal, person["id"])
    await erasure_ends(world.owner, started["id"], "done")

    again = await make_contact(world.owner, email=EMAIL)
    run = await sync(world.owner, world.segment_ids[0])

    assert world.member(EMPLOYEES, EMAIL) is None
    assert run.rejected == 1
    refused = await SyncRunItem.objects().where(SyncRunItem.contact_id == again["id"]).first()
    assert refused.error_code == "forgotten_email"


async def test_asking_twice_answers_the_same_erasure_and_changes_nothing(db, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner)
    await world.sync_all()
    first, created = await erasure.request_erasure(world.owner.principal, person["id"])
    await erasure_ends(world.owner, first["id"], "done")
    entries = await AuditLog.count()

    second, created_again = await erasure.request_erasure(world.owner.principal, person["id"])
    await erasure.run(first["id"])  # the job again, say from a duplicate delivery

    assert created
    assert not created_again
    assert second["id"] == first["id"]
    assert second["status"] == "done"
    assert await AuditLog.count() == entries


async def test_an_outage_leaves_the_erasure_incomplete_until_mailchimp_is_back(db, sandbox):
    from app.mailchimp.sandbox.seed import faults_from

    world = await synced_world(sandbox)
    person = await make_contact(world.owner, email=EMAIL, first_name=FIRST)
    await world.sync_all()
    world.account.set_faults(faults_from({"rate_500": 1.0}))

    started, _ = await erasure.request_erasure(world.owner.principal, person["id"])
    stuck = await erasure_ends(world.owner, started["id"], "incomplete")

    assert stuck["last_error"]
    assert any(a["status"] == "failed" for a in stuck["audiences"])
    assert await places_holding(FIRST)  # nothing of ours is scrubbed while a copy remains
    assert world.member(EMPLOYEES, EMAIL) is not None

    world.account.set_faults(faults_from({}))
    await erasure.retry(world.owner.principal, started["id"])
    done = await erasure_ends(world.owner, started["id"], "done")

    assert done["attempts"] == 2
    assert world.member(EMPLOYEES, EMAIL) is None
    assert world.member(EVERYONE, EMAIL) is None
    assert await places_holding(EMAIL, FIRST) == []
