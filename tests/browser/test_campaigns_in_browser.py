"""Tracking a campaign and refreshing it in a real browser, and its page on a small screen."""

from __future__ import annotations

import pytest

from app.domain.campaigns import services
from app.domain.campaigns.tables import CampaignTracking
from app.mailchimp.sandbox.state import Faults
from tests.factories import make_organisation
from tests.integration.campaigns.sandbox_campaigns import activity, add_history, sandbox_campaign
from tests.mailchimp_factories import connect

pytestmark = pytest.mark.browser


async def _log_in(page, live_server, member):
    await page.goto(f"{live_server}/login")
    await page.get_by_label("Email").fill(member.email)
    await page.get_by_label("Password").fill(member.password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{live_server}/")


async def test_track_a_campaign_then_refresh_it_and_see_the_figures_change(
    page, live_server, sandbox
):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    campaign = sandbox_campaign(
        account, title="Spring newsletter", emails_sent=200, unique_opens=20
    )
    await _log_in(page, live_server, owner)
    await page.get_by_role("link", name="Campaigns").click()

    await page.get_by_label("Mailchimp campaign ID").fill("0000000000")
    await page.get_by_role("button", name="Track", exact=True).click()
    await page.locator("#error-campaign_id").wait_for()
    assert "Mailchimp has no campaign" in await page.locator("#error-campaign_id").inner_text()

    await page.get_by_label("Mailchimp campaign ID").fill(campaign.id)
    await page.get_by_role("button", name="Track", exact=True).click()
    await page.get_by_text("Now tracking “Spring newsletter”.").wait_for()
    row = page.locator("tr.campaign-row", has_text="Spring newsletter")
    assert await row.locator(".figure-open-rate").inner_text() == "10.0 %"

    activity(campaign, opens=30, clicks=6)  # people open and click in the meantime
    account.set_faults(Faults(latency_ms=400))  # a slow Mailchimp, so the spinner shows
    await row.get_by_role("button", name="Refresh Spring newsletter").focus()
    await page.keyboard.press("Enter")

    await row.locator(".spinner").wait_for(state="visible")
    await row.locator(".figure-open-rate", has_text="25.0 %").wait_for()
    assert not await row.locator(".spinner").is_visible()
    focused = await page.evaluate("() => document.activeElement.id")
    assert focused.startswith("refresh-"), focused  # keyboard users keep their place
    assert await row.locator(".figure-click-rate").inner_text() == "3.0 %"
    label = await row.get_by_role("img").get_attribute("aria-label")
    assert label == "Open rate over the last 2 refreshes: from 10.0 % to 25.0 %"

    await row.get_by_role("link", name="Spring newsletter").click()
    chart = page.get_by_role("img", name="Open and click rate of “Spring newsletter” over time")
    await chart.wait_for()
    await page.get_by_text("The figures at each refresh (2)").click()
    await page.get_by_role("cell", name="button").wait_for()  # the refresh made by the button

    activity(campaign, opens=10)
    await page.get_by_role("button", name="Refresh now").focus()
    await page.keyboard.press("Enter")
    await page.get_by_text("Refreshed just now.").wait_for()
    assert await page.locator("#stat-open-rate .value").inner_text() == "30.0 %"
    assert await page.evaluate("() => document.activeElement.id") == "refresh-now"


async def test_a_campaign_page_with_a_long_history_reads_at_360px(
    browser, live_server, db, sandbox
):
    owner = await make_organisation("A Rather Long Organisation Name Incorporated")
    _, account = await connect(owner, sandbox)
    campaign = sandbox_campaign(account, title="A campaign title long enough to need wrapping")
    tracked = await services.track(owner.principal, campaign_id=campaign.id)
    await add_history(await CampaignTracking.objects().get(CampaignTracking.id == tracked.id), 100)
    context = await browser.new_context(viewport={"width": 360, "height": 740})
    page = await context.new_page()
    await _log_in(page, live_server, owner)

    for path in ("/campaigns", f"/campaigns/{tracked.id}"):
        await page.goto(f"{live_server}{path}")
        overflow = await page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    await page.get_by_role("img", name="Open and click rate of").wait_for()
    assert await page.get_by_role("button", name="Refresh now").is_visible()
    await context.close()
