"""Batch subscribe (`POST /lists/{id}`): per-member outcomes in a 200, at most 500 members."""

from __future__ import annotations


def member(email: str, **fields):
    return {"email_address": email, **fields}


async def test_new_members_are_created_and_existing_ones_need_update_existing(api, ids, put_member):
    await put_member("amy@fenwicktools.com")

    response = await api.post(
        f"/lists/{ids.staff}",
        json={
            "members": [
                member("amy@fenwicktools.com", status="subscribed"),
                member("ben@fenwicktools.com", status_if_new="pending"),
            ]
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert [m["email_address"] for m in body["new_members"]] == ["ben@fenwicktools.com"]
    assert body["new_members"][0]["status"] == "pending"
    assert body["updated_members"] == []
    assert body["errors"] == [
        {
            "email_address": "amy@fenwicktools.com",
            "error": "amy@fenwicktools.com is already a list member, do you want to update? "
            "please provide update_existing:true in the request body",
            "error_code": "ERROR_CONTACT_EXISTS",
            "field": "",
            "field_message": "",
        }
    ]
    assert (body["total_created"], body["total_updated"], body["error_count"]) == (1, 0, 1)


async def test_update_existing_changes_status_but_never_through_status_if_new(api, ids, put_member):
    await put_member("cat@fenwicktools.com")
    await put_member("dan@fenwicktools.com")

    response = await api.post(
        f"/lists/{ids.staff}",
        json={
            "update_existing": True,
            "members": [
                member("cat@fenwicktools.com", status="unsubscribed"),
                member(
                    "dan@fenwicktools.com",
                    status_if_new="unsubscribed",
                    merge_fields={"FNAME": "Dan"},
                ),
            ],
        },
    )

    updated = {m["email_address"]: m for m in response.json()["updated_members"]}
    assert updated["cat@fenwicktools.com"]["status"] == "unsubscribed"
    assert updated["dan@fenwicktools.com"]["status"] == "subscribed"
    assert updated["dan@fenwicktools.com"]["merge_fields"]["FNAME"] == "Dan"
    assert response.json()["total_updated"] == 2


async def test_compliance_and_fake_addresses_are_per_member_errors(api, ids, put_member):
    await put_member("eve@fenwicktools.com", status_if_new="unsubscribed")

    response = await api.post(
        f"/lists/{ids.staff}",
        json={
            "update_existing": True,
            "members": [
                member("eve@fenwicktools.com", status="subscribed"),
                member("fake@example.com", status="subscribed"),
                member("gil@fenwicktools.com", status="subscribed"),
            ],
        },
    )

    errors = {e["email_address"]: e for e in response.json()["errors"]}
    assert errors["eve@fenwicktools.com"]["error_code"] == "ERROR_GENERIC"
    assert errors["eve@fenwicktools.com"]["error"] == (
        "eve@fenwicktools.com is in a compliance state due to unsubscribe, bounce, or compliance "
        "review and cannot be subscribed."
    )
    assert errors["fake@example.com"]["error"] == (
        "fake@example.com looks fake or invalid, please enter a real email address."
    )
    assert [m["email_address"] for m in response.json()["new_members"]] == ["gil@fenwicktools.com"]
    eve = await api.get(f"/lists/{ids.staff}/members/eve@fenwicktools.com")
    assert eve.json()["status"] == "unsubscribed"


async def test_merge_field_errors_name_the_field(api, ids):
    response = await api.post(
        f"/lists/{ids.partners}",
        json={
            "members": [
                member("hui@fenwicktools.com", status="subscribed"),
                member("ian@fenwicktools.com", status="subscribed", merge_fields={"DEPT": "Legal"}),
            ]
        },
    )

    errors = {e["email_address"]: e for e in response.json()["errors"]}
    assert errors["hui@fenwicktools.com"]["field"] == "DEPT"
    assert errors["hui@fenwicktools.com"]["field_message"] == "Please enter a value"
    assert errors["ian@fenwicktools.com"]["field"] == "DEPT"
    assert "Sales" in errors["ian@fenwicktools.com"]["field_message"]
    assert response.json()["total_created"] == 0


async def test_skip_merge_validation_accepts_members_without_required_fields(api, ids):
    response = await api.post(
        f"/lists/{ids.partners}",
        params={"skip_merge_validation": "true"},
        json={"members": [member("jan@fenwicktools.com", status="subscribed")]},
    )

    assert response.json()["total_created"] == 1


async def test_more_than_500_members_are_refused_whole(api, ids):
    members = [member(f"bulk{i}@fenwicktools.com", status="subscribed") for i in range(501)]

    response = await api.post(f"/lists/{ids.staff}", json={"members": members})

    assert response.status_code == 400
    assert response.json()["title"] == "Invalid Resource"
    assert response.json()["errors"][0]["field"] == "members"
    assert (await api.get(f"/lists/{ids.staff}/members")).json()["total_items"] == 0


async def test_exactly_500_members_are_accepted(api, ids):
    members = [member(f"bulk{i}@fenwicktools.com", status="subscribed") for i in range(500)]

    response = await api.post(f"/lists/{ids.staff}", json={"members": members})

    assert response.json()["total_created"] == 500


async def test_batch_tags_are_added_to_new_and_existing_members(api, ids, put_member):
    await put_member("kim@fenwicktools.com", tags=["Existing"])

    response = await api.post(
        f"/lists/{ids.staff}",
        json={
            "update_existing": True,
            "members": [
                member("kim@fenwicktools.com", status="subscribed", tags=["Spring"]),
                member("lou@fenwicktools.com", status="subscribed", tags=["Spring"]),
            ],
        },
    )

    by_email = {
        m["email_address"]: [t["name"] for t in m["tags"]]
        for m in response.json()["new_members"] + response.json()["updated_members"]
    }
    assert by_email == {
        "kim@fenwicktools.com": ["Existing", "Spring"],
        "lou@fenwicktools.com": ["Spring"],
    }


async def test_sync_tags_replaces_the_tags_of_existing_members(api, ids, put_member):
    await put_member("mo@fenwicktools.com", tags=["Old", "Keep"])

    response = await api.post(
        f"/lists/{ids.staff}",
        json={
            "update_existing": True,
            "sync_tags": True,
            "members": [member("mo@fenwicktools.com", status="subscribed", tags=["Keep", "New"])],
        },
    )

    tags = [t["name"] for t in response.json()["updated_members"][0]["tags"]]
    assert tags == ["Keep", "New"]


async def test_archived_members_come_back_through_a_batch(api, ids, put_member):
    await put_member("nia@fenwicktools.com")
    await api.delete(f"/lists/{ids.staff}/members/nia@fenwicktools.com")

    response = await api.post(
        f"/lists/{ids.staff}",
        json={"members": [member("nia@fenwicktools.com", status_if_new="subscribed")]},
    )

    assert response.json()["error_count"] == 0
    restored = await api.get(f"/lists/{ids.staff}/members/nia@fenwicktools.com")
    assert restored.json()["status"] == "subscribed"


async def test_a_repeated_address_is_processed_once(api, ids):
    twice = [
        member("oli@fenwicktools.com", status="subscribed"),
        member("OLI@fenwicktools.com", status="unsubscribed"),
    ]

    strict = await api.post(f"/lists/{ids.staff}", json={"members": twice})

    assert strict.json()["total_created"] == 1
    assert strict.json()["errors"][0]["email_address"] == "OLI@fenwicktools.com"
    assert strict.json()["new_members"][0]["status"] == "subscribed"


async def test_skip_duplicate_check_keeps_the_first_appearance_silently(api, ids):
    twice = [
        member("pia@fenwicktools.com", status="pending"),
        member("pia@fenwicktools.com", status="subscribed"),
    ]

    response = await api.post(
        f"/lists/{ids.staff}", params={"skip_duplicate_check": "true"}, json={"members": twice}
    )

    assert response.json()["error_count"] == 0
    assert [m["status"] for m in response.json()["new_members"]] == ["pending"]


async def test_every_api_write_is_counted_per_member(api, ids, sandbox, put_member):
    await api.post(
        f"/lists/{ids.staff}",
        json={"members": [member("quy@fenwicktools.com", status="subscribed")]},
    )
    await api.post(
        f"/lists/{ids.staff}",
        json={
            "update_existing": True,
            "members": [member("quy@fenwicktools.com", status="subscribed")],
        },
    )
    await put_member("quy@fenwicktools.com")

    counts = sandbox.write_counts(ids.api_key)

    assert counts == [
        {
            "list_id": ids.staff,
            "subscriber_hash": counts[0]["subscriber_hash"],
            "email_address": "quy@fenwicktools.com",
            "created": 1,
            "updated": 2,
            "answered": [True, True, True],  # no injected timeout withheld an answer
        }
    ]
