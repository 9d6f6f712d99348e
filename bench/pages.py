"""Page latency under load: dashboard, contacts list and a segment page, 50 clients at once.

Creates a scratch Postgres database (listbridge_bench_pages), seeds one organisation with N
contacts (bulk insert), a segment over all of them and a small synced segment for history (a
full and an incremental run), then serves the real app (`listbridge serve`, Postgres + Redis,
the sandbox mounted) as its own process on a free loopback port. Logged in with a cookie
session, C concurrent clients (httpx, one connection each) request each page R times; prints
p50/p95/max, requests per second and errors per page, and the same for the merge-field check
the segment page loads as soon as it opens (fewer requests: it reads every selected contact).
The bench's clients share the machine with the server, as do the Postgres and Redis servers.
Skips (exit 0) without Postgres or Redis.

    python bench/pages.py [--contacts 100000] [--clients 50] [--requests 500] [--check-requests 10]
        [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/12] [--web-workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from harness import (
    POSTGRES_ADMIN_URL,
    REDIS_URL,
    Stopwatch,
    add_audience,
    empty_redis,
    free_port,
    log_in,
    machine,
    percentiles,
    prepare_environment,
    report,
    require_services,
    sandbox_account,
    scratch_postgres,
    served_app,
    standalone_sandbox,
)
from scenario import BENCH_EMAIL, BENCH_PASSWORD, Scenario, seed_organisation, sync_once

NAME = "pages"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500, help="timed requests per page")
    parser.add_argument(
        "--check-requests",
        type=int,
        default=10,
        help="timed requests of the merge-field check the segment page loads (it reads every "
        "contact the segment selects)",
    )
    parser.add_argument("--admin-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--web-workers", type=int, default=1, help="`listbridge serve --workers`")
    return parser.parse_args()


async def _seed(contacts: int, api_key: str, list_ids: tuple[str, str]) -> tuple[int, float]:
    """Migrate, seed, sync the small segment twice; returns (big segment id, seed seconds)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.db import close_database, engine, open_database
    from app.domain.segments import services as segments
    from app.domain.segments.services import SegmentInput
    from app.lib.redis import close_shared
    from app.settings import get_settings

    assert (await run_forwards("all")).success
    await open_database(get_settings())
    try:
        principal, seconds = await seed_organisation(contacts, api_key=api_key)
        mapping = {"FNAME": "first_name", "LNAME": "last_name"}
        everyone = await segments.create(
            principal,
            SegmentInput(
                name="Everyone", list_id=list_ids[0], segment_type="mixed", field_mapping=mapping
            ),
        )
        lisbon_sales = await segments.create(
            principal,
            SegmentInput(
                name="Lisbon sales",
                list_id=list_ids[1],
                filter_criteria={"location": ["Lisbon"], "department": ["Sales"]},
                field_mapping=mapping,
            ),
        )
        for mode in ("full", "incremental"):
            run = await sync_once(Scenario(principal, lisbon_sales), mode=mode)
            assert run.status == "completed", run.error
        await engine().run_ddl("ANALYZE")  # what autovacuum would have done by now
        return everyone.id, seconds
    finally:
        await close_shared()
        await close_database()


async def _load(url: str, cookies, path: str, *, clients: int, requests: int) -> dict:
    """`clients` connections sharing `requests` GETs of `path`: latency, throughput, errors."""
    import httpx

    samples: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, cookies=cookies, limits=limits, timeout=120) as http:
        for _ in range(5):  # warm caches and templates
            await http.get(path)
        tickets = iter(range(requests))

        async def client() -> None:
            nonlocal errors
            for _ in tickets:
                started = time.perf_counter()
                try:
                    response = await http.get(path)
                    failed = response.status_code != 200
                except httpx.HTTPError:
                    failed = True
                samples.append((time.perf_counter() - started) * 1000)
                errors += failed

        with Stopwatch() as watch:
            await asyncio.gather(*(client() for _ in range(clients)))
    return {
        **percentiles(samples),
        "rps": round(requests / watch.seconds, 1),
        "errors": errors,
    }


async def main() -> None:
    args = _arguments()
    await require_services(NAME, postgres_url=args.admin_url, redis_url=args.redis_url)
    await empty_redis(args.redis_url)
    import httpx

    async with (
        standalone_sandbox() as sandbox_url,
        scratch_postgres("listbridge_bench_pages", args.admin_url) as database_url,
    ):
        prepare_environment(database_url, sandbox_url, port=free_port())
        os.environ["REDIS_URL"] = args.redis_url
        api_key, list_id = await sandbox_account(sandbox_url, latency_ms=0)
        segment_id, seed_seconds = await _seed(
            args.contacts,
            api_key,
            (list_id, await add_audience(sandbox_url, api_key, "Lisbon sales")),
        )
        served = {"LISTBRIDGE_SANDBOX": "1", "LISTBRIDGE_WORKER_IN_PROCESS": "0"}
        async with served_app(served, web_workers=args.web_workers) as url:
            async with httpx.AsyncClient(base_url=url, timeout=30) as browser:
                await log_in(browser, BENCH_EMAIL, BENCH_PASSWORD)
                cookies = browser.cookies
            pages = {
                "dashboard": ("/", args.requests),
                "contacts_list": ("/contacts", args.requests),
                "segment_page": (f"/segments/{segment_id}", args.requests),
                "segment_merge_field_check": (
                    f"/segments/{segment_id}/merge-field-check",
                    args.check_requests,
                ),
            }
            figures = {
                name: await _load(url, cookies, path, clients=args.clients, requests=requests)
                for name, (path, requests) in pages.items()
            }
    report(
        {
            "database": "postgres",
            "contacts": args.contacts,
            "seed_s": round(seed_seconds, 1),
            "clients": args.clients,
            "requests_per_page": args.requests,
            "web_workers": args.web_workers,
            **figures,
            "errors": sum(page["errors"] for page in figures.values()),
            **machine(),
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
