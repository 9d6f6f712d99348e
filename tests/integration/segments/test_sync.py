"""The sync engine: the audience ends up holding what the segment says, and no more is sent."""

from __future__ import annotations

import json
from datetime import timedelta

from app.domain.contacts import services as contacts
from app.domain.segments import services
from app.domain.segments.services import SegmentInput
from app.domain.segments.tables import AudienceMember, Segment, SyncRunItem
from app.mailchimp.paths import subscriber_hash
from tests.contact_factories import make_contact, make_contacts
from tests.integration.segments.sync_helpers import (
    AUDIENCE,
    audience,
    connected,
    make_segment,
    sync,
    writes,
)


async def test_a_first_sync_puts_every_selected_contact_in_the_audience(db, sandbox):
    owner, _key, account = await connected(sandbox)
    ada = await make_contact(
        owner, first_name="Ada", last_name="Lovelace", department="Engineering"
    )
    grace = await make_contact(owner, first_name="Grace", department="Sales")
    await make_contact(owner, entity_type="vendor", first_name="Vera", department="Sales")
    segment = await make_segment(owner, tags=["staff"])

    run = await sync(owner, segment.id)

    assert run.status == "completed", run.error
    held = audience(account)
    assert set(held) == {ada["email"], grace["email"]}
    member = held[ada["email"]]
    assert member.status == "subscribed"
    assert member.merge_fields["FNAME"] == "Ada"
    assert member.merge_fields["DEPT"] == "Engineering"
    assert set(member.tags) == {"staff"}
    assert (run.selected, run.created, run.updated, run.unchanged) == (2, 2, 0, 0)
    assert (await Segment.objects().first()).status == "synced"


async def test_an_incremental_sync_sends_only_what_changed(db, sandbox):
    owner, key, account = await connected(sandbox)
    await make_contacts(owner, 1200, department="Sales")
    changed = await make_contact(owner, first_name="Before", department="Sales")
    segment = await make_segment(owner)
    first = await sync(owner, segment.id)
    assert (first.created, first.api_calls) == (1201, 3)

    await contacts.update_contact(owner.principal, changed["id"], {"first_name": "After"})
    second = await sync(owner, segment.id)

    assert (second.selected, second.updated, second.unchanged, second.created) == (1201, 1, 1200, 0)
    assert second.api_calls == 1  # ceil(1 changed / 500)
    assert audience(account)[changed["email"]].merge_fields["FNAME"] == "After"
    assert writes(sandbox, key)[changed["email"]] == 2
    assert max(writes(sandbox, key).values()) == 2


async def test_a_full_sync_sends_everyone_again(db, sandbox):
    owner, key, _ = await connected(sandbox)
    await make_contacts(owner, 30)
    segment = await make_segment(owner)
    await sync(owner, segment.id)

    full = await sync(owner, segment.id, mode="full")

    assert (full.updated, full.unchanged) == (30, 0)
    assert set(writes(sandbox, key).values()) == {2}


async def test_someone_who_unsubscribed_in_mailchimp_is_never_subscribed_again(db, sandbox):
    owner, _key, account = await connected(sandbox)
    grace = await make_contact(owner, first_name="Grace")
    segment = await make_segment(owner)
    await sync(owner, segment.id)
    member = audience(account)[grace["email"]]
    member.status = "unsubscribed"  # she clicked "unsubscribe" in an email
    await contacts.update_contact(owner.principal, grace["id"], {"first_name": "Grace H."})

    for mode in ("incremental", "full"):
        run = await sync(owner, segment.id, mode=mode)
        assert run.status == "completed"
        assert audience(account)[grace["email"]].status == "unsubscribed"
    assert audience(account)[grace["email"]].merge_fields["FNAME"] == "Grace H."
    row = await AudienceMember.objects().where(AudienceMember.email == grace["email"]).first()
    assert row.status == "unsubscribed"


