"""Incremental sync: after 1 % of contacts change, how many calls and how long, against a full
sync of the same segment — and the peak memory of the process that ran them.

Target: incremental calls ≤ ceil(changed/500) + 2 (the +2 covers reading the audience's
merge fields and its changes since the last sync).

    python bench/incremental.py --contacts 100000 --latency-ms 100
    python bench/incremental.py --contacts 1000000 --latency-ms 20    # memory at a million
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
from scenario import change_contacts, scratch_segment, sync_once


async def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--changed-share", type=float, default=0.01)
    args = parser.parse_args()
    async with standalone_sandbox() as url:
        prepare_environment(args.database_url, url)
        key, list_id = await sandbox_account(url, latency_ms=args.latency_ms)
        async with scratch_segment(key, list_id, contacts=args.contacts) as scenario:
            before_full = await request_count(url, key)
            with Stopwatch() as full_watch:
                full = await sync_once(scenario, mode="full")
            changed = await change_contacts(scenario, args.changed_share)
            before_incremental = await request_count(url, key)
            with Stopwatch() as incremental_watch:
                incremental = await sync_once(scenario, mode="incremental")
            after = await request_count(url, key)
    # Every request the sandbox answered during each run: reads included, not just batches.
    full_calls = before_incremental - before_full
    incremental_calls = after - before_incremental
    report(
        {
            "contacts": args.contacts,
            "latency_ms": args.latency_ms,
            "database": "postgres" if args.database_url else "sqlite",
            "full_status": full.status,
            "full_calls": full_calls,
            "full_wall_s": round(full_watch.seconds, 2),
            "changed": changed,
            "incremental_status": incremental.status,
            "incremental_updated": incremental.updated,
            "incremental_unchanged": incremental.unchanged,
            "incremental_calls": incremental_calls,
            "incremental_call_target": math.ceil(changed / 500) + 2,
            "incremental_wall_s": round(incremental_watch.seconds, 2),
            "incremental_vs_full_time": round(incremental_watch.seconds / full_watch.seconds, 3),
            "peak_rss_mb": peak_rss_mb(),
            **machine(),
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
