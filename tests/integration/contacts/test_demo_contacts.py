"""The demo organisation arrives with realistic contacts Mailchimp would accept."""

from __future__ import annotations

import time
from collections import Counter

from app.demo import DEMO_ORGANISATION, seed_demo
from app.domain.accounts import services as accounts
from app.domain.accounts.tables import Organisation
from app.domain.contacts.demo import generate_contacts, seed_demo_contacts
from app.domain.contacts.tables import Contact
from app.lib.emails import email_problem

# Domains Mailchimp refuses as fake, and ones reserved for documentation and tests.
FAKE_DOMAINS = ("example.com", "example.org", "example.net", "test.com", ".test", ".invalid")


async def test_the_demo_organisation_gets_about_500_realistic_contacts(db):
    started = time.monotonic()
    await seed_demo()
    seconds = time.monotonic() - started

    organisation = await Organisation.objects().get(Organisation.name == DEMO_ORGANISATION)
    contacts = await Contact.select().where(Contact.organisation == organisation.id)
    assert len(contacts) == 500
    assert Counter(c["entity_type"] for c in contacts) == {"employee": 420, "vendor": 80}
    employees = [c for c in contacts if c["entity_type"] == "employee"]
    assert {c["department"] for c in employees} == {
        "Engineering",
        "Sales",
        "Support",
        "Finance",
        "People",
    }
    assert {c["location"] for c in employees} == {"Berlin", "London", "Lisbon", "Remote"}
    assert {c["employment_type"] for c in employees} == {"full_time", "part_time", "contractor"}
    assert {c["employment_status"] for c in employees} == {"active", "on_leave", "terminated"}
    assert all(c["company"] for c in contacts if c["entity_type"] == "vendor")
    for contact in contacts:
        assert email_problem(contact["email"]) is None
        assert not contact["email"].endswith(FAKE_DOMAINS)
    assert len({c["email"].lower() for c in contacts}) == 500
    assert seconds < 10


async def test_seeding_again_adds_nothing(db):
    await seed_demo()
    organisation = await Organisation.objects().get(Organisation.name == DEMO_ORGANISATION)
    user = await accounts.find_user("demo@example.com")
    principal = await accounts.principal_for_user(user.id, organisation.id)

    await seed_demo_contacts(principal)
    await seed_demo()

    assert await Contact.count() == 500


def test_the_demo_data_is_the_same_every_time():
    first = list(generate_contacts(30, 5, domain="northwind-traders.co"))
    second = list(generate_contacts(30, 5, domain="northwind-traders.co"))

    assert first == second
