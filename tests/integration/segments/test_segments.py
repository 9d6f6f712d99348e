"""Segments: created through the editor or the API, checked against their audience."""

from __future__ import annotations

from app.domain.audit.tables import AuditLog
from app.domain.segments import preview
from app.domain.segments.tables import Segment
from tests.contact_factories import make_contact
from tests.factories import bearer, htmx, log_in, make_organisation, make_token, post_form, soup
from tests.integration.segments.sync_helpers import AUDIENCE, connected, make_segment
from tests.mailchimp_factories import connect

STRICT = [
    {
        "tag": "DEPT",
        "name": "Department",
        "type": "dropdown",
        "required": True,
        "options": {"choices": ["Sales", "Engineering"]},
    }
]


async def test_creating_a_segment_in_the_editor(client, sandbox):
    owner, _, _ = await connected(sandbox)
    await make_contact(owner, department="Sales", location="Berlin")
    await log_in(client, owner)

    editor = soup(await client.get("/segments/new"))
    assert [o["value"] for o in editor.select("#field-list_id option")][1:] == [AUDIENCE]
    assert editor.select_one("input[name=filter_department][value=Sales]") is not None
    assert editor.select_one("select[name=map_DEPT]") is None  # until an audience is chosen
    mapping = soup(await htmx(client, "GET", f"/segments/mapping?list_id={AUDIENCE}"))
    assert mapping.select_one("select[name=map_DEPT] option[value=department]") is not None
    assert "Department" in mapping.select_one("label[for=map-DEPT]").get_text()

    response = await post_form(
        client,
        "/segments",
        {
            "name": "Berlin sales",
            "segment_type": "employee",
            "list_id": AUDIENCE,
            "filter_department": "Sales",
            "filter_location": "Berlin",
            "map_FNAME": "first_name",
            "map_DEPT": "department",
            "tags": "sales, berlin, sales",
            "status_if_new": "subscribed",
            "removal_policy": "unsubscribe",
        },
    )

    assert response.status_code == 302
    segment = await Segment.objects().output(load_json=True).first()
    assert response.headers["location"] == f"/segments/{segment.id}"
    assert segment.status == "pending"
    assert segment.filter_criteria == {"department": ["Sales"], "location": ["Berlin"]}
    assert segment.field_mapping == {"FNAME": "first_name", "DEPT": "department"}
    assert segment.tags == ["sales", "berlin"]
    assert segment.list_name == "Staff"
    assert await AuditLog.exists().where(AuditLog.action == "segment.created")
    page = soup(await client.get(response.headers["location"]))
    assert page.select_one("h1").get_text(strip=True) == "Berlin sales"
    assert page.select_one(".stat .value").get_text(strip=True) == "1"


async def test_every_problem_is_shown_inline_and_nothing_is_saved(client, sandbox):
    owner, _, _ = await connected(sandbox, fields=STRICT)
    await log_in(client, owner)

    response = await post_form(
        client,
        "/segments",
        {"name": "", "list_id": AUDIENCE, "map_FNAME": "first_name", "status_if_new": "maybe"},
    )

    assert response.status_code == 400
    page = soup(response)
    assert page.select_one("#error-name") is not None
    assert "requires DEPT" in page.select_one("#error-field_mapping").get_text()
    assert "subscribed, or pending" in page.get_text()
    assert await Segment.count() == 0


async def test_an_audience_feeds_from_one_segment(client, sandbox):
    owner, _, _ = await connected(sandbox)
    await make_segment(owner, name="First")
    await log_in(client, owner)

    response = await post_form(client, "/segments", {"name": "Second", "list_id": AUDIENCE})

    assert response.status_code == 400
    assert "“First” already feeds Staff" in soup(response).select_one("#error-list_id").get_text()


async def test_the_live_preview_counts_and_samples_as_filters_change(client, sandbox):
    owner, _, _ = await connected(sandbox)
    for n in range(3):
        await make_contact(owner, department="Sales", first_name=f"Seller{n}")
    await make_contact(owner, department="Engineering")
    await make_contact(owner, department="Sales", entity_type="vendor")
    await log_in(client, owner)

    everyone = soup(await htmx(client, "GET", "/segments/preview?segment_type=mixed"))
    sales_staff = soup(
        await htmx(client, "GET", "/segments/preview?segment_type=employee&filter_department=Sales")
    )

    assert everyone.select_one(".preview-count strong").get_text() == "5"
    assert sales_staff.select_one(".preview-count strong").get_text() == "3"
    assert len(sales_staff.select("ul.sample li")) == 3


