"""What the campaign page says: Mailchimp's statuses in our words, and when it refreshes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db import utcnow
from tests.factories import log_in, make_organisation, soup
from tests.integration.campaigns.sandbox_campaigns import tracking_row
from tests.mailchimp_factories import connect


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("save", "draft"),
        ("schedule", "scheduled"),
        ("sending", "sending"),
        ("sent", "sent"),
        ("paused", "paused"),
        ("canceling", "cancelling"),
        ("canceled", "cancelled"),
        ("archived", "archived"),
    ],
)
async def test_mailchimp_statuses_are_shown_in_our_words(client, status, label):
    owner = await make_organisation()
    row = await tracking_row(owner, status=status)
    await log_in(client, owner)

    page = soup(await client.get(f"/campaigns/{row.id}"))
    listing = soup(await client.get("/campaigns"))

    assert page.select_one("h1 .badge").get_text() == label
    assert f"badge-{label}" in page.select_one("h1 .badge")["class"]
    assert listing.select_one("tr.campaign-row .badge").get_text() == label


async def _auto_refresh(client, owner, **columns) -> str:
    row = await tracking_row(owner, **columns)
    page = soup(await client.get(f"/campaigns/{row.id}"))
    return page.select_one(".auto-refresh").get_text(" ", strip=True)


async def test_the_page_says_when_the_campaign_is_refreshed_automatically(client, sandbox):
    owner = await make_organisation()
    await connect(owner, sandbox)
    await log_in(client, owner)
    sent = utcnow().replace(microsecond=0) - timedelta(days=3)

    following = await _auto_refresh(client, owner, campaign_id="sent3days", send_time=sent)
    finished = await _auto_refresh(
        client, owner, campaign_id="sent40days", send_time=sent - timedelta(days=37)
    )
    cancelled = await _auto_refresh(client, owner, campaign_id="canceled1", status="canceled")
    draft = await _auto_refresh(client, owner, campaign_id="draft1", status="save", send_time=None)

    until = (sent + timedelta(days=30)).strftime("%-d %b %Y, %H:%M UTC")
    assert following.startswith(f"Every 6 hours until {until}")
    assert "opens keep arriving after sending" in following
    assert finished.startswith("No longer refreshed automatically")
    assert "30 days after sending" in finished
    assert cancelled.startswith("Not refreshed automatically: the campaign is cancelled")
    assert draft.startswith("Every 6 hours while it is draft")
    assert "Paused" not in following


async def test_a_scheduled_campaign_shows_when_it_will_go_out(client):
    owner = await make_organisation()
    row = await tracking_row(owner, status="schedule", send_time=utcnow() + timedelta(days=2))
    await log_in(client, owner)

    page = soup(await client.get(f"/campaigns/{row.id}"))

    terms = [dt.get_text() for dt in page.select("dl.facts dt")]
    assert "Scheduled for" in terms
    assert "Sent" not in terms
