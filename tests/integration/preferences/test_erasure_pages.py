"""Erasing from the browser: a confirm step that names the audiences and says it cannot be
undone, then the erasure's own page and the erasures list; only admins may erase."""

from __future__ import annotations

from app.domain.contacts.tables import Contact
from app.domain.preferences.tables import Erasure
from tests.contact_factories import make_contact
from tests.factories import add_person, htmx, log_in, post_form, soup
from tests.integration.preferences.helpers import erasure_ends, synced_world


async def test_the_confirm_step_names_what_will_happen_then_the_erasure_runs(client, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner, first_name="Rosalind", last_name="Franklin")
    await world.sync_all()
    await log_in(client, world.owner)

    panel = soup(await htmx(client, "GET", f"/preferences/contacts/{person['id']}/panel"))
    confirm_url = panel.select_one("a.danger-link")["href"]
    page = soup(await client.get(confirm_url))

    assert page.select_one("h1").get_text(strip=True) == "Erase Rosalind Franklin?"
    text = page.get_text(" ", strip=True)
    assert "This cannot be undone" in text
    assert [li.get_text(strip=True) for li in page.select(".erase-card ul ul li")] == [
        "Employees",
        "Everyone",
    ]
    assert await Erasure.count() == 0  # looking is not erasing

    response = await post_form(client, confirm_url)

    erasure = await Erasure.objects().first()
    assert response.headers["location"] == f"/preferences/erasures/{erasure.id}"
    await erasure_ends(world.owner, erasure.id, "done")
    shown = soup(await client.get(response.headers["location"]))
    assert shown.select_one("#erasure-status .badge").get_text() == "done"
    assert "no copy remains" in shown.get_text()
    assert "Rosalind" not in shown.get_text()
    listing = soup(await client.get("/preferences/erasures"))
    assert "2 of 2 done" in listing.select_one("#erasure-rows").get_text()
    assert (await client.get(f"/contacts/{person['id']}")).status_code == 404


async def test_the_erasure_page_watches_itself_while_it_runs(client, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner)
    await log_in(client, world.owner)
    erasure = Erasure(
        organisation=world.owner.organisation.id,
        entity_type="employee",
        contact_id=person["id"],
        subscriber_hash="0" * 32,
        status="running",
    )
    await erasure.save()

    page = soup(await client.get(f"/preferences/erasures/{erasure.id}"))

    live = page.select_one("#erasure-live")
    assert live["hx-trigger"] == "every 2s"
    assert live["hx-get"] == f"/preferences/erasures/{erasure.id}"
    fragment = soup(await htmx(client, "GET", live["hx-get"]))
    assert fragment.select_one("h1") is None  # the partial alone
    assert fragment.select_one("#erasure-status .badge").get_text() == "running"
    assert fragment.select_one("#history-heading")  # the trail grows as it runs


async def test_only_admins_may_erase(client, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner)
    member = await add_person(world.owner, role="member")
    await log_in(client, member)

    panel = soup(await htmx(client, "GET", f"/preferences/contacts/{person['id']}/panel"))
    assert panel.select_one("a.danger-link") is None
    assert (await client.get(f"/preferences/contacts/{person['id']}/erase")).status_code == 403
    refused = await post_form(client, f"/preferences/contacts/{person['id']}/erase")

    assert refused.status_code == 403
    assert await Erasure.count() == 0
    contact = await Contact.objects().get(Contact.id == person["id"])
    assert contact.soft_deleted_at is None