async def test_the_merge_field_check_lists_rows_mailchimp_would_refuse(client, sandbox):
    owner, _, _ = await connected(
        sandbox,
        fields=[
            {
                "tag": "START",
                "name": "Start",
                "type": "date",
                "options": {"date_format": "YYYY-MM-DD"},
            }
        ],
    )
    await make_contact(owner, attributes={"start": "2020-01-01"})
    bad = await make_contact(owner, attributes={"start": "soon"})
    segment = await make_segment(owner, field_mapping={"START": "attribute:start"})
    await log_in(client, owner)

    check = soup(await htmx(client, "GET", f"/segments/{segment.id}/merge-field-check"))

    assert "1 of 2" in check.get_text()
    rows = check.select("tbody tr")
    assert len(rows) == 1
    assert bad["email"] in rows[0].get_text()
    assert "not a date" in rows[0].get_text()


async def test_a_large_segment_checks_its_merge_fields_only_when_asked(
    client, sandbox, monkeypatch
):
    owner, _, _ = await connected(sandbox)
    for _ in range(3):
        await make_contact(owner)
    segment = await make_segment(owner)
    await log_in(client, owner)
    url = f"/segments/{segment.id}/merge-field-check"

    small = soup(await client.get(f"/segments/{segment.id}")).select_one("#merge-field-check")
    assert small["hx-get"] == url
    assert small["hx-trigger"] == "load"

    monkeypatch.setattr(preview, "AUTO_CHECK_LIMIT", 2)
    large = soup(await client.get(f"/segments/{segment.id}")).select_one("#merge-field-check")
    assert not large.has_attr("hx-trigger")
    button = large.select_one("button")
    assert button["hx-get"] == url
    assert "Check now" in button.get_text()
    assert "all 3 matching contacts" in large.get_text(" ", strip=True)


async def test_the_segments_api(client, sandbox):
    owner, _, _ = await connected(sandbox)
    token = await make_token(owner)
    auth = bearer(token)

    created = await client.post(
        "/api/v1/segments",
        json={
            "name": "API staff",
            "list_id": AUDIENCE,
            "filter_criteria": {"department": ["Sales"]},
            "field_mapping": {"FNAME": "first_name"},
            "tags": ["api"],
            "removal_policy": "archive",
        },
        headers=auth,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "pending"
    assert body["list_name"] == "Staff"

    patched = await client.patch(
        f"/api/v1/segments/{body['id']}", json={"tags": ["api", "v2"]}, headers=auth
    )
    assert patched.json()["tags"] == ["api", "v2"]
    assert patched.json()["removal_policy"] == "archive"

    listed = await client.get("/api/v1/segments?limit=10", headers=auth)
    assert [s["name"] for s in listed.json()["items"]] == ["API staff"]
    assert listed.json()["next_cursor"] is None

    bad = await client.post("/api/v1/segments", json={"name": "x", "list_id": "nope"}, headers=auth)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "list_id"

    assert (await client.delete(f"/api/v1/segments/{body['id']}", headers=auth)).status_code == 204
    assert (await client.get(f"/api/v1/segments/{body['id']}", headers=auth)).status_code == 404


async def test_another_organisation_cannot_see_or_touch_a_segment(client, sandbox):
    owner, _, _ = await connected(sandbox)
    segment = await make_segment(owner, name="Private")
    other = await make_organisation()
    await connect(other, sandbox)
    token = await make_token(other)

    for method, url in [
        ("GET", f"/api/v1/segments/{segment.id}"),
        ("PATCH", f"/api/v1/segments/{segment.id}"),
        ("DELETE", f"/api/v1/segments/{segment.id}"),
        ("POST", f"/api/v1/segments/{segment.id}/sync"),
        ("GET", f"/api/v1/segments/{segment.id}/runs"),
    ]:
        response = await client.request(
            method, url, headers=bearer(token), json={} if method in ("PATCH", "POST") else None
        )
        assert response.status_code == 404, (method, url, response.text)
    assert (await client.get("/api/v1/segments", headers=bearer(token))).json()["items"] == []
    await log_in(client, other)
    assert (await client.get(f"/segments/{segment.id}")).status_code == 404
    assert "Private" not in (await client.get("/segments")).text


async def test_a_contact_s_page_lists_the_segments_it_falls_in(client, sandbox):
    owner, _, _ = await connected(sandbox)
    seller = await make_contact(owner, department="Sales")
    engineer = await make_contact(owner, department="Engineering")
    await make_segment(owner, name="Sales people", filter_criteria={"department": ["Sales"]})
    await log_in(client, owner)

    page = soup(await client.get(f"/contacts/{seller['id']}"))
    url = page.select_one("#contact-segments [hx-get]")["hx-get"]
    seller_segments = soup(await htmx(client, "GET", url))
    engineer_segments = soup(await htmx(client, "GET", f"/segments/containing/{engineer['id']}"))

    assert [a.get_text() for a in seller_segments.select("li a")] == ["Sales people"]
    assert "in no segment" in engineer_segments.get_text()
    other = await make_organisation()
    await log_in(client, other)
    assert (await htmx(client, "GET", url)).status_code == 404
