"""Importing a CSV file through the pages: upload, columns, preview, progress, result."""

from __future__ import annotations

import csv
import io

from app.domain.audit.tables import AuditLog
from app.domain.contacts.tables import Contact, ContactImport, ContactImportChunk
from tests.factories import htmx, log_in, make_organisation, post_form, soup
from tests.integration.contacts.helpers import (
    finished,
    import_id_from,
    live_contacts,
    make_contact,
    upload_csv,
)

HR_EXPORT = (
    "Employee ID,E-mail,Given name,Surname,Dept,Office,Cost centre\n"
    "E1,ada@northwind.co,Ada,Lovelace,Engineering,London,4410\n"
    "E2,alan@northwind.co,Alan,Turing,Engineering,Berlin,4420\n"
    "E3,not-an-email,Grace,Hopper,Support,Lisbon,4430\n"
)


async def _start(client, import_id: int, **changes: str):
    """Press "Import" on the columns page, as a browser would, after changing some columns."""
    page = soup(await client.get(f"/contacts/import/{import_id}"))
    fields = {
        select["name"]: select.select_one("option[selected]")["value"]
        for select in page.select("#import-mapping select")
    }
    fields.update(changes, action="import")
    return await post_form(client, f"/contacts/import/{import_id}", fields)


async def test_the_columns_are_guessed_from_the_header_and_a_preview_shows_each_row(client):
    owner = await make_organisation()
    await make_contact(owner, email="ADA@northwind.co", first_name="Ada")
    await log_in(client, owner)

    import_id = import_id_from(await upload_csv(client, HR_EXPORT))
    html = soup(await client.get(f"/contacts/import/{import_id}"))

    chosen = [
        s.select_one("option[selected]")["value"] for s in html.select(".mapping-table select")
    ]
    assert chosen == [
        "external_id",
        "email",
        "first_name",
        "last_name",
        "department",
        "location",
        "attribute:Cost centre",
    ]
    outcomes = [
        (row.select("td")[0].get_text(), row.select_one(".badge").get_text())
        for row in html.select(".preview-table tbody tr")
    ]
    assert outcomes == [("2", "update"), ("3", "new"), ("4", "problem")]
    assert "Updates Ada" in html.select(".preview-table tbody tr")[0].get_text()
    assert "Email:" in html.select(".preview-table tbody tr")[2].get_text()
    assert (
        "1 of these has a problem"
        in html.select_one("#preview-heading").find_parent("section").text
    )
    assert await Contact.count() == 1  # nothing changes before the import starts


async def test_starting_the_import_runs_it_in_the_background_and_shows_the_result(client):
    owner = await make_organisation()
    await log_in(client, owner)
    import_id = import_id_from(await upload_csv(client, HR_EXPORT))

    started = await _start(client, import_id)

    assert started.status_code == 302
    row = await finished(import_id)
    assert row["status"] == "completed", row["error"]
    html = soup(await client.get(f"/contacts/import/{import_id}"))
    assert html.select_one("#count-created").get_text() == "2"
    assert html.select_one("#count-rejected").get_text() == "1"
    rejected = html.select(".rejected-table tbody tr")
    assert [r.select("td")[0].get_text() for r in rejected] == ["4"]
    assert "Email:" in rejected[0].get_text()
    ada = next(c for c in await live_contacts(owner) if c["email"] == "ada@northwind.co")
    assert ada["external_id"] == "E1"
    assert ada["department"] == "Engineering"
    assert '"Cost centre": "4410"' in ada["attributes"]
    assert await ContactImportChunk.count() == 0  # the stored file is dropped once imported


async def test_the_progress_fragment_polls_until_done_then_shows_the_result(client):
    owner = await make_organisation()
    await log_in(client, owner)
    import_id = import_id_from(await upload_csv(client, HR_EXPORT))
    await _start(client, import_id)
    await finished(import_id)

    fragment = soup(await htmx(client, "GET", f"/contacts/import/{import_id}/progress"))

    section = fragment.select_one("#import-progress")
    assert section.get("hx-trigger") is None  # no more polling
    assert section.select_one("#count-created").get_text() == "2"
    assert fragment.select_one("h1") is None


