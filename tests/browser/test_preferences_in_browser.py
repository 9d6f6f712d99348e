"""Opting a contact out and erasing another in a real browser: each Mailchimp audience's
outcome arrives on the open page, and the erasure is confirmed, followed and finished."""

from __future__ import annotations

import pytest

from app.mailchimp.sandbox.seed import faults_from
from tests.contact_factories import make_contact
from tests.integration.preferences.helpers import EMPLOYEES, EVERYONE, synced_world

pytestmark = pytest.mark.browser


async def _log_in(page, live_server, member):
    await page.goto(f"{live_server}/login")
    await page.get_by_label("Email").fill(member.email)
    await page.get_by_label("Password").fill(member.password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{live_server}/")


async def _overflow(page) -> int:
    return await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


async def test_opt_a_contact_out_and_watch_every_audience_confirm(page, live_server, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner, first_name="Ada", last_name="Lovelace")
    await world.sync_all()
    world.account.set_faults(faults_from({"latency_ms": 300}))  # slow enough to watch
    await _log_in(page, live_server, world.owner)
    await page.goto(f"{live_server}/contacts/{person['id']}")
    url_before = page.url

    await page.get_by_role("button", name="Opt out").click()

    card = page.locator("#contact-preferences")
    await card.locator(".badge-opted_out").wait_for()
    assert "Ada Lovelace is opted out." in await card.inner_text()
    outcomes = card.locator(".audience-outcomes li")
    await page.wait_for_function(
        "() => [...document.querySelectorAll('#contact-preferences .audience-outcomes li')]"
        ".filter(li => li.innerText.includes('✓ done')).length === 2",
        timeout=20_000,
    )
    texts = await outcomes.all_inner_texts()
    assert [t.split()[0] for t in texts] == ["Employees", "Everyone"]
    assert all("Unsubscribed." in t for t in texts)
    assert page.url == url_before
    assert world.member(EMPLOYEES, person["email"]).status == "unsubscribed"
    assert world.member(EVERYONE, person["email"]).status == "unsubscribed"
    await card.get_by_role("button", name="Opt in").wait_for()  # the way back is offered


async def test_erase_a_contact_after_a_confirm_step_and_follow_it_to_done(
    page, live_server, sandbox
):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner, first_name="Bob", last_name="Gone")
    await world.sync_all()
    await _log_in(page, live_server, world.owner)
    await page.goto(f"{live_server}/contacts/{person['id']}")

    await page.locator("#contact-preferences").get_by_role("button", name="Erase…").click()

    await page.get_by_role("heading", name="Erase Bob Gone?").wait_for()
    confirm = await page.locator(".erase-card").inner_text()
    assert "This cannot be undone" in confirm
    assert "Employees" in confirm
    assert "Everyone" in confirm
    await page.get_by_role("button", name="Erase Bob Gone permanently").click()
    await page.get_by_text("no copy remains").wait_for(timeout=20_000)
    assert await page.locator("#erasure-status h2 .badge").inner_text() == "done"
    assert "Bob" not in await page.locator("main").inner_text()
    assert world.member(EMPLOYEES, person["email"]) is None
    assert world.member(EVERYONE, person["email"]) is None
    await page.get_by_role("link", name="Erasures").click()
    assert "2 of 2 done" in await page.locator("#erasure-rows").inner_text()


async def test_opt_several_out_from_the_contacts_list(page, live_server, sandbox):
    world = await synced_world(sandbox)
    first = await make_contact(world.owner, first_name="Ann", last_name="Aardvark")
    await make_contact(world.owner, first_name="Ben", last_name="Badger")
    await make_contact(world.owner, first_name="Cat", last_name="Cheetah")
    await _log_in(page, live_server, world.owner)
    await page.goto(f"{live_server}/contacts")

    await page.get_by_label("Select Ann Aardvark").check()
    await page.get_by_label("Select Cat Cheetah").check()
    await page.get_by_role("button", name="Opt out selected").click()
    await page.get_by_role("heading", name="Opt out 2 contacts?").wait_for()
    await page.get_by_role("button", name="Opt out 2 contacts").click()

    await page.get_by_text("2 opted out. Mailchimp is being updated.").wait_for()
    await page.goto(f"{live_server}/preferences?status=opted_out")
    names = await page.locator("#preference-rows a.contact-name").all_inner_texts()
    assert sorted(names) == ["Ann Aardvark", "Cat Cheetah"]
    await page.set_viewport_size({"width": 360, "height": 740})
    for path in (f"/preferences/contacts/{first['id']}", "/preferences?status=opted_out"):
        await page.goto(f"{live_server}{path}")
        await page.wait_for_load_state("networkidle")
        assert await _overflow(page) <= 0, path
