"""Editing and deleting a segment through its pages, as a signed-in person does."""

from __future__ import annotations

from app.domain.audit.tables import AuditLog
from app.domain.segments.tables import Segment
from tests.contact_factories import make_contact
from tests.factories import form_data, log_in, make_organisation, make_token, post_form, soup
from tests.integration.segments.sync_helpers import AUDIENCE, connected, make_segment
from tests.mailchimp_factories import connect


async def _berlin_sales(owner):
    await make_contact(owner, department="Sales", location="Berlin")
    await make_contact(owner, department="Sales", location="Lisbon")
    await make_contact(owner, department="Engineering", location="Lisbon")
    return await make_segment(
        owner,
        name="Berlin sales",
        filter_criteria={"department": ["Sales"], "location": ["Berlin"]},
        field_mapping={"FNAME": "first_name", "DEPT": "department", "START": "attribute:start"},
        tags=["staff"],
        removal_policy="archive",
    )


async def _audit_actions(segment_id: int) -> list[str]:
    rows = await AuditLog.select(AuditLog.action).where(
        (AuditLog.entity_type == "segment") & (AuditLog.entity_id == str(segment_id))
    )
    return [row["action"] for row in rows]


async def _editor_form(client, segment_id: int):
    page = soup(await client.get(f"/segments/{segment_id}/edit"))
    form = page.select_one("form#segment-form")
    assert form["action"] == f"/segments/{segment_id}"
    return form


async def test_the_editor_opens_with_the_segment_as_saved_and_saves_a_change(client, sandbox):
    owner, _, _ = await connected(sandbox)
    segment = await _berlin_sales(owner)
    await log_in(client, owner)

    form = await _editor_form(client, segment.id)

    assert form.select_one("#field-name")["value"] == "Berlin sales"
    assert form.select_one("input[name=filter_department][value=Sales]").has_attr("checked")
    assert not form.select_one("input[name=filter_location][value=Lisbon]").has_attr("checked")
    assert form.select_one("#field-list_id option[selected]")["value"] == AUDIENCE
    assert form.select_one("#map-DEPT option[selected]")["value"] == "department"
    assert form.select_one("#map-START option[selected]")["value"] == "attribute:"
    assert form.select_one("#attr-START")["value"] == "start"
    assert form.select_one("#policy-archive").has_attr("checked")
    assert form.select_one("#field-tags")["value"] == "staff"

    unchanged = await post_form(client, f"/segments/{segment.id}", form_data(form))
    assert unchanged.status_code == 302, unchanged.text
    await client.get(unchanged.headers["location"])  # shows (and uses up) its flash
    assert await _audit_actions(segment.id) == ["segment.created"]  # nothing changed, nothing said

    edited = form_data(form) | {
        "name": ["Sales, Berlin and Lisbon"],
        "filter_location": ["Berlin", "Lisbon"],
        "map_DEPT": [""],
        "tags": ["staff, sales"],
        "removal_policy": ["unsubscribe"],
    }
    response = await post_form(client, f"/segments/{segment.id}", edited)

    assert response.status_code == 302, response.text
    assert response.headers["location"] == f"/segments/{segment.id}"
    saved = await Segment.objects().where(Segment.id == segment.id).output(load_json=True).first()
    assert saved.name == "Sales, Berlin and Lisbon"
    assert saved.filter_criteria == {"department": ["Sales"], "location": ["Berlin", "Lisbon"]}
    assert saved.field_mapping == {"FNAME": "first_name", "START": "attribute:start"}
    assert saved.tags == ["staff", "sales"]
    assert saved.removal_policy == "unsubscribe"
    page = soup(await client.get(response.headers["location"]))
    assert page.select_one(".flashes").get_text(strip=True) == "Segment saved."
    assert page.select_one("h1").get_text(strip=True) == "Sales, Berlin and Lisbon"
    assert page.select_one(".stat .value").get_text(strip=True) == "2"  # now Lisbon's seller too
    assert await _audit_actions(segment.id) == ["segment.created", "segment.updated"]
    entry = (
        await AuditLog.objects()
        .where(AuditLog.action == "segment.updated")
        .output(load_json=True)
        .first()
    )
    assert entry.changes["name"] == {"from": "Berlin sales", "to": "Sales, Berlin and Lisbon"}
    assert set(entry.changes) == {
        "name",
        "filter_criteria",
        "field_mapping",
        "tags",
        "removal_policy",
    }


