"""Clicking Sync and watching the progress arrive over SSE, without reloading the page."""

from __future__ import annotations

import pytest

from app.mailchimp.sandbox.seed import faults_from
from tests.contact_factories import make_contacts
from tests.integration.segments.sync_helpers import connected, make_segment

pytestmark = pytest.mark.browser


async def test_the_progress_of_a_sync_streams_into_the_open_page(page, live_server, sandbox):
    owner, _, account = await connected(sandbox)
    await make_contacts(owner, 1500)
    segment = await make_segment(owner, name="Everyone")
    account.set_faults(faults_from({"latency_ms": 150}))  # slow enough to watch it move

    await page.goto(f"{live_server}/login")
    await page.get_by_label("Email").fill(owner.email)
    await page.get_by_label("Password").fill(owner.password)
    await page.get_by_role("button", name="Log in").click()
    await page.goto(f"{live_server}/segments/{segment.id}")
    await page.wait_for_function("document.querySelector('[sse-connect]') !== null")
    url_before = page.url

    await page.get_by_role("button", name="Sync now").click()

    await page.locator("#sync-status progress").wait_for(timeout=15_000)
    await page.get_by_text("Last sync finished").wait_for(timeout=30_000)
    counts = await page.locator("#sync-status dl.run-counts").inner_text()
    assert "1,500" in counts
    assert page.url == url_before
    assert await page.locator("#sync-status .badge").inner_text() == "synced"
