"""A scratch organisation connected to the sandbox, N contacts, a segment, and its runs."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class Scenario:
    principal: Any
    segment: Any


async def _contacts(principal: Any, count: int, *, start: int = 0) -> None:
    from app.domain.contacts import services as contacts
    from app.domain.contacts.fields import clean_contact, name_keys

    batch = []
    for n in range(start, start + count):
        clean, _ = clean_contact(
            {
                "email": f"person{n}@bluefin-foods.com",
                "entity_type": "employee",
                "first_name": f"First{n}",
                "last_name": f"Last{n % 977}",
                "department": ("Engineering", "Sales", "Support", "Finance")[n % 4],
            }
        )
        batch.append(
            {**clean, **name_keys(clean["first_name"], clean["last_name"], clean["email"])}
        )
        if len(batch) == 1000:
            await contacts.insert_many(principal, batch)
            batch = []
    await contacts.insert_many(principal, batch)


BENCH_EMAIL = "bench@bluefin-foods.com"
BENCH_PASSWORD = "bench password"  # noqa: S105 - a scratch login on a scratch database


async def seed_organisation(contacts: int, *, api_key: str = "") -> tuple[Any, float]:
    """An organisation (owner BENCH_EMAIL) with `contacts` varied demo-style contacts, 5 %
    vendors, bulk-inserted; connected to the sandbox when given a key. (principal, seconds)."""
    import time

    from app.db import transaction
    from app.domain.accounts import services as accounts
    from app.domain.connections import services as connections
    from app.domain.contacts.demo import generate_contacts, insert_contacts

    user, organisation = await accounts.signup(
        organisation_name="Bench Ltd", email=BENCH_EMAIL, password=BENCH_PASSWORD
    )
    principal = await accounts.principal_for_user(user.id, organisation.id)
    if api_key:
        await connections.connect_api_key(principal, api_key=api_key)
    vendors = contacts // 20
    started = time.perf_counter()
    rows = generate_contacts(contacts - vendors, vendors, domain="bluefin-foods.com")
    async with transaction():
        await insert_contacts(principal, rows)
    return principal, time.perf_counter() - started


@asynccontextmanager
async def scratch_segment(key: str, list_id: str, *, contacts: int):
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.db import close_database, open_database
    from app.domain.accounts import services as accounts
    from app.domain.connections import services as connections
    from app.domain.segments import services as segments
    from app.domain.segments.services import SegmentInput
    from app.lib.redis import close_shared, stop_embedded
    from app.settings import get_settings

    result = await run_forwards("all")
    assert result.success, result.message
    await open_database(get_settings())
    try:
        user, organisation = await accounts.signup(
            organisation_name="Bench Ltd",
            email="bench@bluefin-foods.com",
            password="bench password",
        )
        principal = await accounts.principal_for_user(user.id, organisation.id)
        await connections.connect_api_key(principal, api_key=key)
        await _contacts(principal, contacts)
        segment = await segments.create(
            principal,
            SegmentInput(
                name="Everyone",
                list_id=list_id,
                segment_type="mixed",
                field_mapping={"FNAME": "first_name", "LNAME": "last_name"},
            ),
        )
        yield Scenario(principal=principal, segment=segment)
    finally:
        await close_shared()
        await close_database()
        stop_embedded()


async def sync_once(scenario: Scenario, *, mode: str) -> Any:
    """One run, executed here and now (no worker), as the job would."""
    from app.domain.segments import sync
    from app.domain.segments.tables import SyncRun

    run = SyncRun(
        organisation=scenario.principal.organisation_id, segment=scenario.segment.id, mode=mode
    )
    await run.save()

    async def heartbeat() -> None:
        return None

    await sync.execute(run.id, heartbeat=heartbeat, final_attempt=True)
    return await SyncRun.objects().where(SyncRun.id == run.id).first()


async def change_contacts(scenario: Scenario, share: float) -> int:
    """Give `share` of the contacts a new first name; returns how many changed."""
    from app.domain.contacts.tables import Contact

    rows = await Contact.select(Contact.id).order_by(Contact.id)
    step = max(1, round(1 / share))
    chosen = [row["id"] for row in rows[::step]]
    for start in range(0, len(chosen), 1000):
        await Contact.update({Contact.first_name: "Changed"}).where(
            Contact.id.is_in(chosen[start : start + 1000])
        )
    return len(chosen)
