"""Every page reads at 360 px: nothing makes the page itself scroll sideways.

Wide tables scroll inside their own box (.table-wrap); the page never does. Add new pages here.
"""

from __future__ import annotations

import pytest

from tests.factories import make_organisation
from tests.mailchimp_factories import connect

pytestmark = pytest.mark.browser

PAGES = ["/", "/settings", "/settings/tokens", "/settings/mailchimp", "/audit"]
PAGES += ["/campaigns", "/campaigns/import"]
PAGES += ["/events", "/settings/triggers"]
PAGES += ["/preferences", "/preferences/erasures", "/audit?entity_type=contact&since=2026-01-01"]
PUBLIC_PAGES = ["/login", "/signup"]


async def _overflow(page) -> int:
    return await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


async def test_pages_fit_a_360px_screen(browser, live_server, db, sandbox):
    owner = await make_organisation("A Rather Long Organisation Name Incorporated")
    await connect(owner, sandbox, name="An Equally Long Mailchimp Account Name")
    context = await browser.new_context(viewport={"width": 360, "height": 740})
    page = await context.new_page()
    for path in PUBLIC_PAGES:
        await page.goto(f"{live_server}{path}")
        assert await _overflow(page) <= 0, path

    await page.goto(f"{live_server}/login")
    await page.get_by_label("Email").fill(owner.email)
    await page.get_by_label("Password").fill(owner.password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{live_server}/")
    for path in PAGES:
        await page.goto(f"{live_server}{path}")
        await page.wait_for_load_state("networkidle")
        assert await _overflow(page) <= 0, path
    await context.close()
