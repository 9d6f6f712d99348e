"""People leaving a segment, each removal policy, and syncs that meet Mailchimp's bad days."""

from __future__ import annotations

import pytest

from app.domain.contacts import services as contacts
from app.domain.segments.tables import AudienceMember, SyncRunItem
from app.mailchimp.sandbox.seed import faults_from
from tests.contact_factories import make_contact, make_contacts
from tests.integration.segments.sync_helpers import audience, connected, make_segment, sync, writes


@pytest.mark.parametrize(
    ("policy", "left_status"),
    [
        ("none", "subscribed"),
        ("unsubscribe", "unsubscribed"),
        ("archive", "archived"),
        ("delete_permanent", None),
    ],
)
async def test_each_removal_policy_applies_to_people_who_left(db, sandbox, policy, left_status):
    owner, _key, account = await connected(sandbox)
    stays = await make_contact(owner, department="Sales")
    leaves = await make_contact(owner, department="Sales")
    deleted = await make_contact(owner, department="Sales")
    segment = await make_segment(
        owner, filter_criteria={"department": ["Sales"]}, removal_policy=policy
    )
    await sync(owner, segment.id)

    await contacts.update_contact(owner.principal, leaves["id"], {"department": "Finance"})
    await contacts.delete_contact(owner.principal, deleted["id"])
    run = await sync(owner, segment.id)

    held = audience(account)
    assert held[stays["email"]].status == "subscribed"
    for person in (leaves, deleted):
        if left_status is None:
            assert person["email"] not in held
        else:
            assert held[person["email"]].status == left_status
    assert run.removed == (0 if policy == "none" else 2)
    if policy != "none":
        removed = await SyncRunItem.objects().where(SyncRunItem.outcome == "removed")
        assert {i.email for i in removed} == {leaves["email"], deleted["email"]}


async def test_a_removed_person_who_comes_back_is_added_again(db, sandbox):
    owner, _, account = await connected(sandbox)
    person = await make_contact(owner, department="Sales")
    segment = await make_segment(
        owner, filter_criteria={"department": ["Sales"]}, removal_policy="archive"
    )
    await sync(owner, segment.id)
    await contacts.update_contact(owner.principal, person["id"], {"department": "Finance"})
    await sync(owner, segment.id)
    assert audience(account)[person["email"]].status == "archived"

    await contacts.update_contact(owner.principal, person["id"], {"department": "Sales"})
    run = await sync(owner, segment.id)

    assert audience(account)[person["email"]].status == "subscribed"
    assert run.status == "completed"


async def test_a_sync_through_429s_500s_and_timeouts_still_ends_exact(db, sandbox):
    owner, _key, account = await connected(sandbox)
    await make_contacts(owner, 5000, department="Sales")
    segment = await make_segment(owner)
    account.set_faults(
        faults_from(
            {
                "rate_429": 0.1,
                "retry_after": 1,
                "rate_500": 0.05,
                "rate_timeout": 0.05,
                "timeout_seconds": 6,
                "seed": 7,
            }
        )
    )

    run = await sync(owner, segment.id, timeout=240)

    assert run.status == "completed", run.error
    assert run.created == 5000
    held = audience(account)
    assert len(held) == 5000
    assert all(member.status == "subscribed" for member in held.values())
    assert await AudienceMember.count() == 5000


async def test_mailchimp_rejecting_the_key_mid_life_ends_the_run_in_words(db, sandbox):
    owner, key, _ = await connected(sandbox)
    await make_contacts(owner, 3)
    segment = await make_segment(owner)
    sandbox.state.api_keys[key].revoked = True

    run = await sync(owner, segment.id)

    assert run.status == "failed"
    assert "rejected" in run.error.lower() or "api key" in run.error.lower()
    refreshed = await segment.__class__.objects().first()
    assert refreshed.status == "error"
    assert refreshed.last_error == run.error


async def test_a_segment_never_runs_twice_at_once(db, sandbox):
    from app.domain.segments import runs
    from app.lib.errors import Conflict

    owner, key, account = await connected(sandbox)
    await make_contacts(owner, 600)
    segment = await make_segment(owner)
    account.set_faults(faults_from({"latency_ms": 200}))
    first = await runs.request(owner.principal, segment.id)

    with pytest.raises(Conflict):
        await runs.request(owner.principal, segment.id)
    await sync_wait(owner, first.id)
    assert max(writes(sandbox, key).values()) == 1


async def sync_wait(owner, run_id: int) -> None:
    from app.domain.segments import runs
    from tests.fixtures.app import wait_until

    async def done():
        run = await runs.get(owner.principal, run_id)
        return run.status in ("completed", "failed")

    await wait_until(done, timeout=60)
