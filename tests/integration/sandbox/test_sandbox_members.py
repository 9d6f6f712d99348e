"""Members behave like Mailchimp's: upsert by hash, compliance states, archive, forget, tags."""

from __future__ import annotations

import hashlib

import pytest

COMPLIANCE_DETAIL = (
    "{} is in a compliance state due to unsubscribe, bounce, or compliance review "
    "and cannot be subscribed."
)


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


async def test_put_upserts_under_the_md5_of_the_trimmed_lowercased_address(api, ids):
    email = "  Ana.Silva@FenwickTools.com "
    member_hash = md5("ana.silva@fenwicktools.com")

    created = await api.put(
        f"/lists/{ids.staff}/members/{member_hash}",
        json={
            "email_address": email,
            "status_if_new": "subscribed",
            "merge_fields": {"FNAME": "Ana"},
        },
    )

    assert created.status_code == 200, created.text
    assert created.json()["id"] == member_hash
    assert created.json()["status"] == "subscribed"
    by_hash = await api.get(f"/lists/{ids.staff}/members/{member_hash}")
    by_email = await api.get(f"/lists/{ids.staff}/members/ana.silva@fenwicktools.com")
    assert by_hash.json()["merge_fields"]["FNAME"] == "Ana"
    assert by_email.json()["id"] == member_hash


async def test_put_needs_only_the_address_for_an_existing_member(api, ids, put_member):
    await put_member("bo@fenwicktools.com", merge_fields={"FNAME": "Bo"})

    response = await api.put(
        f"/lists/{ids.staff}/members/{md5('bo@fenwicktools.com')}",
        json={"email_address": "bo@fenwicktools.com", "merge_fields": {"LNAME": "Berg"}},
    )

    assert response.status_code == 200
    assert {"FNAME": "Bo", "LNAME": "Berg"}.items() <= response.json()["merge_fields"].items()


async def test_a_new_member_needs_a_status(api, ids):
    response = await api.put(
        f"/lists/{ids.staff}/members/{md5('cy@fenwicktools.com')}",
        json={"email_address": "cy@fenwicktools.com"},
    )

    assert response.status_code == 400
    assert response.json()["title"] == "Invalid Resource"
    assert response.json()["errors"][0]["field"] == "status_if_new"


async def test_status_if_new_never_changes_an_existing_member(put_member):
    await put_member("di@fenwicktools.com", status_if_new="subscribed")

    again = await put_member("di@fenwicktools.com", status_if_new="unsubscribed")

    assert again.json()["status"] == "subscribed"