async def test_an_invalid_edit_is_shown_inline_and_changes_nothing(client, sandbox):
    owner, _, _ = await connected(sandbox)
    segment = await _berlin_sales(owner)
    before = (await Segment.objects().where(Segment.id == segment.id).first()).to_dict()
    await log_in(client, owner)
    form = await _editor_form(client, segment.id)

    bad = form_data(form) | {
        "name": [" "],
        "tags": ["staff, night shift"],
        "map_NOPE": ["first_name"],
        "status_if_new": ["maybe"],
    }
    response = await post_form(client, f"/segments/{segment.id}", bad)

    assert response.status_code == 400
    page = soup(response)
    assert (
        page.select_one("[role=alert]").get_text(strip=True)
        == "Please fix the fields marked below."
    )
    assert page.select_one("#error-name").get_text(strip=True) == "Give the segment a name."
    assert "no merge field NOPE" in page.select_one("#error-field_mapping").get_text()
    assert "subscribed, or pending" in page.get_text()
    # The form comes back as typed, still aimed at this segment.
    again = page.select_one("form#segment-form")
    assert again["action"] == f"/segments/{segment.id}"
    assert again.select_one("#field-tags")["value"] == "staff, night shift"
    assert (await Segment.objects().where(Segment.id == segment.id).first()).to_dict() == before
    assert await _audit_actions(segment.id) == ["segment.created"]


async def test_deleting_a_segment_keeps_its_row_hides_it_and_frees_the_audience(client, sandbox):
    owner, _, _ = await connected(sandbox)
    segment = await _berlin_sales(owner)
    await log_in(client, owner)
    show = soup(await client.get(f"/segments/{segment.id}"))
    delete_form = show.select_one(f"form[action='/segments/{segment.id}/delete']")
    assert delete_form.select_one("button").get_text(strip=True) == "Delete segment"

    forged = await client.post(f"/segments/{segment.id}/delete")  # no CSRF token
    assert forged.status_code == 403
    assert (await Segment.objects().first()).soft_deleted_at is None

    response = await post_form(client, f"/segments/{segment.id}/delete")

    assert response.status_code == 302
    assert response.headers["location"] == "/segments"
    listing = soup(await client.get("/segments"))
    assert "Segment deleted" in listing.select_one(".flashes").get_text()
    assert listing.select(f"#segment-{segment.id}") == []
    assert listing.select_one(".empty-state") is not None
    row = await Segment.objects().where(Segment.id == segment.id).first()
    assert row is not None
    assert row.soft_deleted_at is not None
    assert row.name == "Berlin sales"
    for url in (f"/segments/{segment.id}", f"/segments/{segment.id}/edit"):
        assert (await client.get(url)).status_code == 404, url
    assert (await post_form(client, f"/segments/{segment.id}/delete")).status_code == 404
    token = await make_token(owner)
    api = await client.get("/api/v1/segments", headers={"authorization": f"Bearer {token}"})
    assert api.json()["items"] == []
    assert await _audit_actions(segment.id) == ["segment.created", "segment.deleted"]
    entry = await AuditLog.objects().where(AuditLog.action == "segment.deleted").first()
    assert entry.actor_label == owner.email
    # The audience it fed can be fed by a new segment.
    created = await post_form(
        client, "/segments", {"name": "New staff", "list_id": AUDIENCE, "segment_type": "employee"}
    )
    assert created.status_code == 302, created.text


async def test_another_organisation_cannot_edit_or_delete_a_segment(client, sandbox):
    owner, _, _ = await connected(sandbox)
    segment = await _berlin_sales(owner)
    before = (await Segment.objects().first()).to_dict()
    stranger = await make_organisation()
    await connect(stranger, sandbox)
    await log_in(client, stranger)

    assert (await client.get(f"/segments/{segment.id}/edit")).status_code == 404
    update = await post_form(
        client, f"/segments/{segment.id}", {"name": "Mine now", "list_id": AUDIENCE}
    )
    assert update.status_code == 404
    assert (await post_form(client, f"/segments/{segment.id}/delete")).status_code == 404
    assert (await Segment.objects().first()).to_dict() == before
    assert await _audit_actions(segment.id) == ["segment.created"]
