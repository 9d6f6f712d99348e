"""Live progress reaches the open page when the run's worker is another process: the worker
publishes on Redis (pub/sub), and the web process streams it to the browser over SSE."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from httpx_sse import aconnect_sse

from app.mailchimp.sandbox.seed import faults_from
from tests.contact_factories import make_contacts
from tests.factories import log_in
from tests.integration.faults import fleet
from tests.integration.segments.sync_helpers import connected, make_segment

pytestmark = pytest.mark.slow

CONTACTS = 1500  # three batches, each held 0.5 s: progress is published over a few seconds


async def test_a_worker_process_s_progress_streams_into_the_open_page(db, sandbox, live_server):
    owner, _, account = await connected(sandbox)
    await make_contacts(owner, CONTACTS)
    segment = await make_segment(owner)
    account.set_faults(faults_from({"latency_ms": 500}))
    received: list[str] = []
    listening = asyncio.Event()

    async with httpx.AsyncClient(base_url=live_server, timeout=30) as browser:
        await log_in(browser, owner)

        async def listen() -> None:
            async with aconnect_sse(browser, "GET", f"/segments/{segment.id}/events") as source:
                listening.set()
                async for event in source.aiter_sse():
                    received.append(event.data)
                    if "badge-synced" in event.data or "badge-error" in event.data:
                        return

        listener = asyncio.create_task(listen())
        await asyncio.wait_for(listening.wait(), timeout=10)
        await asyncio.sleep(0.5)  # the subscription starts with the response body
        async with fleet.private_queue("progress") as job_queue:
            worker = fleet.start_worker(fleet.worker_env(job_queue, live_server))
            try:
                run = await fleet.queue_run(job_queue, owner.organisation.id, segment.id)
                await asyncio.wait_for(listener, timeout=120)
            finally:
                listener.cancel()
                await fleet.stop(worker)

    assert (await fleet.current(run.id)).status == "completed"
    running = [html for html in received if "<progress" in html]
    assert any("sending" in html for html in running), received[:3]
    assert len(set(running)) >= 2  # progress moved while the page watched, not just the end
    assert "badge-synced" in received[-1]