async def test_status_changes_an_existing_member(put_member):
    await put_member("ed@fenwicktools.com")

    changed = await put_member("ed@fenwicktools.com", status="unsubscribed")

    assert changed.json()["status"] == "unsubscribed"
    assert changed.json()["unsubscribe_reason"]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_an_unsubscribed_member_cannot_be_subscribed_again_through_the_api(
    api, ids, put_member, method
):
    email = "fay@fenwicktools.com"
    await put_member(email, status_if_new="unsubscribed")

    response = await api.request(
        method,
        f"/lists/{ids.staff}/members/{md5(email)}",
        json={"email_address": email, "status": "subscribed"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Member In Compliance State"
    assert response.json()["detail"] == COMPLIANCE_DETAIL.format(email)
    assert (await api.get(f"/lists/{ids.staff}/members/{md5(email)}")).json()["status"] == (
        "unsubscribed"
    )


async def test_an_unsubscribed_member_may_be_asked_to_opt_in_again(put_member):
    await put_member("gus@fenwicktools.com", status_if_new="unsubscribed")

    response = await put_member("gus@fenwicktools.com", status="pending")

    assert response.status_code == 200
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize("status", ["subscribed", "pending", "unsubscribed"])
async def test_cleaned_is_final(put_member, status):
    await put_member("hal@fenwicktools.com", status_if_new="cleaned")

    response = await put_member("hal@fenwicktools.com", status=status)

    assert response.status_code == 400
    assert response.json()["title"] == "Member In Compliance State"


async def test_post_creates_once_then_answers_member_exists(api, ids):
    body = {"email_address": "ivy@fenwicktools.com", "status": "subscribed"}

    first = await api.post(f"/lists/{ids.staff}/members", json=body)
    second = await api.post(f"/lists/{ids.staff}/members", json=body)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["title"] == "Member Exists"
    assert second.json()["detail"] == (
        "ivy@fenwicktools.com is already a list member. Use PUT to insert or update list members."
    )


@pytest.mark.parametrize(
    "email",
    [
        "someone@example.com",
        "someone@example.org",
        "someone@mail.example.net",
        "someone@test.com",
        "someone@mailinator.com",
        "not-an-email",
        "two@@fenwicktools.com",
        "no-domain@",
        "dots..twice@fenwicktools.com",
    ],
)
async def test_fake_or_invalid_addresses_are_refused(api, ids, email):
    response = await api.post(
        f"/lists/{ids.staff}/members", json={"email_address": email, "status": "subscribed"}
    )

    assert response.status_code == 400
    assert response.json()["title"] == "Invalid Resource"
    assert (
        response.json()["detail"]
        == f"{email} looks fake or invalid, please enter a real email address."
    )
    assert (await api.get(f"/lists/{ids.staff}/members")).json()["total_items"] == 0


async def test_patch_can_change_the_address(api, ids, put_member):
    await put_member("jo@fenwicktools.com")

    response = await api.patch(
        f"/lists/{ids.staff}/members/{md5('jo@fenwicktools.com')}",
        json={"email_address": "jo.new@fenwicktools.com"},
    )

    assert response.json()["id"] == md5("jo.new@fenwicktools.com")
    assert (await api.get(f"/lists/{ids.staff}/members/jo@fenwicktools.com")).status_code == 404


async def test_unknown_audience_member_and_path_are_resource_not_found(api, ids):
    for path in (
        "/lists/0000000000",
        f"/lists/{ids.staff}/members/{md5('nobody@x.io')}",
        "/nothing",
    ):
        response = await api.get(path)
        assert response.status_code == 404
        assert response.json()["title"] == "Resource Not Found"
        assert set(response.json()) >= {"type", "title", "status", "detail", "instance"}


async def test_delete_archives_and_put_brings_the_member_back_with_the_status_sent(
    api, ids, put_member
):
    email = "kai@fenwicktools.com"
    await put_member(email)

    archived = await api.delete(f"/lists/{ids.staff}/members/{md5(email)}")

    assert archived.status_code == 204
    assert archived.content == b""
    assert (await api.get(f"/lists/{ids.staff}/members/{email}")).json()["status"] == "archived"
    readded = await put_member(email, status_if_new="pending")
    assert readded.json()["status"] == "pending"


async def test_a_refused_re_add_leaves_the_member_archived(api, ids, put_member):
    email = "kit@fenwicktools.com"
    await put_member(email)
    await api.delete(f"/lists/{ids.staff}/members/{md5(email)}")

    refused = await put_member(email, status_if_new="subscribed", tags="not-a-list")

    assert refused.status_code == 400
    assert (await api.get(f"/lists/{ids.staff}/members/{email}")).json()["status"] == "archived"


async def test_archiving_does_not_wash_away_an_unsubscribe(api, ids, put_member):
    email = "lea@fenwicktools.com"
    await put_member(email, status_if_new="unsubscribed")
    await api.delete(f"/lists/{ids.staff}/members/{md5(email)}")

    response = await put_member(email, status="subscribed")

    assert response.json()["title"] == "Member In Compliance State"


async def test_after_delete_permanent_every_re_add_is_refused(api, ids, put_member):
    email = "max@fenwicktools.com"
    await put_member(email)

    gone = await api.post(f"/lists/{ids.staff}/members/{md5(email)}/actions/delete-permanent")

    assert gone.status_code == 204
    assert (await api.get(f"/lists/{ids.staff}/members/{md5(email)}")).status_code == 404
    expected = (
        f"{email} was permanently deleted and cannot be re-imported. "
        "The contact must re-subscribe to get back on the list."
    )
    put = await put_member(email)
    post = await api.post(
        f"/lists/{ids.staff}/members", json={"email_address": email, "status": "subscribed"}
    )
    batch = await api.post(
        f"/lists/{ids.staff}", json={"members": [{"email_address": email, "status": "subscribed"}]}
    )
    for response in (put, post):
        assert response.status_code == 400
        assert response.json()["title"] == "Forgotten Email Not Subscribed"
        assert response.json()["detail"] == expected
    assert batch.json()["errors"] == [
        {
            "email_address": email,
            "error": expected,
            "error_code": "ERROR_GENERIC",
            "field": "",
            "field_message": "",
        }
    ]


async def test_tags_sent_with_put_apply_only_when_the_member_is_created(put_member):
    first = await put_member("ned@fenwicktools.com", tags=["Onboarding"])
    second = await put_member("ned@fenwicktools.com", tags=["Alumni"])

    assert [t["name"] for t in first.json()["tags"]] == ["Onboarding"]
    assert [t["name"] for t in second.json()["tags"]] == ["Onboarding"]
    assert second.json()["tags_count"] == 1


async def test_the_tags_endpoint_adds_and_removes_tags(api, ids, put_member):
    email_hash = md5("ora@fenwicktools.com")
    await put_member("ora@fenwicktools.com", tags=["Onboarding"])

    response = await api.post(
        f"/lists/{ids.staff}/members/{email_hash}/tags",
        json={
            "tags": [
                {"name": "Onboarding", "status": "inactive"},
                {"name": "VIP", "status": "active"},
            ]
        },
    )

    assert response.status_code == 204
    member = (await api.get(f"/lists/{ids.staff}/members/{email_hash}")).json()
    assert [t["name"] for t in member["tags"]] == ["VIP"]
    assert isinstance(member["tags"][0]["id"], int)
    listing = (await api.get(f"/lists/{ids.staff}/members/{email_hash}/tags")).json()
    assert [t["name"] for t in listing["tags"]] == ["VIP"]
    assert listing["total_items"] == 1
    assert listing["tags"][0]["date_added"]


async def test_tags_of_an_unknown_member_are_not_found(api, ids):
    response = await api.post(
        f"/lists/{ids.staff}/members/{md5('nobody@fenwicktools.com')}/tags",
        json={"tags": [{"name": "VIP", "status": "active"}]},
    )

    assert response.status_code == 404


async def test_since_last_changed_returns_only_members_changed_since(api, ids, put_member, clock):
    for name in ("pat", "quin", "ros"):
        await put_member(f"{name}@fenwicktools.com", merge_fields={"FNAME": name})
    clock.advance(60)
    checkpoint = clock.now.isoformat()
    clock.advance(60)
    await put_member("quin@fenwicktools.com", merge_fields={"FNAME": "Quinn"})
    await put_member("ros@fenwicktools.com", merge_fields={"FNAME": "ros"})  # no real change

    response = await api.get(
        f"/lists/{ids.staff}/members", params={"since_last_changed": checkpoint}
    )

    assert [m["email_address"] for m in response.json()["members"]] == ["quin@fenwicktools.com"]
    assert response.json()["total_items"] == 1
    assert response.json()["members"][0]["last_changed"] == clock.now.isoformat()


async def test_member_collections_page_by_ten_by_default_and_at_most_by_a_thousand(api, ids):
    batch = [
        {"email_address": f"user{i:02d}@fenwicktools.com", "status": "subscribed"}
        for i in range(25)
    ]
    await api.post(f"/lists/{ids.staff}", json={"members": batch})

    default = (await api.get(f"/lists/{ids.staff}/members")).json()
    everything = (await api.get(f"/lists/{ids.staff}/members", params={"count": 1000})).json()
    tail = (await api.get(f"/lists/{ids.staff}/members", params={"count": 10, "offset": 20})).json()
    too_many = await api.get(f"/lists/{ids.staff}/members", params={"count": 1001})

    assert len(default["members"]) == 10
    assert default["total_items"] == 25
    assert len(everything["members"]) == 25
    assert [m["email_address"] for m in tail["members"]] == [
        f"user{i}@fenwicktools.com" for i in range(20, 25)
    ]
    assert too_many.status_code == 400
    assert too_many.json()["title"] == "Invalid Resource"


async def test_the_status_filter_selects_members_by_status(api, ids, put_member):
    await put_member("sam@fenwicktools.com")
    await put_member("tia@fenwicktools.com", status_if_new="unsubscribed")
    await put_member("uma@fenwicktools.com")
    await api.delete(f"/lists/{ids.staff}/members/uma@fenwicktools.com")

    def emails(response):
        return [m["email_address"] for m in response.json()["members"]]

    assert emails(
        await api.get(f"/lists/{ids.staff}/members", params={"status": "unsubscribed"})
    ) == ["tia@fenwicktools.com"]
    assert emails(await api.get(f"/lists/{ids.staff}/members", params={"status": "archived"})) == [
        "uma@fenwicktools.com"
    ]
    assert (
        await api.get(f"/lists/{ids.staff}/members", params={"status": "gone"})
    ).status_code == 400
