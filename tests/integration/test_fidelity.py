"""Fidelity: random histories of what people do; after each sync Mailchimp holds what they meant.

Hypothesis draws a history — contacts created, edited and deleted, the segment's filter and tags
changed, people unsubscribing or bouncing in Mailchimp, syncs (incremental or full, some through
injected 429s and 500s) — and a model of the user's intent is kept beside it. After each sync the
sandbox audience must equal the model, and nobody who had unsubscribed or been cleaned may ever
have become subscribed.

CI runs a short profile; `just fidelity` runs 1,000 histories and prints how many diverged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.contacts import services as contacts
from app.domain.segments import services as segments
from app.domain.segments.services import SegmentInput
from app.mailchimp.sandbox.seed import faults_from
from app.mailchimp.sandbox.state import Faults
from tests.contact_factories import DOMAIN
from tests.fixtures.app import _truncate_everything
from tests.integration.segments.sync_helpers import audience, connected, make_segment, sync

EXAMPLES = int(os.environ.get("LISTBRIDGE_FIDELITY_EXAMPLES", "25"))
PEOPLE = 6
DEPARTMENTS = ("Sales", "Support")
TAGS = ("staff", "vip")
POLICIES = ("none", "unsubscribe", "archive", "delete_permanent")
COMPLIANCE = ("unsubscribed", "cleaned")
DIVERGENCES: list[str] = []


@dataclass
class Person:
    email: str
    first_name: str
    department: str
    contact_id: int
    live: bool = True


@dataclass
class Expected:
    """What the user meant Mailchimp to hold for one address."""

    status: str | None = None  # None: not in the audience
    placed: bool = False  # our segment put them there (so its removal policy applies)
    forgotten: bool = False  # deleted permanently: Mailchimp refuses them from now on
    compliance: str | None = None  # unsubscribed/cleaned survive archiving


@dataclass
class Model:
    policy: str
    departments: set[str] = field(default_factory=lambda: {"Sales"})
    tags: set[str] = field(default_factory=lambda: {"staff"})
    people: dict[int, Person] = field(default_factory=dict)
    expected: dict[str, Expected] = field(default_factory=dict)

    def selected(self, person: Person) -> bool:
        return person.live and person.department in self.departments

    def after_sync(self) -> None:
        for person in self.people.values():
            state = self.expected.setdefault(person.email, Expected())
            if self.selected(person):
                if state.forgotten:
                    continue  # refused, as Mailchimp refuses a permanently deleted address
                if state.status in COMPLIANCE:
                    pass  # never subscribed again
                elif state.status == "archived":
                    state.status = state.compliance or "subscribed"
                else:
                    state.status = "subscribed"
                state.placed = True
            elif state.placed:
                state.placed = False
                if self.policy == "unsubscribe" and state.status == "subscribed":
                    state.status = state.compliance = "unsubscribed"
                elif self.policy == "archive" and state.status not in (None, "archived"):
                    state.compliance = state.status if state.status in COMPLIANCE else None
                    state.status = "archived"
                elif self.policy == "delete_permanent":
                    state.status, state.forgotten = None, True


operations = st.one_of(
    st.tuples(st.just("create"), st.integers(0, PEOPLE - 1), st.sampled_from(DEPARTMENTS)),
    st.tuples(st.just("rename"), st.integers(0, PEOPLE - 1), st.sampled_from(("Ada", "Bo", "Cy"))),
    st.tuples(st.just("move"), st.integers(0, PEOPLE - 1), st.sampled_from(DEPARTMENTS)),
    st.tuples(st.just("delete"), st.integers(0, PEOPLE - 1), st.none()),
    st.tuples(st.just("filter"), st.sets(st.sampled_from(DEPARTMENTS), min_size=1), st.none()),
    st.tuples(st.just("tags"), st.sets(st.sampled_from(TAGS)), st.none()),
    st.tuples(st.just("unsubscribe"), st.integers(0, PEOPLE - 1), st.none()),
    st.tuples(st.just("clean"), st.integers(0, PEOPLE - 1), st.none()),
    st.tuples(st.just("sync"), st.sampled_from(("incremental", "full")), st.booleans()),
)


async def _apply(op: tuple, model: Model, owner, segment_id: int, account, sandbox) -> None:
    kind, first, second = op
    person = model.people.get(first) if isinstance(first, int) else None
    if kind == "create" and person is None:
        created = await contacts.create_contact(
            owner.principal,
            {
                "email": f"fid{first}@{DOMAIN}",
                "entity_type": "employee",
                "first_name": "Ann",
                "department": second,
            },
        )
        model.people[first] = Person(created["email"], "Ann", second, created["id"])
    elif kind in ("rename", "move") and person is not None and person.live:
        change = {"first_name": second} if kind == "rename" else {"department": second}
        await contacts.update_contact(owner.principal, person.contact_id, change)
        person.first_name = change.get("first_name", person.first_name)
        person.department = change.get("department", person.department)
    elif kind == "delete" and person is not None and person.live:
        await contacts.delete_contact(owner.principal, person.contact_id)
        person.live = False
    elif kind in ("filter", "tags"):
        current = await segments.get(owner.principal, segment_id)
        data = SegmentInput(
            **{name: getattr(current, name) for name in SegmentInput.__dataclass_fields__}
        )
        if kind == "filter":
            data.filter_criteria = {"department": sorted(first)}
            model.departments = set(first)
        else:
            data.tags = sorted(first)
            model.tags = set(first)
        await segments.update(owner.principal, segment_id, data)
    elif kind in ("unsubscribe", "clean") and person is not None:
        member = audience(account).get(person.email)
        expected = model.expected.get(person.email)
        if member is not None and member.status in ("subscribed", "pending") and expected:
            # Done by the person (or an admin) in Mailchimp, not through our API.
            member.status = "unsubscribed" if kind == "unsubscribe" else "cleaned"
            expected.status = expected.compliance = member.status
    elif kind == "sync":
        faulty = second
        account.set_faults(
            faults_from({"rate_429": 0.25, "retry_after": 0, "rate_500": 0.05, "seed": 3})
            if faulty
            else Faults()
        )
        before = {email: m.status for email, m in audience(account).items()}
        run = await sync(owner, segment_id, mode=first)
        account.set_faults(Faults())
        assert run.status == "completed", run.error
        model.after_sync()
        _compare(model, account, before)


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
        if member is not None and model.selected(person) and status != "archived":
            if member.merge_fields.get("FNAME") != person.first_name:
                DIVERGENCES.append(f"{person.email}: FNAME {member.merge_fields.get('FNAME')}")
            if set(member.tags) != model.tags:
                DIVERGENCES.append(
                    f"{person.email}: tags {sorted(member.tags)} not {sorted(model.tags)}"
                )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(policy=st.sampled_from(POLICIES), history=st.lists(operations, min_size=4, max_size=14))
async def test_the_audience_always_ends_as_the_user_meant(db, sandbox, policy, history):
    await _truncate_everything()
    sandbox.reset()
    owner, _, account = await connected(sandbox)
    segment = await make_segment(
        owner,
        field_mapping={"FNAME": "first_name"},
        filter_criteria={"department": ["Sales"]},
        tags=["staff"],
        removal_policy=policy,
    )
    model = Model(policy=policy)
    found = len(DIVERGENCES)
    for op in [*history, ("sync", "incremental", False)]:
        await _apply(op, model, owner, segment.id, account, sandbox)
    assert len(DIVERGENCES) == found, DIVERGENCES[found:]


def test_fidelity_summary():
    """Printed by `just fidelity` (run with -s): how many histories ran and diverged."""
    print(f"\nfidelity: {EXAMPLES} histories, {len(DIVERGENCES)} divergences")
    assert DIVERGENCES == []