async def test_a_sync_reads_the_status_and_tags_mailchimp_holds(db, sandbox):
    owner, _key, account = await connected(sandbox)
    ada = await make_contact(owner)
    segment = await make_segment(owner)
    await sync(owner, segment.id)
    member = audience(account)[ada["email"]]
    # An admin unsubscribed and tagged her in Mailchimp, and no webhook told us.
    member.status = "unsubscribed"
    member.tags["VIP"] = member.last_changed
    member.last_changed = sandbox.state.now() + timedelta(seconds=5)  # past our writes' mark

    run = await sync(owner, segment.id)

    assert run.status == "completed"
    row = await AudienceMember.objects().where(AudienceMember.email == ada["email"]).first()
    tags = json.loads(row.tags) if isinstance(row.tags, str) else row.tags
    assert (row.status, tags) == ("unsubscribed", ["VIP"])
    assert row.last_changed is not None


async def test_new_members_join_as_pending_when_the_segment_asks_for_double_opt_in(db, sandbox):
    owner, _, account = await connected(sandbox, double_optin=True)
    person = await make_contact(owner)
    segment = await make_segment(owner, status_if_new="pending")

    await sync(owner, segment.id)

    assert audience(account)[person["email"]].status == "pending"


async def test_invalid_rows_cost_no_call_and_say_why(db, sandbox):
    owner, key, account = await connected(sandbox)
    good = await make_contact(owner, attributes={"start": "2021-04-01"})
    bad = await make_contact(owner, attributes={"start": "the first of april"})
    segment = await make_segment(owner, field_mapping={"START": "attribute:start"})

    run = await sync(owner, segment.id)

    assert (run.created, run.invalid) == (1, 1)
    assert set(audience(account)) == {good["email"]}
    assert bad["email"] not in writes(sandbox, key)
    item = await SyncRunItem.objects().where(SyncRunItem.outcome == "invalid").first()
    assert item.email == bad["email"]
    assert "START" in item.message
    assert "not a date" in item.message


async def test_mailchimp_refusals_become_distinct_readable_outcomes(db, sandbox):
    owner, _, account = await connected(sandbox)
    await make_contact(owner, email="someone@example.com")  # Mailchimp calls this fake
    forgotten = await make_contact(owner)
    segment = await make_segment(owner)
    await sync(owner, segment.id)
    # Someone deleted her permanently in Mailchimp: re-adding her must fail, as it does there.
    staff = account.audiences[AUDIENCE]
    staff.members.pop(subscriber_hash(forgotten["email"]))
    staff.forgotten.add(subscriber_hash(forgotten["email"]))
    await contacts.update_contact(owner.principal, forgotten["id"], {"first_name": "Changed"})

    run = await sync(owner, segment.id)

    items = {
        i.email: i for i in await SyncRunItem.objects().where(SyncRunItem.outcome == "rejected")
    }
    assert items["someone@example.com"].error_code == "fake_email"
    assert "looks fake or invalid" in items["someone@example.com"].message
    assert items[forgotten["email"]].error_code == "forgotten_email"
    assert run.rejected == 2
    assert run.status == "completed"


async def test_tags_are_added_and_taken_away_only_where_they_changed(db, sandbox):
    owner, _key, account = await connected(sandbox)
    person = await make_contact(owner)
    segment = await make_segment(owner, tags=["staff", "berlin"])
    await sync(owner, segment.id)
    assert set(audience(account)[person["email"]].tags) == {"staff", "berlin"}
    calls_before = len(account.request_log)

    data = SegmentInput(
        **{name: getattr(segment, name) for name in SegmentInput.__dataclass_fields__}
    )
    data.tags = ["staff", "lisbon"]
    await services.update(owner.principal, segment.id, data)
    await sync(owner, segment.id)

    assert set(audience(account)[person["email"]].tags) == {"staff", "lisbon"}
    tag_calls = [e for e in account.request_log[calls_before:] if e.path.endswith("/tags")]
    assert len(tag_calls) == 1


async def test_dry_run_reports_what_would_happen_and_changes_nothing(db, sandbox):
    owner, _key, account = await connected(sandbox)
    await make_contacts(owner, 5)
    segment = await make_segment(owner, removal_policy="unsubscribe")

    dry = await sync(owner, segment.id, mode="dry_run")

    assert (dry.selected, dry.created, dry.updated) == (5, 5, 0)
    assert audience(account) == {}
    assert (await Segment.objects().first()).status == "pending"
