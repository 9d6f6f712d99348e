"""Contacts in real Chromium: add one through the form, find it by searching, import a CSV
file and watch its progress turn into the result."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from app.domain.contacts import importer
from tests.factories import make_organisation

pytestmark = pytest.mark.browser

CSV = (
    "Employee ID;E-mail;Given name;Surname;Dept\n"
    "E1;grace@northwind-traders.co;Grace;Hopper;Engineering\n"
    "E2;alan@northwind-traders.co;Alan;Turing;Engineering\n"
    "E3;not-an-email;Broken;Row;Support\n"
    "E4;kathleen@northwind-traders.co;Kathleen;Booth;Sales\n"
)


async def _log_in(page, live_server: str):
    owner = await make_organisation("Northwind Traders")
    await page.goto(f"{live_server}/login")
    await page.get_by_label("Email").fill(owner.email)
    await page.get_by_label("Password").fill(owner.password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{live_server}/")
    return owner


async def test_add_a_contact_then_find_it_by_searching(page, live_server):
    await _log_in(page, live_server)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    await page.get_by_role("button", name="Add contact").click()

    await page.get_by_label("Email (required)").fill("ada.lovelace@northwind-traders.co")
    await page.get_by_label("Type (required)").select_option("employee")
    await page.get_by_label("First name").fill("Ada")
    await page.get_by_label("Last name").fill("Lovelace")
    await page.get_by_label("Department").fill("Engineering")
    await page.get_by_role("button", name="Add contact").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    await expect(page.locator(".flashes")).to_contain_text("Ada Lovelace was added.")

    await page.get_by_role("link", name="Contacts").first.click()
    await page.get_by_role("button", name="Add contact").click()
    await page.get_by_label("Email (required)").fill("charles@northwind-traders.co")
    await page.get_by_label("First name").fill("Charles")
    await page.get_by_role("button", name="Add contact").click()
    await page.goto(f"{live_server}/contacts")
    await expect(page.locator("#contact-rows .contact-name")).to_have_count(2)

    # Typing searches as you go (debounced); the address follows, so reload keeps it.
    await page.get_by_label("Search").press_sequentially("lovel", delay=40)
    await expect(page.locator("#contact-rows .contact-name")).to_have_text(["Ada Lovelace"])
    await expect(page).to_have_url(f"{live_server}/contacts?q=lovel")
    await page.reload()
    await expect(page.locator("#contact-rows .contact-name")).to_have_text(["Ada Lovelace"])


async def test_a_filter_menu_narrows_the_list_without_a_reload(page, live_server):
    owner = await _log_in(page, live_server)
    from tests.integration.contacts.helpers import make_contact

    await make_contact(owner, email="a@northwind-traders.co", first_name="Ann", location="Berlin")
    await make_contact(owner, email="b@northwind-traders.co", first_name="Bea", location="Lisbon")
    await page.goto(f"{live_server}/contacts")

    await page.get_by_label("Location").select_option("Lisbon")

    await expect(page.locator("#contact-rows .contact-name")).to_have_text(["Bea"])
    await expect(page).to_have_url(f"{live_server}/contacts?location=Lisbon")  # no empty fields


async def test_import_a_csv_file_and_watch_it_finish(page, live_server, monkeypatch):
    await _log_in(page, live_server)
    # Slow the job down (one row at a time) so the progress bar is there to be seen.
    monkeypatch.setattr(importer, "BATCH_ROWS", 1)
    apply = importer.ContactUpserter.apply

    async def slowly(self, batch):
        await asyncio.sleep(0.4)
        await apply(self, batch)

    monkeypatch.setattr(importer.ContactUpserter, "apply", slowly)
    await page.goto(f"{live_server}/contacts")
    await page.get_by_role("button", name="Import CSV").click()

    await page.get_by_label("CSV file", exact=True).set_input_files(
        {"name": "northwind.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    await page.get_by_role("button", name="Upload and choose columns").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Choose columns")
    await expect(page.get_by_label("“E-mail” becomes")).to_have_value("email")
    await expect(page.locator(".preview-table .badge-outcome-problem")).to_have_count(1)
    await page.get_by_label("“Dept” becomes").select_option("location")  # htmx re-renders
    await expect(page.locator(".preview-table thead")).to_contain_text("Dept")
    await page.get_by_role("button", name="Import 4 rows").click()

    progress = page.locator("progress")
    await expect(progress).to_be_visible()
    await expect(page.locator("#count-created")).to_have_text("3", timeout=15_000)
    await expect(progress).to_have_count(0)
    await expect(page.locator("#count-rejected")).to_have_text("1")
    await expect(page.locator(".rejected-table tbody tr")).to_have_count(1)
    await expect(page.get_by_role("link", name="Download rejected rows as CSV")).to_be_visible()

    await page.get_by_role("link", name="View contacts").click()
    await expect(page.locator("#contact-rows .contact-name")).to_have_text(
        ["Kathleen Booth", "Grace Hopper", "Alan Turing"]
    )


async def test_the_contacts_pages_fit_a_360px_screen(browser, live_server, db):
    from tests.integration.contacts.helpers import make_contact

    owner = await make_organisation("A Rather Long Organisation Name Incorporated")
    contact = await make_contact(
        owner,
        email="a.very.long.address.for.testing.wrapping@an-unusually-long-domain-name.co",
        first_name="Maximiliana",
        last_name="Featherstonehaugh-Worthington",
        department="Research and Development",
        attributes={"A rather long attribute name": "and an equally long value to go with it"},
    )
    context = await browser.new_context(viewport={"width": 360, "height": 740})
    page = await context.new_page()
    await page.goto(f"{live_server}/login")
    await page.get_by_label("Email").fill(owner.email)
    await page.get_by_label("Password").fill(owner.password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{live_server}/")
    await page.goto(f"{live_server}/contacts/import")
    await page.get_by_label("CSV file", exact=True).set_input_files(
        {"name": "wide.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    await page.get_by_role("button", name="Upload and choose columns").click()
    await page.wait_for_selector("#import-mapping")
    mapping = page.url
    paths = ["/contacts", "/contacts/new", f"/contacts/{contact['id']}", "/contacts/import"]

    for url in [f"{live_server}{path}" for path in paths] + [mapping]:
        await page.goto(url)
        await page.wait_for_load_state("networkidle")
        overflow = await page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, url
    await context.close()
