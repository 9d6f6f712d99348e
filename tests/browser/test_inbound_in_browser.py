"""Two-way sync as a person sees it: unsubscribing someone on the sandbox's control page shows
on the contact's page within seconds; a trigger rule made in Settings → Triggers."""

from __future__ import annotations

import asyncio

import pytest

from app.domain.inbound.tables import TriggerRule
from tests.integration.inbound.helpers import synced_audience

pytestmark = pytest.mark.browser


async def _log_in(page, live_server, owner) -> None:
    await page.goto(f"{live_server}/login")
    await page.get_by_label("Email").fill(owner.email)
    await page.get_by_label("Password").fill(owner.password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{live_server}/")


async def test_an_unsubscribe_in_the_sandbox_shows_on_the_contact_page(page, live_server, sandbox):
    owner, _, account, people, _ = await synced_audience(sandbox, people=1)
    person = people[0]
    await _log_in(page, live_server, owner)
    await page.goto(f"{live_server}/contacts/{person['id']}")
    badge = page.locator("#contact-audiences .badge")
    assert await badge.inner_text() == "Subscribed"

    await page.goto(f"{live_server}/sandbox/mailchimp/_sandbox/accounts/{account.account_id}")
    await page.get_by_role(
        "button", name=f"Unsubscribe {person['email']} (as the subscriber)"
    ).click()
    await page.get_by_text("unsubscribe recorded").wait_for()

    shown = ""
    for _ in range(50):  # within seconds: the webhook, the stored event, its job
        await page.goto(f"{live_server}/contacts/{person['id']}")
        shown = await badge.inner_text()
        if shown == "Unsubscribed":
            break
        await asyncio.sleep(0.1)
    assert shown == "Unsubscribed"
    await page.goto(f"{live_server}/events")
    assert await page.locator("tr.event-row .badge").first.inner_text() == "processed"


async def test_a_trigger_rule_is_made_in_settings(page, live_server, sandbox):
    owner, *_ = await synced_audience(sandbox, people=1)
    await _log_in(page, live_server, owner)
    await page.goto(f"{live_server}/settings/triggers")

    await page.get_by_role("button", name="Create endpoint").click()
    secret = await page.get_by_label("Secret").input_value()
    assert secret.startswith("lbhook_")
    await page.get_by_label("Event name", exact=True).fill("trial_started")
    await page.get_by_label("Action", exact=True).select_option("tag")
    await page.get_by_label("Mailchimp audience").select_option(label="Staff")
    await page.get_by_label("Tags", exact=True).fill("Trial")
    await page.get_by_role("button", name="Add rule").click()

    await page.get_by_text("Rule added").wait_for()
    assert await page.locator("tr.rule-row code").first.inner_text() == "trial_started"
    assert await TriggerRule.count() == 1
