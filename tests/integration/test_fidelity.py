"""Fidelity: random histories of what people do; after each sync Mailchimp holds what they meant.

Hypothesis draws a history — contacts created, edited, deleted and erased; the segment's filter,
mapping and tags changed; opt-outs and opt-ins; people unsubscribing, bouncing or editing their
profile in Mailchimp (with the webhook delivered to us, or lost); syncs (incremental or full, some
through injected 429s and 500s) — and a model of the user's intent (fidelity_model.py) is kept
beside it. After each sync the sandbox audience must equal the model, and nobody who had
unsubscribed, been cleaned or opted out may ever have become subscribed.

CI runs 25 histories per backend pass; `just fidelity` runs 1,000 and prints how many diverged.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.contacts import services as contacts
from app.domain.preferences import erasure
from app.domain.preferences import services as preferences
from app.domain.preferences.tables import PreferencePush
from app.domain.segments import services as segments
from app.domain.segments.services import SegmentInput
from app.mailchimp.sandbox import Sandbox
from app.mailchimp.sandbox.seed import faults_from
from app.mailchimp.sandbox.state import Account, Faults
from tests.contact_factories import DOMAIN
from tests.factories import Member
from tests.fixtures.app import _empty_tables, _worker_idle, wait_until
from tests.integration.fidelity_model import COMPLIANCE, Expected, Model, Person
from tests.integration.inbound.helpers import change, settled
from tests.integration.segments.sync_helpers import audience, connected, make_segment, sync

# `just test` runs this file in both backend passes: 25 + 25 = the CI profile's ~50 histories.
EXAMPLES = int(os.environ.get("LISTBRIDGE_FIDELITY_EXAMPLES", "25"))
PEOPLE = 4
DEPARTMENTS = ("Sales", "Support")
TAGS = ("staff", "vip")
POLICIES = ("none", "unsubscribe", "archive", "delete_permanent")
DIVERGENCES: list[str] = []
APPLIED: Counter[str] = Counter()  # steps that did something, by kind (shows the run is not idle)


NAMES = ("Ada", "Bo", "Cy")
person_index = st.integers(0, PEOPLE - 1)
operations = st.one_of(
    st.tuples(st.just("create"), person_index, st.sampled_from(DEPARTMENTS)),
    st.tuples(st.just("rename"), person_index, st.sampled_from(NAMES)),
    st.tuples(st.just("rename_last"), person_index, st.sampled_from(NAMES)),
    st.tuples(st.just("move"), person_index, st.sampled_from(DEPARTMENTS)),
    st.tuples(st.just("delete"), person_index, st.none()),
    st.tuples(st.just("filter"), st.sets(st.sampled_from(DEPARTMENTS), min_size=1), st.none()),
    st.tuples(st.just("tags"), st.sets(st.sampled_from(TAGS)), st.none()),
    st.tuples(st.just("mapping"), st.booleans(), st.none()),
    st.tuples(st.just("opt_out"), person_index, st.none()),
    st.tuples(st.just("opt_in"), person_index, st.none()),
    st.tuples(st.just("erase"), person_index, st.none()),
    # In Mailchimp, with the webhook lost (state only) or delivered to us (hook_*).
    st.tuples(st.just("unsubscribe"), person_index, st.none()),
    st.tuples(st.just("clean"), person_index, st.none()),
    st.tuples(st.just("hook_unsubscribe"), person_index, st.none()),
    st.tuples(st.just("hook_clean"), person_index, st.none()),
    st.tuples(st.just("hook_profile"), person_index, st.sampled_from(NAMES)),
    st.tuples(st.just("sync"), st.sampled_from(("incremental", "full")), st.booleans()),
)


@dataclass
class World:
    owner: Member
    key: str
    account: Account
    sandbox: Sandbox
    segment_id: int
    model: Model

    def member(self, person: Person):
        return audience(self.account).get(person.email)


async def _apply(op: tuple, world: World) -> bool:
    """Do one step of the history; False when it does not apply (e.g. no such person yet)."""
    kind, first, second = op
    model, owner = world.model, world.owner
    person = model.people.get(first) if isinstance(first, int) else None
    if kind == "create":
        if person is not None:
            return False
        await _create(world, first, second)
    elif kind in ("filter", "tags", "mapping"):
        await _edit_segment(world, kind, first)
    elif kind == "sync":
        await _sync(world, mode=first, faulty=second)
    elif person is None:
        return False
    elif kind == "erase":
        if person.erased:
            return False
        row, _ = await erasure.request_erasure(owner.principal, person.contact_id)
        await _erasure_done(owner, row["id"])
        model.erase(person)
    elif kind in ("rename", "rename_last", "move", "delete", "opt_out", "opt_in"):
        if not person.live:
            return False
        await _edit_contact(world, kind, person, second)
    else:
        return await _in_mailchimp(world, kind, person, second)
    return True


async def _edit_contact(world: World, kind: str, person: Person, value: str | None) -> None:
    principal = world.owner.principal
    if kind == "delete":
        await contacts.delete_contact(principal, person.contact_id)
        person.live = False
    elif kind in ("opt_out", "opt_in"):
        status = "opted_out" if kind == "opt_out" else "opted_in"
        await preferences.set_preference(principal, person.contact_id, status=status, source="ui")
        await _pushes_settled(person)
        (world.model.opt_out if kind == "opt_out" else world.model.opt_in)(person)
    else:
        name = {"rename": "first_name", "rename_last": "last_name", "move": "department"}[kind]
        await contacts.update_contact(principal, person.contact_id, {name: value})
        setattr(person, name, value)


async def _create(world: World, index: int, department: str) -> None:
    created = await contacts.create_contact(
        world.owner.principal,
        {
            "email": f"fid{index}@{DOMAIN}",
            "entity_type": "employee",
            "first_name": "Ann",
            "last_name": "Lee",
            "department": department,
        },
    )
    world.model.people[index] = Person(created["email"], "Ann", "Lee", department, created["id"])


async def _edit_segment(world: World, kind: str, value) -> None:
    model = world.model
    current = await segments.get(world.owner.principal, world.segment_id)
    data = SegmentInput(
        **{name: getattr(current, name) for name in SegmentInput.__dataclass_fields__}
    )
    if kind == "filter":
        data.filter_criteria = {"department": sorted(value)}
        model.departments = set(value)
    elif kind == "tags":
        data.tags = sorted(value)
        model.tags = set(value)
    else:
        data.field_mapping = {"FNAME": "first_name", **({"LNAME": "last_name"} if value else {})}
        model.maps_last_name = value
    await segments.update(world.owner.principal, world.segment_id, data)


async def _in_mailchimp(world: World, kind: str, person: Person, name: str | None) -> bool:
    """What a subscriber or an admin does in Mailchimp itself."""
    member = world.member(person)
    # Unsubscribing and cleaning happen to those Mailchimp emails; anyone held edits a profile.
    held = ("subscribed", "pending", "unsubscribed", "cleaned")
    acts_on = held if kind == "hook_profile" else ("subscribed", "pending")
    if member is None or member.status not in acts_on:
        return False
    if kind in ("unsubscribe", "clean"):
        # The webhook never reached us: only Mailchimp knows.
        member.status = "unsubscribed" if kind == "unsubscribe" else "cleaned"
        world.model.mailchimp_changed(person, member.status)
        return True
    action = {"hook_unsubscribe": "unsubscribe", "hook_clean": "clean"}.get(kind, "edit_profile")
    body = {"merge_fields": {"FNAME": name}} if action == "edit_profile" else {}
    await change(world.sandbox, world.key, person.email, action, **body)
    await settled(world.sandbox)
    if action == "edit_profile":
        if person.live:  # their contact follows the field they changed, and nothing else
            person.first_name = name
        return True
    world.model.mailchimp_changed(person, member.status)
    if action == "unsubscribe" and person.live:
        await _pushes_settled(person)
        world.model.opt_out(person)  # unsubscribing in Mailchimp is an opt-out
    return True


async def _sync(world: World, *, mode: str, faulty: bool) -> None:
    account = world.account
    account.set_faults(
        faults_from({"rate_429": 0.25, "retry_after": 0, "rate_500": 0.05, "seed": 3})
        if faulty
        else Faults()
    )
    before = {email: m.status for email, m in audience(account).items()}
    run = await sync(world.owner, world.segment_id, mode=mode)
    account.set_faults(Faults())
    assert run.status == "completed", run.error
    world.model.after_sync()
    _compare(world.model, account, before)


async def _pushes_settled(person: Person) -> None:
    async def settled_pushes():
        busy = await PreferencePush.count().where(
            (PreferencePush.contact_id == person.contact_id)
            & PreferencePush.status.is_in(["queued", "retrying"])
        )
        return busy == 0

    await wait_until(settled_pushes, timeout=30)


async def _erasure_done(owner: Member, erasure_id: int) -> None:
    async def done():
        row = await erasure.get_erasure(owner.principal, erasure_id)
        return row["status"] == "done"

    await wait_until(done, timeout=30)


def _compare(model: Model, account, before: dict[str, str]) -> None:
    held = audience(account)
    for email, was in before.items():
        if was in COMPLIANCE and held.get(email) and held[email].status == "subscribed":
            DIVERGENCES.append(f"{email} was {was} and became subscribed")
    for person in model.people.values():
        expected = model.expected.get(person.email, Expected())
        member = held.get(person.email)
        status = member.status if member else None
        if status != expected.status:
            DIVERGENCES.append(
                f"{person.email}: expected {expected.status}, Mailchimp has {status}"
            )
            continue
        if person.opted_out and status == "subscribed":
            DIVERGENCES.append(f"{person.email} opted out and is subscribed")
        if member is None or not model.selected(person) or status == "archived":
            continue
        wanted = {"FNAME": person.first_name}
        if model.maps_last_name:
            wanted["LNAME"] = person.last_name
        for tag, value in wanted.items():
            if member.merge_fields.get(tag) != value:
                DIVERGENCES.append(f"{person.email}: {tag} {member.merge_fields.get(tag)!r}")
        if set(member.tags) != model.tags:
            DIVERGENCES.append(
                f"{person.email}: tags {sorted(member.tags)} not {sorted(model.tags)}"
            )


# Most steps act on a person, so every history starts with a few people, synced once.
beginnings = st.lists(
    st.tuples(st.just("create"), person_index, st.sampled_from(DEPARTMENTS)),
    min_size=2,
    max_size=PEOPLE,
).map(lambda creates: [*creates, ("sync", "incremental", False)])


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    policy=st.sampled_from(POLICIES),
    beginning=beginnings,
    history=st.lists(operations, min_size=4, max_size=16),
)
async def test_the_audience_always_ends_as_the_user_meant(db, sandbox, policy, beginning, history):
    await _worker_idle()  # the last history's sync job may still be closing (same ids again)
    await _empty_tables()
    sandbox.reset()
    owner, key, account = await connected(sandbox)
    segment = await make_segment(
        owner,
        field_mapping={"FNAME": "first_name"},
        filter_criteria={"department": ["Sales"]},
        tags=["staff"],
        removal_policy=policy,
    )
    world = World(owner, key, account, sandbox, segment.id, Model(policy=policy))
    found = len(DIVERGENCES)
    for op in [*beginning, *history, ("sync", "incremental", False)]:
        if await _apply(op, world):
            APPLIED[op[0]] += 1
    assert len(DIVERGENCES) == found, DIVERGENCES[found:]


def test_fidelity_summary():
    """Printed by `just fidelity` (run with -s): how many histories ran and diverged."""
    steps = ", ".join(f"{kind} {count}" for kind, count in sorted(APPLIED.items()))
    print(f"\nfidelity: {EXAMPLES} histories, {len(DIVERGENCES)} divergences; steps: {steps}")
    assert DIVERGENCES == []
