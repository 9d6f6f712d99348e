"""Inbound webhooks under a burst: accepted per second, and none lost once processing drains.

Serves the real app (`listbridge serve`, its job worker in process) on a free loopback port with
its own embedded Valkey and a SQLite file (or --database-url). One organisation has P people
synced to a sandbox audience with our webhook registered, a product-event hook and a trigger
rule that tags the member. C concurrent senders then fire M signed Mailchimp deliveries
(unsubscribe / subscribe, as Mailchimp posts them) and E signed product events, each distinct.
Prints deliveries accepted per second and the senders' latency; then waits until no stored
event is left unprocessed and compares what was stored with what was sent: `lost` must be 0.

    python bench/inbound.py [--mailchimp 500] [--product 500] [--senders 50] [--people 200]
        [--accept-only] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from harness import (
    Stopwatch,
    free_port,
    machine,
    percentiles,
    prepare_environment,
    report,
    sandbox_account,
    served_app,
    standalone_sandbox,
)
from scenario import Scenario, seed_organisation, sync_once


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailchimp", type=int, default=500, help="Mailchimp deliveries")
    parser.add_argument("--product", type=int, default=500, help="product events")
    parser.add_argument("--senders", type=int, default=50, help="deliveries in flight")
    parser.add_argument("--people", type=int, default=200, help="contacts the events are about")
    parser.add_argument("--drain-timeout", type=int, default=600, help="seconds")
    parser.add_argument(
        "--accept-only",
        action="store_true",
        help="serve without the job worker: how fast deliveries are stored when nothing else "
        "runs in the web process (events stay unprocessed)",
    )
    parser.add_argument("--database-url", default="", help="Postgres DSN (default: SQLite)")
    return parser.parse_args()


async def _prepare(people: int, api_key: str, list_id: str):
    """Contacts synced to the audience, our webhook on it, a product hook and a tag rule.

    Returns (the webhook's URL and signing secret, the hook's URL and secret, emails)."""
    from app.domain.contacts.tables import Contact
    from app.domain.inbound import mailchimp_webhooks, product_hooks, triggers
    from app.domain.inbound.tables import AudienceWebhook
    from app.domain.segments import services as segments
    from app.domain.segments.services import SegmentInput
    from app.lib.crypto import secret_box

    principal, _ = await seed_organisation(people, api_key=api_key)
    segment = await segments.create(  # registers our webhook: the sandbox checks its URL
        principal,
        SegmentInput(
            name="Everyone",
            list_id=list_id,
            segment_type="mixed",
            field_mapping={"FNAME": "first_name", "LNAME": "last_name"},
        ),
    )
    run = await sync_once(Scenario(principal, segment), mode="full")
    assert run.status == "completed", run.error
    webhook = await AudienceWebhook.objects().where(AudienceWebhook.list_id == list_id).first()
    assert webhook.status == "registered", webhook.last_error
    view, hook_secret = await product_hooks.create_or_regenerate(principal)
    await triggers.create(
        principal,
        triggers.TriggerInput(
            event_name="trial_started", action="tag", list_id=list_id, tags=["Trial"]
        ),
    )
    emails = [row["email"] for row in await Contact.select(Contact.email).order_by(Contact.id)]
    return (
        (mailchimp_webhooks.url_for(webhook), secret_box().decrypt(webhook.signing_secret)),
        (view.url, hook_secret),
        emails,
    )


def _deliveries(args, mailchimp_hook, product_hook, emails, list_id) -> list[tuple[str, dict]]:
    """Every request to send, Mailchimp's and product events interleaved: (URL, httpx kwargs)."""
    from app.domain.inbound.signatures import sign_t_v1

    start = datetime(2030, 1, 1, tzinfo=UTC)
    mailchimp, product = [], []
    for n in range(args.mailchimp):
        email = emails[n % len(emails)]
        body = urlencode(
            {
                "type": "subscribe" if n % 2 else "unsubscribe",
                "fired_at": (start + timedelta(seconds=n)).strftime("%Y-%m-%d %H:%M:%S"),
                "data[action]": "unsub",
                "data[reason]": "manual",
                "data[id]": f"{n:010x}",
                "data[list_id]": list_id,
                "data[email]": email,
                "data[email_type]": "html",
                "data[merges][EMAIL]": email,
            }
        ).encode()
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-mailchimp-signature": sign_t_v1(mailchimp_hook[1], body),
        }
        mailchimp.append((mailchimp_hook[0], {"content": body, "headers": headers}))
    for n in range(args.product):
        body = json.dumps(
            {"event": "trial_started", "email": emails[n % len(emails)], "id": f"bench-{n}"}
        ).encode()
        headers = {
            "content-type": "application/json",
            "x-listbridge-signature": sign_t_v1(product_hook[1], body),
        }
        product.append((product_hook[0], {"content": body, "headers": headers}))
    mixed = [d for pair in zip(mailchimp, product, strict=False) for d in pair]
    shorter = min(len(mailchimp), len(product))
    return mixed + mailchimp[shorter:] + product[shorter:]


