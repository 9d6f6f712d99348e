"""The fidelity test's model: what the user meant Mailchimp to hold, kept beside a random history.

It knows nothing of how the app syncs; it encodes what a person who used the product would expect
of each thing they did, and of what happened to their members in Mailchimp.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPLIANCE = ("unsubscribed", "cleaned")


@dataclass
class Person:
    email: str
    first_name: str
    last_name: str
    department: str
    contact_id: int
    live: bool = True
    opted_out: bool = False
    erased: bool = False


@dataclass
class Expected:
    """What the user meant Mailchimp to hold for one address."""

    status: str | None = None  # None: not in the audience
    placed: bool = False  # our segment put them there (so its removal policy applies)
    forgotten: bool = False  # deleted permanently: Mailchimp refuses them from now on
    kept: str | None = None  # the status an archived member returns with when re-added


@dataclass
class Model:
    policy: str
    departments: set[str] = field(default_factory=lambda: {"Sales"})
    tags: set[str] = field(default_factory=lambda: {"staff"})
    maps_last_name: bool = False
    people: dict[int, Person] = field(default_factory=dict)
    expected: dict[str, Expected] = field(default_factory=dict)

    def selected(self, person: Person) -> bool:
        return person.live and person.department in self.departments

    def state(self, person: Person) -> Expected:
        return self.expected.setdefault(person.email, Expected())

    def mailchimp_changed(self, person: Person, status: str) -> None:
        """Someone unsubscribed or an address bounced, in Mailchimp itself."""
        self.state(person).status = status

    def opt_out(self, person: Person) -> None:
        """The contact said no: whoever holds them stops emailing them."""
        person.opted_out = True
        state = self.state(person)
        if state.status in ("subscribed", "pending"):
            state.status = "unsubscribed"

    def opt_in(self, person: Person) -> None:
        """The contact said yes again: an unsubscribed member is asked to confirm (pending)."""
        person.opted_out = False
        state = self.state(person)
        if state.status == "unsubscribed":
            state.status = "pending"

    def erase(self, person: Person) -> None:
        """GDPR erasure: gone here, and deleted permanently from Mailchimp."""
        person.live, person.erased = False, True
        state = self.state(person)
        if state.status is not None:
            state.status, state.forgotten, state.placed = None, True, False

    def after_sync(self) -> None:
        for person in self.people.values():
            state = self.state(person)
            if self.selected(person):
                self._place(person, state)
            elif state.placed:
                self._remove(state)

    def _place(self, person: Person, state: Expected) -> None:
        if state.forgotten:
            return  # refused, as Mailchimp refuses a permanently deleted address
        if person.opted_out and state.status in (None, "archived"):
            return  # adding them back would subscribe someone who said no
        if state.status == "archived":
            state.status = state.kept or "subscribed"
        elif state.status is None:
            state.status = "subscribed"
        # Otherwise the member keeps their status: an upsert never changes it.
        state.placed = True

    def _remove(self, state: Expected) -> None:
        state.placed = False
        if self.policy == "unsubscribe" and state.status in ("subscribed", "pending"):
            state.status = "unsubscribed"
        elif self.policy == "archive" and state.status not in (None, "archived"):
            state.kept = state.status if state.status in (*COMPLIANCE, "pending") else None
            state.status = "archived"
        elif self.policy == "delete_permanent" and state.status is not None:
            state.status, state.forgotten = None, True
