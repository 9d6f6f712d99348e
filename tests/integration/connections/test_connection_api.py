"""The connection and audience JSON API."""

from __future__ import annotations

from app.domain.connections.tables import MailchimpConnection
from tests.factories import bearer, make_organisation, make_token
from tests.mailchimp_factories import connect, mailchimp_account


async def test_connect_read_and_disconnect_through_the_api(client, sandbox):
    owner = await make_organisation()
    token = await make_token(owner)
    key, account = mailchimp_account(sandbox, name="API Co")
    auth = bearer(token)

    assert (await client.get("/api/v1/connection", headers=auth)).json() is None
    created = await client.post("/api/v1/connection", json={"api_key": key}, headers=auth)
    assert created.status_code == 201
    body = created.json()
    assert body["account_name"] == "API Co"
    assert body["account_id"] == account.account_id
    assert body["dc"] == "us19"
    assert key not in created.text
    assert "secret" not in body

    shown = await client.get("/api/v1/connection", headers=auth)
    assert shown.json()["id"] == body["id"]

    gone = await client.delete("/api/v1/connection", headers=auth)
    assert gone.status_code == 204
    assert (await client.get("/api/v1/connection", headers=auth)).json() is None


async def test_a_bad_key_is_a_400_problem_naming_the_field(client):
    owner = await make_organisation()
    token = await make_token(owner)

    response = await client.post(
        "/api/v1/connection", json={"api_key": "nope"}, headers=bearer(token)
    )

    assert response.status_code == 400
    problem = response.json()
    assert problem["errors"][0]["field"] == "api_key"
    assert "data-centre" in problem["errors"][0]["message"]
    assert await MailchimpConnection.count() == 0


async def test_a_body_of_the_wrong_shape_is_a_400_problem(client):
    owner = await make_organisation()
    token = await make_token(owner)
    for body in ({}, {"api_key": 42}, {"api_key": "x", "extra": 1}, [1, 2]):
        response = await client.post("/api/v1/connection", json=body, headers=bearer(token))
        assert response.status_code == 400, body
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_audiences_and_merge_fields_come_from_the_connected_account(client, sandbox):
    owner = await make_organisation()
    token = await make_token(owner)
    _, _account = await connect(owner, sandbox)

    audiences = (await client.get("/api/v1/audiences", headers=bearer(token))).json()["items"]
    assert [a["name"] for a in audiences] == ["Employees", "Vendors"]
    vendors = audiences[1]
    assert vendors["double_optin"] is True
    assert vendors["member_count"] == 0

    employees = audiences[0]["id"]
    fields = (
        await client.get(f"/api/v1/audiences/{employees}/merge-fields", headers=bearer(token))
    ).json()["items"]
    by_tag = {f["tag"]: f for f in fields}
    assert by_tag["STARTDATE"]["type"] == "date"
    assert by_tag["STARTDATE"]["date_format"] == "YYYY-MM-DD"
    assert {"FNAME", "LNAME", "DEPT"} <= set(by_tag)

    missing = await client.get("/api/v1/audiences/0000000000/merge-fields", headers=bearer(token))
    assert missing.status_code == 404


async def test_audiences_are_cached_until_refreshed(client, sandbox):
    owner = await make_organisation()
    token = await make_token(owner)
    _, account = await connect(owner, sandbox)
    await client.get("/api/v1/audiences", headers=bearer(token))
    next(iter(account.audiences.values())).name = "Renamed in Mailchimp"

    cached = (await client.get("/api/v1/audiences", headers=bearer(token))).json()["items"]
    fresh = (await client.get("/api/v1/audiences?refresh=true", headers=bearer(token))).json()[
        "items"
    ]

    assert "Renamed in Mailchimp" not in [a["name"] for a in cached]
    assert "Renamed in Mailchimp" in [a["name"] for a in fresh]


async def test_audiences_without_a_connection_is_a_clear_404(client):
    owner = await make_organisation()
    token = await make_token(owner)
    response = await client.get("/api/v1/audiences", headers=bearer(token))
    assert response.status_code == 404
    assert "Connect a Mailchimp account first" in response.json()["detail"]