async def _send(url: str, deliveries, senders: int) -> dict:
    import httpx

    samples: list[float] = []
    answers: dict[str, int] = {}
    refused: dict[int, int] = {}
    tickets = iter(deliveries)
    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:

        async def sender() -> None:
            for hook_url, request in tickets:
                started = time.perf_counter()
                response = await http.post(hook_url, **request)
                samples.append((time.perf_counter() - started) * 1000)
                if response.is_success:
                    status = response.json()["status"]
                    answers[status] = answers.get(status, 0) + 1
                else:
                    refused[response.status_code] = refused.get(response.status_code, 0) + 1

        with Stopwatch() as watch:
            await asyncio.gather(*(sender() for _ in range(senders)))
    accepted = sum(answers.values())
    return {
        "accepted": accepted,
        "answers": answers,
        "refused": refused,
        "send_s": round(watch.seconds, 2),
        "accepted_per_s": round(accepted / watch.seconds, 1),
        "sender_latency": percentiles(samples),
    }


async def _drain(timeout: int) -> dict:
    """Wait until no stored event awaits processing; then what became of them all."""
    from app.domain.inbound.tables import EventStatus, InboundEvent

    with Stopwatch() as watch:
        for _ in range(timeout * 2):
            waiting = await InboundEvent.count().where(InboundEvent.status == EventStatus.received)
            if waiting == 0:
                break
            await asyncio.sleep(0.5)
    rows = await InboundEvent.select(InboundEvent.status, InboundEvent.source)
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return {"drain_s": round(watch.seconds, 1), "stored": len(rows), "outcomes": statuses}


async def main() -> None:
    args = _arguments()
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.db import close_database, open_database
    from app.lib.redis import close_shared, redis_url, stop_embedded

    async with standalone_sandbox() as sandbox_url:
        prepare_environment(args.database_url, sandbox_url, port=free_port())
        from app.settings import get_settings

        os.environ["REDIS_URL"] = redis_url(get_settings())  # the embedded Valkey, for both
        try:
            api_key, list_id = await sandbox_account(sandbox_url, latency_ms=0)
            assert (await run_forwards("all")).success
            worker = "0" if args.accept_only else "1"
            async with served_app({"LISTBRIDGE_WORKER_IN_PROCESS": worker}) as url:
                await open_database(get_settings())
                try:
                    mailchimp_hook, product_hook, emails = await _prepare(
                        args.people, api_key, list_id
                    )
                    deliveries = _deliveries(args, mailchimp_hook, product_hook, emails, list_id)
                    sent = await _send(url, deliveries, args.senders)
                    drained = await _drain(0 if args.accept_only else args.drain_timeout)
                finally:
                    await close_database()
        finally:
            await close_shared()
            stop_embedded()
    report(
        {
            "database": "postgres" if args.database_url else "sqlite",
            "sent": len(deliveries),
            "mailchimp": args.mailchimp,
            "product": args.product,
            "senders": args.senders,
            "worker": "none" if args.accept_only else "in process",
            **sent,
            **drained,
            "lost": len(deliveries) - drained["stored"],
            "unprocessed": drained["outcomes"].get("received", 0),
            **machine(),
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
