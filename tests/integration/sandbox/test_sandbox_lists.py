"""Audiences (`/lists`) and their merge fields."""

from __future__ import annotations

NEW_AUDIENCE = {
    "name": "Contractors",
    "permission_reminder": "You work with Fenwick Tools.",
    "email_type_option": False,
    "contact": {
        "company": "Fenwick Tools",
        "address1": "2 Forge Row",
        "city": "Sheffield",
        "country": "GB",
    },
    "campaign_defaults": {
        "from_name": "Fenwick Tools",
        "from_email": "news@fenwicktools.com",
        "subject": "News",
        "language": "en",
    },
}


async def test_creating_an_audience_needs_mailchimps_required_fields(api):
    response = await api.post(
        "/lists", json={"name": "Contractors", "contact": {"company": "Fenwick"}}
    )

    assert response.status_code == 400
    assert response.json()["title"] == "Invalid Resource"
    assert {e["field"] for e in response.json()["errors"]} == {
        "permission_reminder",
        "email_type_option",
        "contact.address1",
        "contact.city",
        "contact.country",
        "campaign_defaults.from_name",
        "campaign_defaults.from_email",
        "campaign_defaults.subject",
        "campaign_defaults.language",
    }


async def test_a_new_audience_starts_with_the_four_default_merge_fields(api):
    created = await api.post("/lists", json=NEW_AUDIENCE)

    assert created.status_code == 200
    list_id = created.json()["id"]
    fields = (await api.get(f"/lists/{list_id}/merge-fields")).json()
    assert [(f["tag"], f["type"]) for f in fields["merge_fields"]] == [
        ("FNAME", "text"),
        ("LNAME", "text"),
        ("ADDRESS", "address"),
        ("PHONE", "phone"),
    ]
    assert fields["total_items"] == 4


async def test_lists_page_by_ten_with_a_total_and_refuse_counts_over_1000(api):
    for n in range(11):
        await api.post("/lists", json={**NEW_AUDIENCE, "name": f"Audience {n}"})

    first_page = (await api.get("/lists")).json()
    second_page = (await api.get("/lists", params={"offset": 10})).json()
    too_many = await api.get("/lists", params={"count": 1001})

    assert len(first_page["lists"]) == 10
    assert first_page["total_items"] == 13  # 2 seeded + 11 new
    assert len(second_page["lists"]) == 3
    assert first_page["constraints"]["may_create"] is True
    assert too_many.status_code == 400


async def test_audience_stats_are_counted_from_its_members(api, ids, put_member):
    for email, status in [
        ("a1@fenwicktools.com", "subscribed"),
        ("a2@fenwicktools.com", "subscribed"),
        ("a3@fenwicktools.com", "unsubscribed"),
        ("a4@fenwicktools.com", "cleaned"),
    ]:
        await put_member(email, status_if_new=status)

    audience = (await api.get(f"/lists/{ids.staff}")).json()

    assert audience["stats"]["member_count"] == 2
    assert audience["stats"]["unsubscribe_count"] == 1
    assert audience["stats"]["cleaned_count"] == 1
    assert audience["stats"]["total_contacts"] == 4
    assert audience["double_optin"] is False


async def test_merge_fields_can_be_added_and_filtered(api, ids, add_field):
    created = await add_field("START", "date", options={"date_format": "DD/MM/YYYY"}, required=True)

    assert created["tag"] == "START"
    assert created["options"]["date_format"] == "DD/MM/YYYY"
    assert created["required"] is True
    required = (
        await api.get(f"/lists/{ids.staff}/merge-fields", params={"required": "true"})
    ).json()
    assert [f["tag"] for f in required["merge_fields"]] == ["START"]
    dates = (await api.get(f"/lists/{ids.staff}/merge-fields", params={"type": "date"})).json()
    assert dates["total_items"] == 1


async def test_a_merge_field_needs_a_name_and_a_known_type(api, ids):
    response = await api.post(f"/lists/{ids.staff}/merge-fields", json={"type": "colour"})

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"name", "type"}


async def test_a_missing_required_merge_field_is_refused_with_mailchimps_document(api, ids):
    response = await api.post(
        f"/lists/{ids.partners}/members",
        json={"email_address": "rae@fenwicktools.com", "status": "subscribed"},
    )

    assert response.status_code == 400
    body = response.json()
    assert (body["title"], body["status"], body["detail"]) == (
        "Invalid Resource",
        400,
        "Your merge fields were invalid.",
    )
    assert body["errors"] == [{"field": "DEPT", "message": "Please enter a value"}]


async def test_skip_merge_validation_lets_a_member_in_without_required_fields(api, ids):
    response = await api.post(
        f"/lists/{ids.partners}/members",
        params={"skip_merge_validation": "true"},
        json={"email_address": "rae@fenwicktools.com", "status": "subscribed"},
    )

    assert response.status_code == 200
    assert response.json()["merge_fields"]["DEPT"] == ""


async def test_merge_values_are_checked_by_type_over_the_api(api, ids, add_field, put_member):
    await add_field("BDAY", "birthday")
    await add_field("HQ", "address")

    bad = await put_member(
        "sol@fenwicktools.com", merge_fields={"BDAY": "1990-07-04", "HQ": "Leeds"}
    )
    good = await put_member(
        "sol@fenwicktools.com",
        merge_fields={
            "BDAY": "07/04",
            "HQ": {"addr1": "1 Quay", "city": "Hull", "state": "EY", "zip": "HU1"},
        },
    )

    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"BDAY", "HQ"}
    assert good.json()["merge_fields"]["BDAY"] == "07/04"
    assert good.json()["merge_fields"]["HQ"]["city"] == "Hull"
    assert good.json()["merge_fields"]["FNAME"] == ""  # every audience tag is present


async def test_fields_and_exclude_fields_trim_the_answer(api, ids, put_member):
    await put_member("tom@fenwicktools.com")

    only = await api.get(
        f"/lists/{ids.staff}/members",
        params={"fields": "members.email_address,members.status,total_items"},
    )
    without = await api.get(
        f"/lists/{ids.staff}/members", params={"exclude_fields": "members._links,_links"}
    )

    assert only.json() == {
        "members": [{"email_address": "tom@fenwicktools.com", "status": "subscribed"}],
        "total_items": 1,
    }
    assert "_links" not in without.json()
    assert "_links" not in without.json()["members"][0]
    assert without.json()["members"][0]["email_address"] == "tom@fenwicktools.com"
