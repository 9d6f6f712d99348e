"""Adding, editing and deleting a contact through its pages, with inline validation."""

from __future__ import annotations

from app.domain.audit.tables import AuditLog
from app.domain.contacts.tables import Contact
from tests.factories import log_in, make_organisation, post_form, soup
from tests.integration.contacts.helpers import live_contacts, make_contact

ADA = {
    "email": "Ada.Lovelace@Northwind-Traders.co",
    "entity_type": "employee",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "external_id": "E-1815",
    "department": "Engineering",
    "location": "London",
    "employment_type": "full_time",
    "employment_status": "active",
    "phone": "+44 20 7946 0000",
    "company": "",
    "attributes": "Cost centre: 4410\nStart date: 2021-03-01",
}


async def test_a_new_contact_is_saved_and_its_page_shows_every_field_and_the_history(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await post_form(client, "/contacts", ADA)

    assert response.status_code == 302
    page = await client.get(response.headers["location"])
    html = soup(page)
    assert html.select_one("h1").get_text(strip=True) == "Ada Lovelace"
    details = html.select_one("#details-heading").find_parent("section").get_text(" ", strip=True)
    # The domain is lower-cased, the local part keeps its case.
    for shown in ("Ada.Lovelace@northwind-traders.co", "E-1815", "Engineering", "London"):
        assert shown in details
    attributes = html.select_one("#attributes-heading").find_parent("section").get_text(" ")
    assert "Cost centre" in attributes
    assert "4410" in attributes
    assert "contact.created" in html.select_one("#history-heading").find_parent("section").text
    assert "Ada Lovelace was added." in html.select_one(".flashes").get_text()


async def test_a_contact_with_a_bad_email_shows_an_inline_error_and_is_not_saved(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await post_form(client, "/contacts", {**ADA, "email": "ada@localhost"})

    assert response.status_code == 400
    html = soup(response)
    assert html.select_one("#field-email")["aria-invalid"] == "true"
    assert "domain" in html.select_one("#error-email").get_text()
    assert html.select_one("#field-first_name")["value"] == "Ada"  # the form keeps what was typed
    assert await Contact.count() == 0


async def test_email_and_type_are_required(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await post_form(client, "/contacts", {"first_name": "Nobody"})

    assert response.status_code == 400
    html = soup(response)
    assert html.select_one("#error-email").get_text() == "Enter an email address."
    assert "employee, vendor or user" in html.select_one("#error-entity_type").get_text()
    assert await Contact.count() == 0


async def test_a_duplicate_email_in_any_letter_case_names_the_existing_contact(client):
    owner = await make_organisation()
    existing = await make_contact(
        owner, email="grace.hopper@northwind.co", first_name="Grace", last_name="Hopper"
    )
    await log_in(client, owner)

    response = await post_form(
        client, "/contacts", {"email": "GRACE.Hopper@Northwind.CO", "entity_type": "vendor"}
    )

    assert response.status_code == 409
    html = soup(response)
    assert "Grace Hopper already has the email" in html.select_one("#error-email").get_text()
    assert html.select_one(".field-link a")["href"] == f"/contacts/{existing['id']}"
    assert len(await live_contacts(owner)) == 1


async def test_the_same_email_in_another_organisation_is_fine(client):
    first = await make_organisation()
    await make_contact(first, email="shared@northwind.co")
    second = await make_organisation()
    await log_in(client, second)

    response = await post_form(
        client, "/contacts", {"email": "shared@northwind.co", "entity_type": "user"}
    )

    assert response.status_code == 302
    assert len(await live_contacts(second)) == 1


async def test_a_duplicate_external_id_is_refused_inline(client):
    owner = await make_organisation()
    await make_contact(owner, email="a@northwind.co", first_name="Alan", external_id="E-7")
    await log_in(client, owner)

    response = await post_form(
        client,
        "/contacts",
        {"email": "b@northwind.co", "entity_type": "employee", "external_id": "E-7"},
    )

    assert response.status_code == 409
    assert "already has the external ID E-7" in soup(response).select_one("#error-external_id").text


async def test_editing_a_contact_records_what_changed_in_its_history(client):
    owner = await make_organisation()
    contact = await make_contact(
        owner, email="kai@northwind.co", first_name="Kai", department="Sales"
    )
    await log_in(client, owner)
    form = soup(await client.get(f"/contacts/{contact['id']}/edit"))
    assert form.select_one("#field-department")["value"] == "Sales"

    response = await post_form(
        client,
        f"/contacts/{contact['id']}",
        {
            "email": "kai@northwind.co",
            "entity_type": "employee",
            "first_name": "Kai",
            "department": "Support",
            "attributes": "",
        },
    )

    assert response.status_code == 302
    html = soup(await client.get(f"/contacts/{contact['id']}"))
    history = html.select_one("#history-heading").find_parent("section").get_text(" ", strip=True)
    assert "contact.updated" in history
    assert "Sales → Support" in history
    entry = (
        await AuditLog.select(AuditLog.changes)
        .where(AuditLog.action == "contact.updated")
        .output(load_json=True)
        .first()
    )
    assert entry["changes"] == {"department": {"from": "Sales", "to": "Support"}}


async def test_editing_to_an_email_another_contact_has_is_an_inline_error(client):
    owner = await make_organisation()
    await make_contact(owner, email="taken@northwind.co", first_name="Taken")
    mine = await make_contact(owner, email="mine@northwind.co", first_name="Mine")
    await log_in(client, owner)

    response = await post_form(
        client,
        f"/contacts/{mine['id']}",
        {"email": "Taken@northwind.co", "entity_type": "employee"},
    )

    assert response.status_code == 409
    assert "Taken already has the email" in soup(response).select_one("#error-email").get_text()
    assert (await Contact.objects().get(Contact.id == mine["id"])).email == "mine@northwind.co"


async def test_deleting_asks_first_then_hides_the_contact_but_keeps_its_history(client):
    owner = await make_organisation()
    contact = await make_contact(owner, email="leaver@northwind.co", first_name="Leaver")
    await log_in(client, owner)

    confirm = soup(await client.get(f"/contacts/{contact['id']}/delete"))
    assert confirm.select_one("h1").get_text(strip=True) == "Delete Leaver?"
    assert confirm.select_one(f"form[action='/contacts/{contact['id']}/delete']") is not None
    assert await Contact.count().where(Contact.soft_deleted_at.is_null()) == 1

    response = await post_form(client, f"/contacts/{contact['id']}/delete")

    assert response.status_code == 302
    assert (await client.get(f"/contacts/{contact['id']}")).status_code == 404
    assert "leaver@northwind.co" not in (await client.get("/contacts")).text
    row = await Contact.objects().get(Contact.id == contact["id"])
    assert row.soft_deleted_at is not None  # hidden, never destroyed
    assert await AuditLog.exists().where(AuditLog.action == "contact.deleted")


async def test_a_deleted_contact_s_email_can_be_used_again(client):
    owner = await make_organisation()
    contact = await make_contact(owner, email="again@northwind.co")
    await log_in(client, owner)
    await post_form(client, f"/contacts/{contact['id']}/delete")

    response = await post_form(
        client, "/contacts", {"email": "again@northwind.co", "entity_type": "employee"}
    )

    assert response.status_code == 302
    assert await Contact.count() == 2


async def test_an_attribute_line_without_a_colon_is_an_inline_error(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await post_form(
        client,
        "/contacts",
        {"email": "x@northwind.co", "entity_type": "user", "attributes": "Plan: pro\njust words"},
    )

    assert response.status_code == 400
    assert "Line 2" in soup(response).select_one("#error-attributes").get_text()
    assert await Contact.count() == 0


async def test_the_contact_page_says_plainly_when_it_is_in_no_segment_or_audience(client):
    owner = await make_organisation()
    contact = await make_contact(owner, email="ines@northwind.co", first_name="Ines")
    await log_in(client, owner)

    html = soup(await client.get(f"/contacts/{contact['id']}"))

    assert html.select_one("#contact-segments h2").get_text() == "Segments"
    segments = await client.get(html.select_one("#contact-segments [hx-get]")["hx-get"])
    assert "in no segment" in soup(segments).get_text()
    assert html.select_one("#contact-audiences h2").get_text() == "Mailchimp audiences"
    assert html.select_one("#contact-preferences h2").get_text() == "Email preferences"
    assert html.select("#contact-segments li, #contact-audiences li") == []
