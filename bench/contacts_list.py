"""Contacts list latency at scale: the first page, a deep page, a filtered page and a search.

Seeds N contacts (default 100,000) into one organisation of a scratch database, then times the
service call the /contacts page and the JSON API make. The database is a new SQLite file in a
temporary directory, or the Postgres database named by --database-url (use a scratch database:
the bench migrates it and adds an organisation to it). Prints p50/p95 per case; the last line
is one JSON object.

    .venv/bin/python bench/contacts_list.py [--contacts 100000] [--runs 40] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import machine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Broad prefixes ("jo", "mar": thousands of matches to order) and selective ones.
SEARCHES = ["mar", "silva", "ada l", "nguyen t", "jo", "lisbon", "emma.w"]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40, help="timed calls per case")
    parser.add_argument("--database-url", default="", help="a scratch Postgres database")
    return parser.parse_args()


def _configure(args: argparse.Namespace) -> None:
    # Settings are read once, at first import: the environment must be ready before that.
    os.environ["LISTBRIDGE_VAR_DIR"] = tempfile.mkdtemp(prefix="listbridge-bench-")
    os.environ["LISTBRIDGE_PASSWORD_HASH_ITERATIONS"] = "1000"  # noqa: S105 - not a password
    os.environ["LISTBRIDGE_DEMO"] = "0"
    os.environ.pop("DATABASE_URL", None)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url


async def _seed(count: int):
    from app.db import transaction
    from app.domain.accounts import services
    from app.domain.contacts.demo import generate_contacts, insert_contacts

    stamp = int(time.time())
    user, organisation = await services.signup(
        organisation_name=f"Bench {stamp}",
        email=f"bench-{stamp}@bench-listbridge.co",
        password="bench password 1",
    )
    principal = await services.principal_for_user(user.id, organisation.id)
    vendors = count // 20
    started = time.perf_counter()
    rows = generate_contacts(count - vendors, vendors, domain="bench-listbridge.co", seed=stamp)
    async with transaction():
        await insert_contacts(principal, rows)
    return principal, time.perf_counter() - started


async def _deep_cursor(principal, fraction: float) -> str:
    from app.domain.contacts.tables import Contact
    from app.lib.pagination import encode_cursor

    total = await Contact.count().where(Contact.organisation == principal.organisation_id)
    row = (
        await Contact.select(Contact.sort_name, Contact.id)
        .where(Contact.organisation == principal.organisation_id)
        .order_by(Contact.sort_name, Contact.id)
        .offset(int(total * fraction))
        .first()
    )
    return encode_cursor([row["sort_name"], row["id"]])


async def _time(call, runs: int) -> dict[str, float]:
    for _ in range(3):
        await call(0)
    samples = []
    for number in range(runs):
        started = time.perf_counter()
        await call(number)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"p50_ms": round(statistics.median(samples), 2), "p95_ms": round(p95, 2)}


async def main() -> dict:
    args = _arguments()
    _configure(args)
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.db import close_database, engine, is_sqlite, open_database
    from app.domain.contacts import services
    from app.domain.contacts.services import ContactFilters
    from app.settings import get_settings

    assert (await run_forwards("all")).success
    await open_database(get_settings())
    principal, seed_seconds = await _seed(args.contacts)
    if not is_sqlite():
        await engine().run_ddl("ANALYZE contacts")  # what autovacuum would have done by now
    deep = await _deep_cursor(principal, 0.9)
    by_team = ContactFilters.of(department="Sales", location="Lisbon")
    cases = {
        "first_page": lambda n: services.list_contacts(principal),
        "deep_page": lambda n: services.list_contacts(principal, cursor=deep),
        "filtered_page": lambda n: services.list_contacts(principal, by_team),
        "search": lambda n: services.list_contacts(
            principal, ContactFilters.of(q=SEARCHES[n % len(SEARCHES)])
        ),
        "filter_values": lambda n: services.filter_options(principal),
    }
    figures = {name: await _time(call, args.runs) for name, call in cases.items()}
    await close_database()
    return {
        "engine": "sqlite" if is_sqlite() else "postgres",
        "contacts": args.contacts,
        "seed_seconds": round(seed_seconds, 1),
        "runs": args.runs,
        **figures,
        **machine(),
    }


if __name__ == "__main__":
    result = asyncio.run(main())
    print(
        f"{result['engine']}: {result['contacts']:,} contacts seeded in {result['seed_seconds']} s"
    )
    print(f"  machine: Python {result['python']}, {result['cpu_count']} CPUs, {result['platform']}")
    for name, value in result.items():
        if isinstance(value, dict):
            print(f"  {name:<14} p50 {value['p50_ms']:>8.2f} ms   p95 {value['p95_ms']:>8.2f} ms")
    print(json.dumps(result))
