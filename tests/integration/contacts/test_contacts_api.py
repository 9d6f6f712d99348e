"""The contacts JSON API: list, read, create, change, delete; errors as problem+json."""

from __future__ import annotations

import pytest

from app.domain.audit.tables import AuditLog
from app.domain.contacts.tables import Contact
from tests.factories import bearer, make_organisation, make_token
from tests.integration.contacts.helpers import make_contact


@pytest.fixture
async def api(client):
    owner = await make_organisation("Northwind")
    token = await make_token(owner, "hr-sync")
    client.headers.update(bearer(token))
    client.owner = owner
    return client


async def test_a_contact_is_created_read_and_listed(api):
    created = await api.post(
        "/api/v1/contacts",
        json={
            "email": "Ada@Northwind.CO",
            "entity_type": "employee",
            "first_name": "Ada",
            "department": "Engineering",
            "attributes": {"cost_centre": 4410, "remote": False},
        },
    )

    assert created.status_code == 201
    body = created.json()
    assert created.headers["location"] == f"/api/v1/contacts/{body['id']}"
    assert body["email"] == "Ada@northwind.co"
    assert body["attributes"] == {"cost_centre": 4410, "remote": False}
    read = await api.get(created.headers["location"])
    assert read.status_code == 200, read.text
    assert read.json() == body
    listing = (await api.get("/api/v1/contacts")).json()
    assert listing == {"items": [body], "next_cursor": None}
    entry = await AuditLog.objects().where(AuditLog.action == "contact.created").first()
    assert (entry.actor_type, entry.actor_label) == ("api_token", "hr-sync")


async def test_the_list_pages_by_cursor_and_filters_like_the_page(api):
    for n in range(5):
        await make_contact(
            api.owner,
            email=f"p{n}@northwind.co",
            first_name=f"P{n}",
            department="Sales" if n % 2 else "Support",
        )

    first = (await api.get("/api/v1/contacts", params={"limit": 2})).json()
    second = (
        await api.get("/api/v1/contacts", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    sales = (await api.get("/api/v1/contacts", params={"department": "Sales", "q": "p"})).json()
    exact = (await api.get("/api/v1/contacts", params={"email": "P3@NORTHWIND.CO"})).json()

    assert [c["first_name"] for c in first["items"] + second["items"]] == ["P0", "P1", "P2", "P3"]
    assert [c["first_name"] for c in sales["items"]] == ["P1", "P3"]
    assert [c["email"] for c in exact["items"]] == ["p3@northwind.co"]


async def test_patch_changes_only_what_is_sent_and_merges_attributes(api):
    contact = await make_contact(
        api.owner, email="kai@northwind.co", first_name="Kai", attributes={"a": "1", "b": "2"}
    )

    response = await api.patch(
        f"/api/v1/contacts/{contact['id']}",
        json={"last_name": "Keller", "attributes": {"b": None, "c": 3}},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["first_name"], body["last_name"]) == ("Kai", "Keller")
    assert body["attributes"] == {"a": "1", "c": 3}
    found = (await api.get("/api/v1/contacts", params={"q": "keller"})).json()["items"]
    assert [c["id"] for c in found] == [contact["id"]]  # the search keys followed the change


async def test_delete_answers_204_and_the_contact_is_gone_but_kept(api):
    contact = await make_contact(api.owner, email="gone@northwind.co")

    response = await api.delete(f"/api/v1/contacts/{contact['id']}")

    assert response.status_code == 204
    assert (await api.get(f"/api/v1/contacts/{contact['id']}")).status_code == 404
    assert await Contact.count() == 1


async def test_a_duplicate_email_is_409_problem_json_naming_the_contact(api):
    await make_contact(api.owner, email="grace@northwind.co", first_name="Grace")

    response = await api.post(
        "/api/v1/contacts", json={"email": "GRACE@northwind.co", "entity_type": "vendor"}
    )

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["detail"] == "Grace already has the email grace@northwind.co."
    assert problem["errors"] == [{"field": "email", "message": problem["detail"]}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "entity_type": "employee"}, "email"),
        ({"email": "a@northwind.co", "entity_type": "robot"}, "entity_type"),
        ({"email": "a@northwind.co", "entity_type": "user", "phone": "1" * 51}, "phone"),
        ({"email": "a@northwind.co", "entity_type": "user", "attributes": {"": 1}}, "attributes"),
    ],
)
async def test_invalid_fields_are_400_problem_json_with_the_field(api, body, field):
    response = await api.post("/api/v1/contacts", json=body)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await Contact.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"entity_type": "employee"}',
        b'{"email": "a@northwind.co", "entity_type": "user", "frist_name": "typo"}',
        b'{"email": "a@northwind.co", "entity_type": "user", "attributes": {"x": [1]}}',
        b'["a list"]',
    ],
    ids=["malformed", "missing-email", "unknown-field", "nested-attribute", "not-an-object"],
)
async def test_a_malformed_body_is_a_400_never_a_500(api, body):
    response = await api.post(
        "/api/v1/contacts", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_bad_paging_parameters_are_400(api):
    assert (await api.get("/api/v1/contacts", params={"cursor": "###"})).status_code == 400
    assert (await api.get("/api/v1/contacts", params={"limit": "many"})).status_code == 400


async def test_the_contacts_api_is_described_in_the_openapi_schema(client):
    schema = (await client.get("/schema/openapi.json")).json()

    paths = schema["paths"]
    assert set(paths["/api/v1/contacts"]) == {"get", "post"}
    assert set(paths["/api/v1/contacts/{contact_id}"]) == {"get", "patch", "delete"}
    assert "post" in paths["/api/v1/contacts/import"]
    assert "get" in paths["/api/v1/contacts/imports/{import_id}"]
