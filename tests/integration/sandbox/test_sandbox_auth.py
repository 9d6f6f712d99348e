"""Authentication like Mailchimp's: Basic with any user name, or Bearer; keys are per account."""

from __future__ import annotations

import pytest

INVALID_DETAIL = "Your API key may be invalid, or you've attempted to access the wrong datacenter."


async def test_ping_answers_everythings_chimpy(api):
    response = await api.get("/ping")

    assert response.status_code == 200
    assert response.json() == {"health_status": "Everything's Chimpy!"}


async def test_a_request_without_a_key_is_refused(make_client):
    async with make_client(key=None) as anonymous:
        response = await anonymous.get("/ping")

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "API Key Missing"


@pytest.mark.parametrize(
    "key",
    ["not-a-key", "5f2b8c9d0e1a4b3c6d7e8f9a0b1c2d3e", "5F2B8C9D0E1A4B3C6D7E8F9A0B1C2D3E-us19"],
)
async def test_a_malformed_key_is_api_key_invalid(make_client, key):
    async with make_client(key=key) as client:
        response = await client.get("/lists")

    assert response.status_code == 401
    assert response.json()["title"] == "API Key Invalid"
    assert response.json()["detail"] == INVALID_DETAIL


async def test_a_revoked_key_stops_working(api, site, ids):
    assert (await api.get("/lists")).status_code == 200

    await site.post(f"/_sandbox/api/accounts/{ids.api_key}/revoke")

    refused = await api.get("/lists")
    assert refused.status_code == 401
    assert refused.json()["title"] == "API Key Invalid"


async def test_bearer_works_like_basic(make_client, ids):
    async with make_client(key=None) as client:
        response = await client.get("/lists", headers={"Authorization": f"Bearer {ids.api_key}"})

    assert response.status_code == 200
    assert [a["name"] for a in response.json()["lists"]] == ["Staff", "Partners"]


async def test_any_well_formed_key_is_its_own_empty_account(make_client, ids):
    async with make_client(key="0123456789abcdef0123456789abcdef-us6") as stranger:
        lists = await stranger.get("/lists")
        root = await stranger.get("/")
        foreign = await stranger.get(f"/lists/{ids.staff}")

    assert lists.json()["total_items"] == 0
    assert root.json()["account_id"]
    assert foreign.status_code == 404


async def test_the_account_root_describes_the_account(api):
    root = (await api.get("/")).json()

    assert root["account_name"] == "Fenwick Tools"
    assert root["email"] == "ops@fenwicktools.com"
    assert (root["first_name"], root["last_name"], root["role"]) == ("Ida", "Fenwick", "owner")
    assert set(root) >= {
        "account_id",
        "login_id",
        "username",
        "avatar_url",
        "member_since",
        "pricing_plan_type",
        "first_payment",
        "account_timezone",
        "account_industry",
        "contact",
        "pro_enabled",
        "last_login",
        "total_subscribers",
        "industry_stats",
        "_links",
    }
    assert "login" not in root  # that object belongs to OAuth metadata, not the API root
