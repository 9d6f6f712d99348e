"""Contacts for tests, made through the contacts domain's own services."""

from __future__ import annotations

import itertools
from typing import Any

from app.domain.contacts import services as contacts
from app.domain.contacts.fields import clean_contact, name_keys
from tests.factories import Member

_counter = itertools.count(1)
DOMAIN = "bluefin-foods.com"  # a real-looking domain: Mailchimp refuses example.com and friends


async def make_contact(member: Member, **fields: Any) -> dict[str, Any]:
    n = next(_counter)
    values = {
        "email": f"person{n}@{DOMAIN}",
        "entity_type": "employee",
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        **fields,
    }
    return await contacts.create_contact(member.principal, values)


async def make_contacts(member: Member, count: int, **fields: Any) -> None:
    """Many contacts at once (one statement per thousand), e.g. for a 5,000-contact sync."""
    batch = []
    for _ in range(count):
        n = next(_counter)
        values = {
            "email": f"bulk{n}@{DOMAIN}",
            "entity_type": "employee",
            "first_name": f"Bulk{n}",
            "last_name": "Person",
            **fields,
        }
        clean, errors = clean_contact(values)
        assert not errors, errors
        batch.append(
            {
                **clean,
                **name_keys(
                    clean.get("first_name", ""), clean.get("last_name", ""), clean["email"]
                ),
            }
        )
        if len(batch) == 1000:
            await contacts.insert_many(member.principal, batch)
            batch = []
    await contacts.insert_many(member.principal, batch)
