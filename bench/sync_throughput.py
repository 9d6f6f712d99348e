"""Full-sync throughput: N contacts into an audience at latency L, against the network floor.

The floor is what Mailchimp's own limits allow: ceil(N/500) batch calls, 10 at a time, each
taking L — ceil(N/500)/10 × L. `floor_ratio` = floor_s / wall_s (goal ≥ 0.8). The baseline is
the naive way (one PUT per member, 10 in flight), timed on a sample and scaled to N.

    python bench/sync_throughput.py --contacts 100000 --latency-ms 100
"""

from __future__ import annotations

import asyncio
import math

from harness import (
    Stopwatch,
    arguments,
    machine,
    peak_rss_mb,
    prepare_environment,
    report,
    request_count,
    sandbox_account,
    standalone_sandbox,
)
from scenario import scratch_segment, sync_once


async def baseline(key: str, list_id: str, sample: int) -> float:
    """Seconds per member when each member is its own upsert (10 in flight)."""
    from app.domain.connections import clients

    client = clients.mailchimp_client(clients.credentials_for("api_key", key))
    semaphore = asyncio.Semaphore(10)

    async def upsert(n: int) -> None:
        async with semaphore:
            await client.upsert_member(
                list_id, f"baseline{n}@bluefin-foods.com", status_if_new="subscribed"
            )

    async with client:
        with Stopwatch() as watch:
            await asyncio.gather(*(upsert(n) for n in range(sample)))
    return watch.seconds / sample


async def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--baseline-sample", type=int, default=2000)
    args = parser.parse_args()
    async with standalone_sandbox() as url:
        prepare_environment(args.database_url, url)
        key, list_id = await sandbox_account(url, latency_ms=args.latency_ms)
        async with scratch_segment(key, list_id, contacts=args.contacts) as scenario:
            with Stopwatch() as watch:
                run = await sync_once(scenario, mode="full")
            per_member = await baseline(key, list_id, min(args.baseline_sample, args.contacts))
        requests = await request_count(url, key)
    floor = math.ceil(args.contacts / 500) / 10 * args.latency_ms / 1000
    baseline_wall = per_member * args.contacts
    report(
        {
            "contacts": args.contacts,
            "latency_ms": args.latency_ms,
            "database": "postgres" if args.database_url else "sqlite",
            "status": run.status,
            "created": run.created,
            "wall_s": round(watch.seconds, 2),
            "requests": run.api_calls,
            "sandbox_requests_logged": requests,
            "floor_s": round(floor, 2),
            "floor_ratio": round(floor / watch.seconds, 3),
            "baseline_sample": min(args.baseline_sample, args.contacts),
            "baseline_wall_s": round(baseline_wall, 1),
            "speedup_vs_baseline": round(baseline_wall / watch.seconds, 1),
            "peak_rss_mb": peak_rss_mb(),
            **machine(),
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
