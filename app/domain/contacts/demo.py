"""Realistic demo contacts: employees across departments and offices, and vendors.

Deterministic (a seeded random), idempotent (an organisation that has contacts is left alone)
and quick (bulk inserts). Email domains are made up but plausible: Mailchimp refuses
example.com, test.com and the like, and the demo syncs to its sandbox as if it were real.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from app.db import transaction
from app.domain.accounts.principal import Principal
from app.domain.contacts import services
from app.domain.contacts.fields import name_keys
from app.domain.contacts.tables import Contact
from app.lib import audit

DEMO_EMPLOYEES = 420
DEMO_VENDORS = 80
BATCH = 500

# fmt: off
FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Ana", "André", "Anja", "Aylin", "Ben", "Bruno", "Camille", "Carla",
    "Chen", "Chloé", "Daniel", "Diego", "Elena", "Emil", "Emma", "Fatima", "Felix", "Finn",
    "Grace", "Hannah", "Hugo", "Ines", "Isaac", "Jakub", "Jana", "João", "Julia", "Kai", "Karim",
    "Lara", "Lea", "Leon", "Lucas", "Luisa", "Maja", "Marco", "Maria", "Mateo", "Mia", "Nadia",
    "Niklas", "Noah", "Nora", "Olivia", "Omar", "Pedro", "Priya", "Rafael", "Rita", "Ruth",
    "Samir", "Sara", "Sofia", "Tariq", "Theo", "Tomás", "Vera", "Yusuf", "Zoe",
)
LAST_NAMES = (
    "Abbott", "Almeida", "Bauer", "Becker", "Brennan", "Carvalho", "Costa", "Dias", "Dubois",
    "Evans", "Fischer", "Fonseca", "Garcia", "Gomes", "Hartmann", "Hughes", "Ivanova", "Jansen",
    "Kaur", "Keller", "Khan", "Klein", "Kowalski", "Lange", "Lopes", "Lovelace", "Marques",
    "Martin", "Meyer", "Moreau", "Müller", "Murphy", "Nguyen", "Novak", "O'Brien", "Okafor",
    "Patel", "Pereira", "Petrov", "Ribeiro", "Richter", "Rossi", "Santos", "Schmidt", "Schulz",
    "Silva", "Sousa", "Stein", "Taylor", "Turner", "Vogel", "Wagner", "Walsh", "Weber", "Williams",
    "Wolf", "Yilmaz", "Zimmermann",
)
# fmt: on
DEPARTMENTS = (("Engineering", 35), ("Sales", 20), ("Support", 20), ("Finance", 10), ("People", 8))
LOCATIONS = (("Berlin", 35), ("London", 25), ("Lisbon", 20), ("Remote", 20))
EMPLOYMENT_TYPES = (("full_time", 75), ("part_time", 15), ("contractor", 10))
STATUSES = (("active", 85), ("on_leave", 5), ("terminated", 10))
VENDOR_COMPANIES = (
    ("Harbor Logistics", "Logistics"),
    ("Bluepeak Supplies", "Office supplies"),
    ("Lindqvist Catering", "Catering"),
    ("Quarry Lane Print", "Printing"),
    ("Tagus Cloud Services", "Hosting"),
    ("Spreebogen Facilities", "Facilities"),
    ("Kestrel Legal", "Legal"),
    ("Alfama Translations", "Translation"),
    ("Northgate Security", "Security"),
    ("Brightwater Travel", "Travel"),
    ("Oakridge Recruiting", "Recruiting"),
    ("Marlowe Accounting", "Accounting"),
    ("Fernhill Furniture", "Furniture"),
    ("Copperleaf Coffee", "Catering"),
    ("Riverside Couriers", "Logistics"),
    ("Saltmarsh Design", "Design"),
)
PAYMENT_TERMS = ("Net 15", "Net 30", "Net 45")


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def organisation_domain(name: str) -> str:
    """ "Northwind Traders (demo)" → "northwind-traders.co"."""
    without_notes = re.sub(r"\(.*?\)", "", name)
    return f"{_slug(without_notes) or 'listbridge-demo'}.co"


def _person(rng: random.Random, used: set[str], domain: str) -> dict[str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = f"{_slug(first)}.{_slug(last)}".replace("-", "")
    email, n = f"{local}@{domain}", 1
    while email in used:
        n += 1
        email = f"{local}{n}@{domain}"
    used.add(email)
    return {"first_name": first, "last_name": last, "email": email}


def _phone(rng: random.Random, location: str) -> str:
    prefix = {"Berlin": "+49 30", "London": "+44 20", "Lisbon": "+351 21"}.get(location, "+49 40")
    return f"{prefix} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"


def generate_contacts(
    employees: int, vendors: int, *, domain: str, seed: int = 2026
) -> Iterator[dict[str, Any]]:
    """Contact values (with their name keys), the same every time for the same arguments."""
    rng, used = random.Random(seed), set()  # noqa: S311 - made-up people, not secrets
    for number in range(employees):
        person = _person(rng, used, domain)
        location = _pick(rng, LOCATIONS)
        values = {
            **person,
            "entity_type": "employee",
            "external_id": f"E{10001 + number}",
            "department": _pick(rng, DEPARTMENTS),
            "location": location,
            "employment_type": _pick(rng, EMPLOYMENT_TYPES),
            "employment_status": _pick(rng, STATUSES),
            "phone": _phone(rng, location),
            "attributes": {
                "start_date": f"{rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}-01",
                "cost_centre": f"CC-{rng.randint(10, 60) * 10}",
            },
        }
        yield {**values, **name_keys(person["first_name"], person["last_name"], person["email"])}
    for number in range(vendors):
        company, category = VENDOR_COMPANIES[number % len(VENDOR_COMPANIES)]
        person = _person(rng, used, f"{_slug(company)}.co")
        values = {
            **person,
            "entity_type": "vendor",
            "external_id": f"V{2001 + number}",
            "company": company,
            "employment_status": _pick(rng, (("active", 90), ("terminated", 10))),
            "phone": _phone(rng, _pick(rng, LOCATIONS)),
            "attributes": {"category": category, "payment_terms": rng.choice(PAYMENT_TERMS)},
        }
        yield {**values, **name_keys(person["first_name"], person["last_name"], person["email"])}


async def insert_contacts(principal: Principal, contacts: Iterator[dict[str, Any]]) -> int:
    """Bulk-insert generated values (trusted: no checks, no per-contact audit)."""
    count, batch = 0, []
    for values in contacts:
        batch.append(values)
        if len(batch) == BATCH:
            await services.insert_many(principal, batch)
            count, batch = count + len(batch), []
    await services.insert_many(principal, batch)
    return count + len(batch)


async def seed_demo_contacts(principal: Principal) -> None:
    """About 500 contacts for the demo organisation, unless it already has some."""
    async with transaction():
        if await Contact.exists().where(Contact.organisation == principal.organisation_id):
            return
        domain = organisation_domain(principal.organisation_name)
        count = await insert_contacts(
            principal, generate_contacts(DEMO_EMPLOYEES, DEMO_VENDORS, domain=domain)
        )
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="contacts.demo_seeded",
            entity_type="organisation",
            entity_id=principal.organisation_id,
            changes={"contacts": count},
        )
