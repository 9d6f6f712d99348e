"""A segment made in real Chromium, from the keyboard: who belongs, the audience and its merge
fields, tags and what happens to leavers; then its first sync, watched live on its page."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from app.mailchimp.sandbox.seed import faults_from
from tests.contact_factories import make_contact, make_contacts
from tests.integration.segments.sync_helpers import AUDIENCE, audience, connected

pytestmark = pytest.mark.browser

# Every text the live status area shows, in order, whatever replaced it (an htmx swap, SSE).
WATCH_STATUS = """
window.statusSeen = [];
window.sseOpened = 0;
document.addEventListener('htmx:sseOpen', () => { window.sseOpened += 1; });
new MutationObserver(() => {
  const status = document.querySelector('#sync-status');
  const text = status ? status.innerText.replace(/\\s+/g, ' ').trim() : '';
  const last = window.statusSeen[window.statusSeen.length - 1];
  if (text && text !== last) window.statusSeen.push(text);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


async def _press(locator, key: str = "Enter") -> None:
    await locator.focus()
    await locator.press(key)


async def _type(locator, text: str) -> None:
    await locator.focus()
    await locator.press_sequentially(text)


async def test_create_a_segment_from_the_keyboard_and_watch_its_first_sync(
    page, live_server, sandbox
):
    owner, _, account = await connected(sandbox)
    await make_contacts(
        owner, 40, department="Sales", location="Berlin", attributes={"start": "2021-04-01"}
    )
    await make_contact(owner, department="Engineering", location="Berlin")
    await make_contact(owner, entity_type="vendor", department="Sales", location="Berlin")
    await page.add_init_script(WATCH_STATUS)

    await page.goto(f"{live_server}/login")
    await _type(page.get_by_label("Email"), owner.email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(owner.password)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{live_server}/")
    await _press(page.get_by_role("navigation", name="Main").get_by_role("link", name="Segments"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Segments")
    await _press(page.get_by_role("link", name="Create the first segment"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("New segment")

    preview = page.locator("#segment-preview .preview-count strong")
    await _type(page.get_by_label("Name", exact=True), "Berlin sales")
    await _press(page.get_by_label("Everyone (employees, vendors and app users)"), "Space")
    await expect(preview).to_have_text("42")
    await _press(page.get_by_label("Employees", exact=True), "Space")
    await expect(preview).to_have_text("41")
    department = page.get_by_role("group", name="Department (none ticked = any)")
    await _press(department.get_by_label("Sales"), "Space")
    await expect(preview).to_have_text("40")  # counted as the filters change, before saving

    await _press(page.get_by_label("Mailchimp audience"), "ArrowDown")
    await expect(page.get_by_label("Mailchimp audience")).to_have_value(AUDIENCE)
    department_field = page.locator("#map-DEPT")
    await expect(department_field).to_be_visible()  # the audience's merge fields, by htmx
    await expect(page.locator("label[for=map-START]")).to_contain_text("Start date")
    await _type(department_field, "Department")  # typing picks the option, as on a <select>
    await expect(department_field).to_have_value("department")
    await _type(page.locator("#map-START"), "An attribute")
    await expect(page.locator("#map-START")).to_have_value("attribute:")
    await _type(page.get_by_label("Attribute name for START"), "start")
    await _type(page.get_by_label("Tags to apply"), "staff, berlin")
    await _press(
        page.get_by_label("Archive them (hidden from the audience; can come back later)"), "Space"
    )
    await _press(page.get_by_role("button", name="Create segment"))

    await expect(page.get_by_role("heading", level=1)).to_have_text("Berlin sales")
    await expect(page.locator(".flashes")).to_contain_text("Segment “Berlin sales” created.")
    await expect(page.locator(".stat .value").first).to_have_text("40")
    rules = page.locator("dl.facts")
    await expect(rules).to_contain_text("DEPT ← department")
    await expect(rules).to_contain_text("START ← attribute:start")
    await expect(rules).to_contain_text("staff, berlin")
    await expect(rules).to_contain_text("archived")
    await expect(page.locator("#sync-status")).to_contain_text("Not synced yet.")

    # Slow Mailchimp down so there is progress to watch, then sync from the keyboard.
    account.set_faults(faults_from({"latency_ms": 300}))
    await page.wait_for_function("window.sseOpened >= 1")
    await _press(page.get_by_role("button", name="Sync now"))

    await expect(page.locator("#sync-status")).to_contain_text("Last sync finished", timeout=30_000)
    counts = page.locator("#sync-status dl.run-counts")
    await expect(counts.locator("div", has_text="selected").locator("dd")).to_have_text("40")
    await expect(counts.locator("div", has_text="added").locator("dd")).to_have_text("40")
    await expect(page.locator("#sync-status .badge")).to_have_text("synced")
    seen = await page.evaluate("window.statusSeen")
    assert any("sending" in text for text in seen), seen  # a running state, pushed over SSE
    held = audience(account)
    assert len(held) == 40
    assert {frozenset(m.tags) for m in held.values()} == {frozenset({"staff", "berlin"})}
    assert {m.merge_fields["DEPT"] for m in held.values()} == {"Sales"}
    assert {m.merge_fields["START"] for m in held.values()} == {"2021-04-01"}
