"""A person signs up, logs out, logs back in and reaches the dashboard, in real Chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


async def test_sign_up_log_out_log_in_reach_the_dashboard(page, live_server):
    await page.goto(f"{live_server}/signup")
    await page.get_by_label("Organisation name").fill("Umbrella Corp")
    await page.get_by_label("Your name").fill("Alice Abernathy")
    await page.get_by_label("Work email").fill("alice@umbrella.test")
    await page.get_by_label("Password").fill("raccoon city 1")
    await page.get_by_role("button", name="Create organisation").click()

    await page.wait_for_url(f"{live_server}/")
    assert await page.get_by_role("heading", level=1).inner_text() == "Umbrella Corp"
    assert "Welcome to Listbridge" in await page.locator(".flashes").inner_text()

    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url(f"{live_server}/login")

    await page.get_by_label("Email").fill("alice@umbrella.test")
    await page.get_by_label("Password").fill("wrong password")
    await page.get_by_role("button", name="Log in").click()
    assert "don't match" in await page.get_by_role("alert").inner_text()

    await page.get_by_label("Password").fill("raccoon city 1")
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{live_server}/")
    nav = page.get_by_role("navigation", name="Main")
    assert await nav.get_by_role("link", name="Dashboard").get_attribute("aria-current") == "page"


async def test_the_login_form_works_with_the_keyboard_alone(page, live_server):
    from tests.factories import make_organisation

    owner = await make_organisation("Keyboard Co")
    await page.goto(f"{live_server}/login")
    # The email field has focus on arrival; Tab moves to the password, Enter submits.
    await page.keyboard.type(owner.email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(owner.password)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{live_server}/")
    assert await page.get_by_role("heading", level=1).inner_text() == "Keyboard Co"
