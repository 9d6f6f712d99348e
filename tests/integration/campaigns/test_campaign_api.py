"""`/api/v1/campaigns`: track, list, read with history, refresh and untrack, as JSON."""

from __future__ import annotations

from app.domain.campaigns.tables import CampaignTracking
from tests.factories import bearer, make_organisation, make_token
from tests.integration.campaigns.sandbox_campaigns import activity, sandbox_campaign
from tests.mailchimp_factories import connect


async def _api_user(sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox, name="Bluefin Bakery")
    return owner, account, bearer(await make_token(owner))


async def test_track_read_refresh_and_untrack_through_the_api(client, sandbox):
    _, account, auth = await _api_user(sandbox)
    campaign = sandbox_campaign(
        account, title="Spring newsletter", emails_sent=200, unique_opens=20, unique_clicks=2
    )

    created = await client.post(
        "/api/v1/campaigns", json={"campaign_id": campaign.id}, headers=auth
    )

    assert created.status_code == 201
    body = created.json()
    assert body["campaign_id"] == campaign.id
    assert (body["title"], body["status"], body["status_label"]) == (
        "Spring newsletter",
        "sent",
        "sent",
    )
    assert (body["emails_sent"], body["unique_opens"], body["open_rate"]) == (200, 20, 0.1)
    assert body["click_rate"] == 0.01
    assert body["audience"] == "Employees"
    assert body["last_error"] is None
    assert body["auto_refresh"] is True
    assert body["auto_refresh_until"] is not None

    activity(campaign, opens=30)
    refreshed = await client.post(f"/api/v1/campaigns/{body['id']}/refresh", headers=auth)
    assert refreshed.status_code == 200
    assert refreshed.json()["open_rate"] == 0.25

    shown = (await client.get(f"/api/v1/campaigns/{body['id']}", headers=auth)).json()
    assert [(s["trigger"], s["open_rate"]) for s in shown["history"]] == [
        ("track", 0.1),
        ("api", 0.25),
    ]

    gone = await client.delete(f"/api/v1/campaigns/{body['id']}", headers=auth)
    assert gone.status_code == 204
    assert (await client.get(f"/api/v1/campaigns/{body['id']}", headers=auth)).status_code == 404
    assert (await client.get("/api/v1/campaigns", headers=auth)).json()["items"] == []


async def test_an_unknown_campaign_id_is_a_400_naming_the_field(client, sandbox):
    _, _, auth = await _api_user(sandbox)

    response = await client.post(
        "/api/v1/campaigns", json={"campaign_id": "0000000000"}, headers=auth
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["detail"] == "Mailchimp has no campaign “0000000000” in Bluefin Bakery."
    assert problem["errors"][0]["field"] == "campaign_id"
    assert await CampaignTracking.count() == 0


async def test_tracking_twice_is_a_409_naming_the_campaign(client, sandbox):
    _, account, auth = await _api_user(sandbox)
    campaign = sandbox_campaign(account, title="Spring newsletter")
    await client.post("/api/v1/campaigns", json={"campaign_id": campaign.id}, headers=auth)

    again = await client.post("/api/v1/campaigns", json={"campaign_id": campaign.id}, headers=auth)

    assert again.status_code == 409
    assert again.json()["detail"] == f"“Spring newsletter” ({campaign.id}) is already tracked."


async def test_bodies_of_the_wrong_shape_are_400_problems(client, sandbox):
    _, _, auth = await _api_user(sandbox)
    for body in ({}, {"campaign_id": 42}, {"campaign_id": "x", "extra": 1}, ["x"]):
        response = await client.post("/api/v1/campaigns", json=body, headers=auth)
        assert response.status_code == 400, body
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_failed_refresh_is_a_502_and_is_recorded_on_the_campaign(client, sandbox):
    _, account, auth = await _api_user(sandbox)
    campaign = sandbox_campaign(account)
    created = await client.post(
        "/api/v1/campaigns", json={"campaign_id": campaign.id}, headers=auth
    )
    del account.campaigns[campaign.id]

    response = await client.post(f"/api/v1/campaigns/{created.json()['id']}/refresh", headers=auth)

    assert response.status_code == 502
    assert response.json()["title"] == "Refresh failed"
    assert "Mailchimp no longer has this campaign" in response.json()["detail"]
    shown = (await client.get(f"/api/v1/campaigns/{created.json()['id']}", headers=auth)).json()
    assert shown["last_error_code"] == "campaign_not_found"
    assert shown["last_error_at"] is not None


async def test_the_list_pages_with_a_cursor(client, sandbox):
    _, account, auth = await _api_user(sandbox)
    for n in range(5):
        campaign = sandbox_campaign(account, title=f"Digest {n}")
        await client.post("/api/v1/campaigns", json={"campaign_id": campaign.id}, headers=auth)

    first = (await client.get("/api/v1/campaigns?limit=2", headers=auth)).json()
    second = (
        await client.get(f"/api/v1/campaigns?limit=2&cursor={first['next_cursor']}", headers=auth)
    ).json()
    third = (
        await client.get(f"/api/v1/campaigns?limit=2&cursor={second['next_cursor']}", headers=auth)
    ).json()

    titles = [c["title"] for page in (first, second, third) for c in page["items"]]
    assert titles == ["Digest 4", "Digest 3", "Digest 2", "Digest 1", "Digest 0"]
    assert third["next_cursor"] is None
    broken = await client.get("/api/v1/campaigns?cursor=nonsense", headers=auth)
    assert broken.status_code == 400


async def test_the_api_needs_a_token_or_a_session(client):
    response = await client.get("/api/v1/campaigns")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
