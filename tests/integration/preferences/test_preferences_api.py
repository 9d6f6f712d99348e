"""`/api/v1/preferences` and `/api/v1/gdpr/erasures`: the ledger and erasures as JSON, with
problem+json for every mistake and 404 for other organisations' contacts."""

from __future__ import annotations

from app.domain.preferences.tables import EmailPreference, Erasure
from tests.contact_factories import make_contact
from tests.factories import bearer, make_organisation, make_token
from tests.integration.preferences.helpers import (
    EMPLOYEES,
    erasure_ends,
    pushes_settled,
    synced_world,
)


async def test_set_and_read_a_preference_by_entity_type_and_id(client, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner, entity_type="vendor")
    await world.sync_all()
    auth = bearer(await make_token(world.owner, name="crm"))

    response = await client.post(
        f"/api/v1/preferences/vendor/{person['id']}",
        json={"status": "opted_out", "source": "product_event"},
        headers=auth,
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "opted_out"
    assert body["consent_source"] == "product_event"
    assert body["changed"] is True
    assert body["history"][0]["actor_type"] == "api_token"
    assert body["history"][0]["actor_label"] == "crm"
    assert [m["list_id"] for m in body["history"][0]["mailchimp"]] == ["all0000001"]
    await pushes_settled(person["id"])
    read = (await client.get(f"/api/v1/preferences/contact/{person['id']}", headers=auth)).json()
    assert read["history"][0]["mailchimp"][0]["status"] == "done"
    assert read["history"][0]["mailchimp"][0]["member_status"] == "unsubscribed"
    again = await client.post(
        f"/api/v1/preferences/vendor/{person['id']}", json={"status": "opted_out"}, headers=auth
    )
    assert again.json()["changed"] is False
    assert len(again.json()["history"]) == 1


async def test_a_contact_with_no_choice_answers_a_null_status(client):
    owner = await make_organisation()
    person = await make_contact(owner)
    auth = bearer(await make_token(owner))

    body = (await client.get(f"/api/v1/preferences/employee/{person['id']}", headers=auth)).json()

    assert body["status"] is None
    assert body["history"] == []


async def test_mistakes_are_problem_json(client):
    owner = await make_organisation()
    person = await make_contact(owner)
    auth = bearer(await make_token(owner))
    url = f"/api/v1/preferences/employee/{person['id']}"

    bad_status = await client.post(url, json={"status": "maybe"}, headers=auth)
    bad_source = await client.post(url, json={"status": "opted_in", "source": "fax"}, headers=auth)
    unknown_field = await client.post(url, json={"status": "opted_in", "why": 1}, headers=auth)
    wrong_type = await client.get(f"/api/v1/preferences/vendor/{person['id']}", headers=auth)
    no_such_kind = await client.get(f"/api/v1/preferences/robot/{person['id']}", headers=auth)
    bad_filter = await client.get("/api/v1/preferences?since=soon", headers=auth)

    for response, status in (
        (bad_status, 400),
        (bad_source, 400),
        (unknown_field, 400),
        (wrong_type, 404),
        (no_such_kind, 404),
        (bad_filter, 400),
    ):
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in bad_status.json()["errors"]} == {"status"}
    assert {e["field"] for e in bad_source.json()["errors"]} == {"source"}
    assert await EmailPreference.count() == 0


async def test_the_list_filters_and_pages(client):
    owner = await make_organisation()
    auth = bearer(await make_token(owner))
    people = [await make_contact(owner) for _ in range(3)]
    for person, status in zip(people, ["opted_out", "opted_in", "opted_out"], strict=True):
        await client.post(
            f"/api/v1/preferences/contact/{person['id']}", json={"status": status}, headers=auth
        )

    out = (await client.get("/api/v1/preferences?status=opted_out", headers=auth)).json()
    first = (await client.get("/api/v1/preferences?limit=2", headers=auth)).json()
    rest = (
        await client.get(f"/api/v1/preferences?limit=2&cursor={first['next_cursor']}", headers=auth)
    ).json()

    assert {item["entity_id"] for item in out["items"]} == {people[0]["id"], people[2]["id"]}
    assert len(first["items"]) == 2
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    assert rest["items"][0]["entity_id"] == people[0]["id"]  # the oldest change comes last


async def test_an_erasure_is_accepted_then_followed_to_done(client, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner)
    await world.sync_all()
    auth = bearer(await make_token(world.owner))

    response = await client.post(
        "/api/v1/gdpr/erasures",
        json={"entity_type": "employee", "entity_id": person["id"]},
        headers=auth,
    )

    assert response.status_code == 202
    erasure_id = response.json()["id"]
    assert response.headers["location"] == f"/api/v1/gdpr/erasures/{erasure_id}"
    await erasure_ends(world.owner, erasure_id, "done")
    body = (await client.get(f"/api/v1/gdpr/erasures/{erasure_id}", headers=auth)).json()
    assert body["status"] == "done"
    assert {a["list_id"]: a["status"] for a in body["audiences"]}[EMPLOYEES] == "done"
    assert "@" not in str(body)  # no address anywhere in the answer
    again = await client.post(
        "/api/v1/gdpr/erasures",
        json={"entity_type": "employee", "entity_id": person["id"]},
        headers=auth,
    )
    assert again.status_code == 200
    assert again.json()["id"] == erasure_id
    assert again.json()["status"] == "done"


async def test_erasure_requests_that_name_nobody_are_refused(client):
    owner = await make_organisation()
    person = await make_contact(owner, entity_type="employee")
    auth = bearer(await make_token(owner))

    wrong_kind = await client.post(
        "/api/v1/gdpr/erasures",
        json={"entity_type": "vendor", "entity_id": person["id"]},
        headers=auth,
    )
    nobody = await client.post(
        "/api/v1/gdpr/erasures", json={"entity_type": "contact", "entity_id": 999999}, headers=auth
    )
    malformed = await client.post(
        "/api/v1/gdpr/erasures", json={"entity_type": "contact", "entity_id": "x"}, headers=auth
    )
    missing = await client.get("/api/v1/gdpr/erasures/424242", headers=auth)

    assert [r.status_code for r in (wrong_kind, nobody, malformed, missing)] == [404, 404, 400, 404]
    assert await Erasure.count() == 0
