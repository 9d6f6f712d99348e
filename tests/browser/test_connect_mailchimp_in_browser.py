"""Connecting Mailchimp in a real browser: OAuth through the sandbox's sign-in page, and a key."""

from __future__ import annotations

import pytest

from tests.factories import make_organisation
from tests.mailchimp_factories import mailchimp_account

pytestmark = pytest.mark.browser


async def _log_in(page, live_server, member):
    await page.goto(f"{live_server}/login")
    await page.get_by_label("Email").fill(member.email)
    await page.get_by_label("Password").fill(member.password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{live_server}/")


async def test_connect_with_mailchimp_completes_in_the_browser(page, live_server, sandbox):
    owner = await make_organisation()
    mailchimp_account(sandbox, name="Browser Bakery")
    await _log_in(page, live_server, owner)

    await page.goto(f"{live_server}/settings/mailchimp")
    await page.get_by_role("link", name="Connect with Mailchimp").click()
    await page.get_by_label("Browser Bakery").check()
    await page.get_by_role("button", name="Allow").click()

    await page.wait_for_url(f"{live_server}/settings/mailchimp")
    assert await page.locator("#mailchimp-panel h3").first.inner_text() == "Browser Bakery"
    await page.get_by_role("cell", name="Employees").wait_for()


async def test_pasting_a_key_connects_without_a_page_reload(page, live_server, sandbox):
    owner = await make_organisation()
    key, _ = mailchimp_account(sandbox, name="Keyed Kitchens")
    await _log_in(page, live_server, owner)
    await page.goto(f"{live_server}/settings/mailchimp")

    await page.get_by_label("API key").fill("not a key")
    await page.get_by_role("button", name="Connect", exact=True).click()
    await page.locator("#error-api_key").wait_for()
    assert "data-centre" in await page.locator("#error-api_key").inner_text()

    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Connect", exact=True).click()
    await page.get_by_text("Mailchimp is connected.").wait_for()
    assert await page.locator("#mailchimp-panel h3").first.inner_text() == "Keyed Kitchens"