async def test_one_audit_entry_records_the_import_and_its_counts(client):
    owner = await make_organisation()
    await log_in(client, owner)
    import_id = import_id_from(await upload_csv(client, HR_EXPORT))
    await _start(client, import_id)
    await finished(import_id)

    entries = (
        await AuditLog.select(AuditLog.action, AuditLog.changes, AuditLog.actor_label)
        .where(AuditLog.action.like("contact%"))
        .output(load_json=True)
    )

    assert [e["action"] for e in entries] == ["contacts.imported"]
    assert entries[0]["changes"]["created"] == 2
    assert entries[0]["changes"]["rejected"] == 1
    assert entries[0]["actor_label"] == owner.email  # the job acts for whoever started it


async def test_the_rejected_rows_download_has_the_original_columns_and_a_reason(client):
    owner = await make_organisation()
    await log_in(client, owner)
    text = 'Email;Name;Note\nok@northwind.co;Ok;fine\nbroken;Broken;"semi; colon"\n'
    import_id = import_id_from(await upload_csv(client, text))
    await _start(client, import_id)
    await finished(import_id)

    response = await client.get(f"/contacts/import/{import_id}/rejected.csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    body = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0] == ["Email", "Name", "Note", "reason"]
    assert rows[1][:3] == ["broken", "Broken", "semi; colon"]
    assert "Email" in rows[1][3]
    assert len(rows) == 2


async def test_starting_without_an_email_column_is_refused_inline(client):
    owner = await make_organisation()
    await log_in(client, owner)
    import_id = import_id_from(await upload_csv(client, "Mail,Name\na@northwind.co,A\n"))

    response = await _start(client, import_id, **{"column-0": "ignore", "column-1": "first_name"})

    assert response.status_code == 400
    assert "email address" in soup(response).select_one(".notice-error").get_text()
    assert (await ContactImport.objects().first()).status == "uploaded"
    assert await Contact.count() == 0


async def test_two_columns_mapped_to_the_same_field_show_which_one_in_the_preview(client):
    owner = await make_organisation()
    await log_in(client, owner)
    import_id = import_id_from(await upload_csv(client, "Email,Work email\na@x.co,b@x.co\n"))

    response = await htmx(
        client,
        "POST",
        f"/contacts/import/{import_id}",
        data={"column-0": "email", "column-1": "email", "entity_type": "employee"},
    )

    assert response.status_code == 200  # htmx swaps it in: the form carries the error
    html = soup(response)
    assert html.select_one("#field-column-1")["aria-invalid"] == "true"
    assert "already mapped" in html.select_one("#error-column-1").get_text()


async def test_changing_a_column_updates_the_preview_in_place(client):
    owner = await make_organisation()
    await log_in(client, owner)
    import_id = import_id_from(await upload_csv(client, "Email,Kind\na@northwind.co,vendor\n"))

    response = await htmx(
        client,
        "POST",
        f"/contacts/import/{import_id}",
        data={"column-0": "email", "column-1": "entity_type", "entity_type": "employee"},
    )

    html = soup(response)
    assert html.select_one("#import-mapping") is not None
    assert html.select_one("h1") is None
    selected = html.select_one("#field-column-1 option[selected]")["value"]
    assert selected == "entity_type"
    assert (await ContactImport.objects().first()).mapping is not None


async def test_the_import_page_lists_recent_imports(client):
    owner = await make_organisation()
    await log_in(client, owner)
    import_id_from(await upload_csv(client, HR_EXPORT, filename="hr-2026-11.csv"))

    html = soup(await client.get("/contacts/import"))

    assert html.select_one("table a").get_text() == "hr-2026-11.csv"
    assert "waiting for columns" in html.select_one("table .badge").get_text()


async def test_the_preview_applies_the_import_s_own_matching_rules(client):
    owner = await make_organisation()
    await make_contact(owner, email="ben@northwind.co", external_id="E1", first_name="Ben")
    await make_contact(owner, email="cy@northwind.co", first_name="Cy", department="Sales")
    await log_in(client, owner)
    content = "ID,Email,Dept\nE2,ben@northwind.co,\n,cy@northwind.co,Sales\n,CY@northwind.co,\n"
    import_id = import_id_from(await upload_csv(client, content))

    html = soup(await client.get(f"/contacts/import/{import_id}"))

    notes = [
        row.select("td")[1].get_text(" ", strip=True)
        for row in html.select(".preview-table tbody tr")
    ]
    assert notes == [
        "problem ben@northwind.co already belongs to Ben (external ID E1).",
        "unchanged No change to Cy",
        "problem Duplicate of line 3 (same email).",
    ]
