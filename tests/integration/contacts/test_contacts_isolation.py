"""One organisation never sees or touches another's contacts, imports or filter values."""

from __future__ import annotations

import pytest

from app.domain.contacts.tables import Contact
from tests.factories import bearer, log_in, make_organisation, make_token, post_form, soup
from tests.integration.contacts.helpers import finished, import_id_from, make_contact, upload_csv


@pytest.fixture
async def world(client, other_client):
    """Org A with a contact and a finished import; org B logged in on `other_client`."""
    org_a = await make_organisation("A Corp")
    secret = await make_contact(
        org_a,
        email="secret.agent@a-corp.co",
        first_name="Secret",
        department="Covert Operations",
        location="Atlantis",
    )
    await log_in(client, org_a)
    import_id = import_id_from(await upload_csv(client, "Email\nbad-row\nok@a-corp.co\n"))
    await post_form(
        client,
        f"/contacts/import/{import_id}",
        {"column-0": "email", "entity_type": "employee", "action": "import"},
    )
    await finished(import_id)
    org_b = await make_organisation("B Corp")
    await log_in(other_client, org_b)
    return {"contact": secret, "import_id": import_id, "org_b": org_b}


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/{contact}",
        "/contacts/{contact}/edit",
        "/contacts/{contact}/delete",
        "/contacts/import/{import_id}",
        "/contacts/import/{import_id}/progress",
        "/contacts/import/{import_id}/rejected.csv",
    ],
)
async def test_org_b_gets_404_for_org_a_s_pages(world, other_client, path):
    url = path.format(contact=world["contact"]["id"], import_id=world["import_id"])

    response = await other_client.get(url)

    assert response.status_code == 404
    assert "secret.agent" not in response.text
    assert "bad-row" not in response.text


async def test_org_b_cannot_change_or_delete_org_a_s_contact(world, other_client):
    contact_id = world["contact"]["id"]

    edit = await post_form(
        other_client,
        f"/contacts/{contact_id}",
        {"email": "hijacked@b-corp.co", "entity_type": "vendor"},
    )
    delete = await post_form(other_client, f"/contacts/{contact_id}/delete")

    assert (edit.status_code, delete.status_code) == (404, 404)
    row = await Contact.objects().get(Contact.id == contact_id)
    assert (row.email, row.soft_deleted_at) == ("secret.agent@a-corp.co", None)


async def test_org_b_cannot_map_or_restart_org_a_s_import(world, other_client):
    import_id = world["import_id"]

    mapping = await post_form(
        other_client, f"/contacts/import/{import_id}", {"column-0": "email", "action": "import"}
    )
    start = await post_form(other_client, f"/contacts/import/{import_id}/start")

    assert (mapping.status_code, start.status_code) == (404, 404)


async def test_org_b_never_sees_org_a_s_contacts_or_filter_values(world, other_client):
    page = await other_client.get("/contacts")
    search = await other_client.get("/contacts", params={"q": "secret"})
    filtered = await other_client.get("/contacts", params={"department": "Covert Operations"})
    imports = await other_client.get("/contacts/import")

    for response in (page, search, filtered, imports):
        assert response.status_code == 200
        assert "secret.agent" not in response.text
    options = [o["value"] for o in soup(page).select("#contact-filters option")]
    assert "Covert Operations" not in options
    assert "Atlantis" not in options
    assert soup(imports).select("table a") == []


async def test_org_b_s_api_token_gets_404_for_org_a_s_contact_and_import(world, other_client):
    token = await make_token(world["org_b"], "b-sync")
    headers = bearer(token)
    contact_id, import_id = world["contact"]["id"], world["import_id"]

    responses = [
        await other_client.get(f"/api/v1/contacts/{contact_id}", headers=headers),
        await other_client.patch(
            f"/api/v1/contacts/{contact_id}", json={"first_name": "Owned"}, headers=headers
        ),
        await other_client.delete(f"/api/v1/contacts/{contact_id}", headers=headers),
        await other_client.get(f"/api/v1/contacts/imports/{import_id}", headers=headers),
        await other_client.get(f"/api/v1/contacts/imports/{import_id}/rejected", headers=headers),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in responses)
    listing = await other_client.get("/api/v1/contacts", headers=headers)
    assert listing.json() == {"items": [], "next_cursor": None}
    assert (await Contact.objects().get(Contact.id == contact_id)).first_name == "Secret"
