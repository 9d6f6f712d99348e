"""Responses conform to Mailchimp's published schemas (where the 3.0.55 conversion is trustworthy)
and, for members and webhooks, to the field lists in FACTS.md §2.7, §2.12 and §6."""

from __future__ import annotations

import hashlib

import jsonschema
import pytest


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@pytest.fixture
async def populated(api, site, ids, put_member):
    """An audience with members, a merge field, a webhook, and a sent campaign with activity."""
    await api.post(
        f"/lists/{ids.staff}/merge-fields",
        json={"name": "Team", "type": "dropdown", "options": {"choices": ["A", "B"]}},
    )
    await put_member("ana@fenwicktools.com", merge_fields={"FNAME": "Ana"}, tags=["Onboarding"])
    await put_member("bo@fenwicktools.com", status_if_new="unsubscribed")
    campaign = (
        await api.post(
            "/campaigns",
            json={
                "type": "regular",
                "recipients": {"list_id": ids.staff},
                "settings": {"title": "T", "subject_line": "S"},
            },
        )
    ).json()
    base = f"/_sandbox/api/accounts/{ids.api_key}/campaigns/{campaign['id']}"
    await site.post(f"{base}/send")
    await site.post(f"{base}/activity", json={"opens": 3, "clicks": 1})
    return campaign["id"]


def test_the_schema_harness_rejects_a_wrong_document(conforms):
    with pytest.raises(jsonschema.ValidationError):
        conforms({"lists": "not a list", "total_items": "many"}, "Subscriber_Lists")


async def test_read_responses_conform(api, ids, populated, conforms):
    for path, schema in [
        ("/ping", "API_health_status"),
        ("/", "API_Root"),
        ("/lists", "Subscriber_Lists"),
        (f"/lists/{ids.staff}", "Subscriber_List"),
        (f"/lists/{ids.staff}/merge-fields", "Collection_of_Merge_Fields"),
        (f"/lists/{ids.staff}/merge-fields/1", "Merge_Field"),
        (f"/lists/{ids.staff}/members/{md5('ana@fenwicktools.com')}/tags", "Collection_of_Tags"),
        ("/campaigns", "getCampaigns_200_response"),
        (f"/campaigns/{populated}", "Campaign"),
        (f"/reports/{populated}", "Campaign_Report"),
    ]:
        response = await api.get(path)
        assert response.status_code == 200, path
        conforms(response.json(), schema)


async def test_write_responses_conform(api, ids, conforms):
    audience = await api.post(
        "/lists",
        json={
            "name": "New",
            "permission_reminder": "p",
            "email_type_option": True,
            "contact": {"company": "c", "address1": "a", "city": "c", "country": "GB"},
            "campaign_defaults": {
                "from_name": "f",
                "from_email": "f@fenwicktools.com",
                "subject": "s",
                "language": "en",
            },
        },
    )
    field = await api.post(
        f"/lists/{ids.staff}/merge-fields", json={"name": "Since", "type": "date"}
    )
    batch = await api.post(
        f"/lists/{ids.staff}",
        json={
            "members": [
                {"email_address": "cy@fenwicktools.com", "status": "subscribed", "tags": ["x"]},
                {"email_address": "cy@example.com", "status": "subscribed"},
            ]
        },
    )

    conforms(audience.json(), "Subscriber_List")
    conforms(field.json(), "Merge_Field")
    conforms(batch.json(), "Batch_update_List_members")
    assert batch.json()["error_count"] == 1


async def test_errors_are_problem_detail_documents(api, conforms):
    response = await api.get("/lists/0000000000")

    conforms(response.json(), "Problem_Detail_Document")
    assert response.headers["content-type"] == "application/problem+json; charset=utf-8"
    assert response.headers["x-request-id"] == response.json()["instance"]


# FACTS.md §6: key order of a real member response
MEMBER_KEYS_IN_ORDER = [
    "id",
    "email_address",
    "unique_email_id",
    "web_id",
    "email_type",
    "status",
    "merge_fields",
    "stats",
    "ip_signup",
    "timestamp_signup",
    "ip_opt",
    "timestamp_opt",
    "member_rating",
    "last_changed",
    "language",
    "vip",
    "email_client",
    "location",
    "source",
    "tags_count",
    "tags",
    "list_id",
    "_links",
]


async def test_members_have_mailchimps_fields_in_mailchimps_order(api, ids, populated):
    member = (await api.get(f"/lists/{ids.staff}/members/ana@fenwicktools.com")).json()
    unsubscribed = (await api.get(f"/lists/{ids.staff}/members/bo@fenwicktools.com")).json()

    assert [k for k in member if k in MEMBER_KEYS_IN_ORDER] == MEMBER_KEYS_IN_ORDER
    assert {"contact_id", "full_name", "consents_to_one_to_one_messaging"} <= set(member)
    assert set(member["merge_fields"]) == {"FNAME", "LNAME", "ADDRESS", "PHONE", "MMERGE5"}
    assert member["merge_fields"]["LNAME"] == ""  # unset is "", never null
    assert member["timestamp_signup"] == ""
    assert set(member["stats"]) >= {"avg_open_rate", "avg_click_rate"}
    assert set(member["location"]) == {
        "latitude",
        "longitude",
        "gmtoff",
        "dstoff",
        "country_code",
        "timezone",
    }
    assert member["tags"] == [{"id": member["tags"][0]["id"], "name": "Onboarding"}]
    assert member["tags_count"] == 1
    assert member["source"] == "API - Generic"
    assert {link["rel"] for link in member["_links"]} == {
        "self",
        "parent",
        "update",
        "upsert",
        "delete",
        "activity",
        "goals",
        "notes",
        "events",
        "delete_permanent",
    }
    assert "unsubscribe_reason" in unsubscribed


async def test_webhooks_have_the_list_webhooks_fields(api, ids):
    created = (
        await api.post(f"/lists/{ids.staff}/webhooks", json={"url": "https://listbridge.test/h"})
    ).json()
    listed = (await api.get(f"/lists/{ids.staff}/webhooks")).json()

    expected = {"id", "url", "events", "sources", "list_id", "signing_enabled", "_links"}
    assert set(created) == expected | {"signing_secret"}
    assert set(listed) == {"webhooks", "list_id", "total_items", "_links"}
    assert set(listed["webhooks"][0]) == expected
    assert set(created["sources"]) == {"user", "admin", "api"}
