"""Live progress fan-out: S browsers on one segment's SSE stream while a run publishes events.

Serves the real app (`listbridge serve`) as its own process on a free loopback port, with its
own Redis (an embedded Valkey this bench starts: pub/sub channels ignore database numbers, so
a shared server would mix in other people's events) and a SQLite file (or --database-url).
S logged-in clients open `/segments/{id}/events`, the stream the segment page listens to;
this process then publishes E progress events through `app.lib.progress.publish`, exactly as a
sync does, each carrying its sequence number in the run's "added" count. The lag is publish →
the event's last byte reaching the client, over every (subscriber, event); `missing` counts the
events some subscriber never got. The clients share the machine with the server.

    python bench/sse.py [--subscribers 500] [--events 20] [--interval-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import time

from harness import (
    free_port,
    log_in,
    machine,
    percentiles,
    prepare_environment,
    report,
    sandbox_account,
    served_app,
    standalone_sandbox,
)
from scenario import BENCH_EMAIL, BENCH_PASSWORD, seed_organisation

ADDED = re.compile(r"<dt>added</dt><dd>([\d,]+)</dd>")
PROBE = 0  # warm-up events: sent until every subscriber has heard one, not timed


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--interval-ms", type=int, default=100, help="between published events")
    parser.add_argument("--database-url", default="", help="Postgres DSN (default: SQLite)")
    return parser.parse_args()


async def _seed(api_key: str, list_id: str) -> tuple[int, dict]:
    """A segment and a running run of it: (segment id, the run's progress event)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.db import close_database, open_database, utcnow
    from app.domain.segments import runs
    from app.domain.segments import services as segments
    from app.domain.segments.services import SegmentInput
    from app.domain.segments.tables import SyncRun
    from app.settings import get_settings

    assert (await run_forwards("all")).success
    await open_database(get_settings())
    try:
        principal, _ = await seed_organisation(100, api_key=api_key)
        segment = await segments.create(
            principal,
            SegmentInput(
                name="Everyone",
                list_id=list_id,
                segment_type="mixed",
                field_mapping={"FNAME": "first_name", "LNAME": "last_name"},
            ),
        )
        run = SyncRun(
            organisation=principal.organisation_id,
            segment=segment.id,
            mode="full",
            status="running",
            phase="sending",
            started_at=utcnow(),
        )
        await run.save()
        return segment.id, runs.summary(run)
    finally:
        await close_database()


class Subscriber:
    """One browser tab on the stream: when each numbered event arrived."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.received: dict[int, float] = {}
        self.connected = asyncio.Event()
        self.heard_probe = asyncio.Event()
        self.heard_all = asyncio.Event()

    async def listen(self, http, path: str) -> None:
        async with http.stream("GET", path) as response:
            response.raise_for_status()
            self.connected.set()
            data: list[str] = []
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    data.append(line[5:])
                elif not line and data:
                    self._heard("\n".join(data))
                    data = []

    def _heard(self, html: str) -> None:
        now = time.perf_counter()
        found = ADDED.search(html)
        if found is None:
            return
        number = int(found.group(1).replace(",", ""))
        if number == PROBE:
            self.heard_probe.set()
        else:
            self.received.setdefault(number, now)
            if len(self.received) == self.expected:
                self.heard_all.set()


async def _publish(channel: str, event: dict, number: int) -> float:
    from app.lib import progress

    sent = time.perf_counter()
    await progress.publish(channel, {**event, "created": number})
    return sent


async def _all_set(events: list[asyncio.Event], timeout: float) -> int:
    """Wait up to `timeout` for every event; how many were set by then."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), timeout)
    return sum(e.is_set() for e in events)


async def _subscribe_all(channel: str, event: dict, subscribers: list[Subscriber]) -> int:
    """Probe once a second until every open stream has heard one (a subscription starts only
    after the response headers are sent) or a minute passes; how many did."""
    for _ in range(60):
        await _publish(channel, event, PROBE)
        heard = await _all_set([s.heard_probe for s in subscribers], 1.0)
        if heard == len(subscribers):
            break
    return heard


async def _measure(url: str, cookies, segment_id: int, event: dict, args) -> dict:
    import httpx

    from app.domain.segments import sync

    channel = sync.channel(segment_id)
    subscribers = [Subscriber(args.events) for _ in range(args.subscribers)]
    limits = httpx.Limits(max_connections=args.subscribers + 10)
    async with httpx.AsyncClient(
        base_url=url, cookies=cookies, limits=limits, timeout=httpx.Timeout(120, read=None)
    ) as http:
        path = f"/segments/{segment_id}/events"
        listening = [asyncio.create_task(s.listen(http, path)) for s in subscribers]
        try:
            started = time.perf_counter()
            connected = await _all_set([s.connected for s in subscribers], 120)
            subscribed = await _subscribe_all(channel, event, subscribers)
            subscribe_s = time.perf_counter() - started
            published: dict[int, float] = {}
            for number in range(1, args.events + 1):
                published[number] = await _publish(channel, event, number)
                await asyncio.sleep(args.interval_ms / 1000)
            # What has not arrived 30 s after the last event counts as missing.
            await _all_set([s.heard_all for s in subscribers], 30)
        finally:
            for task in listening:
                task.cancel()
            await asyncio.gather(*listening, return_exceptions=True)
    lags = [
        (s.received[n] - sent) * 1000
        for s in subscribers
        for n, sent in published.items()
        if n in s.received
    ]
    return {
        "connected": connected,
        "subscribed": subscribed,
        "all_subscribed_s": round(subscribe_s, 2),
        "lag": percentiles(lags),
        "delivered": len(lags),
        "missing": args.subscribers * args.events - len(lags),
    }


async def main() -> None:
    args = _arguments()
    import httpx

    from app.lib.redis import close_shared, redis_url, stop_embedded

    async with standalone_sandbox() as sandbox_url:
        prepare_environment(args.database_url, sandbox_url, port=free_port())
        from app.settings import get_settings

        os.environ["REDIS_URL"] = redis_url(get_settings())  # the embedded Valkey, for both
        try:
            api_key, list_id = await sandbox_account(sandbox_url, latency_ms=0)
            segment_id, event = await _seed(api_key, list_id)
            served = {"LISTBRIDGE_WORKER_IN_PROCESS": "0"}
            async with served_app(served) as url:
                async with httpx.AsyncClient(base_url=url, timeout=30) as browser:
                    await log_in(browser, BENCH_EMAIL, BENCH_PASSWORD)
                    cookies = browser.cookies
                figures = await _measure(url, cookies, segment_id, event, args)
        finally:
            await close_shared()
            stop_embedded()
    report(
        {
            "database": "postgres" if args.database_url else "sqlite",
            "subscribers": args.subscribers,
            "events": args.events,
            "interval_ms": args.interval_ms,
            **figures,
            **machine(),
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
