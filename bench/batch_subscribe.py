"""Batch subscribe: N members through the Mailchimp client at latency L, against the floor.

The client sends 500 members per call with at most 10 calls in flight (Mailchimp's connection
cap), so no schedule beats ceil(N/500)/10 × L: that is the floor. `floor_ratio` = floor_s /
wall_s (1.0 = at the floor). The sandbox runs as its own process on a loopback port and holds
every request for L; a run at L=0 first shows the bench's own cost (client + sandbox CPU), and
`client_cpu_s` is the CPU time the client (this process) spent in the timed run.
Nothing but the sandbox is needed: no database, no Redis.

    python bench/batch_subscribe.py [--members 20000] [--latency-ms 100] [--concurrency 10]
"""

from __future__ import annotations

import asyncio
import math
import time

from harness import (
    Stopwatch,
    machine,
    peak_rss_mb,
    report,
    request_count,
    sandbox_account,
    standalone_sandbox,
)


def _arguments():
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=10, help="calls in flight (cap: 10)")
    return parser.parse_args()


def _members(count: int, tag: str) -> list[dict]:
    return [
        {
            "email_address": f"{tag}{n}@bluefin-foods.com",
            "status_if_new": "subscribed",
            "merge_fields": {"FNAME": f"First{n}", "LNAME": f"Last{n % 977}"},
        }
        for n in range(count)
    ]


async def _subscribe(url: str, key: str, list_id: str, members: list[dict], concurrency: int):
    """(seconds, client CPU seconds, requests answered, result) for one batch_subscribe_all."""
    from app.mailchimp.client import MailchimpClient
    from app.mailchimp.credentials import ApiKeyCredentials
    from app.mailchimp.limiter import LocalConcurrencyLimiter

    before = await request_count(url, key)
    async with MailchimpClient(
        ApiKeyCredentials(key), base_url=f"{url}/3.0", limiter=LocalConcurrencyLimiter()
    ) as client:
        cpu_before = time.process_time()
        with Stopwatch() as watch:
            result = await client.batch_subscribe_all(list_id, members, concurrency=concurrency)
        cpu_s = time.process_time() - cpu_before
    return watch.seconds, cpu_s, await request_count(url, key) - before, result


async def main() -> None:
    args = _arguments()
    import httpx

    async with standalone_sandbox() as url:
        key, list_id = await sandbox_account(url, latency_ms=0)
        unloaded_s, _, _, _ = await _subscribe(
            url, key, list_id, _members(args.members, "warm"), args.concurrency
        )
        async with httpx.AsyncClient(base_url=url) as http:
            faults = {"latency_ms": args.latency_ms}
            (await http.put(f"/_sandbox/api/accounts/{key}/faults", json=faults)).raise_for_status()
        wall_s, client_cpu_s, requests, result = await _subscribe(
            url, key, list_id, _members(args.members, "bench"), args.concurrency
        )
    calls = math.ceil(args.members / 500)
    floor_s = calls / 10 * args.latency_ms / 1000
    report(
        {
            "members": args.members,
            "latency_ms": args.latency_ms,
            "concurrency": args.concurrency,
            "created": result.total_created,
            "errors": result.error_count,
            "wall_s": round(wall_s, 3),
            "requests": requests,
            "batch_calls_needed": calls,
            "floor_s": round(floor_s, 3),
            "floor_ratio": round(floor_s / wall_s, 3) if floor_s else None,
            "wall_at_0ms_s": round(unloaded_s, 3),
            "client_cpu_s": round(client_cpu_s, 3),
            "peak_rss_mb": peak_rss_mb(),
            **machine(),
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
