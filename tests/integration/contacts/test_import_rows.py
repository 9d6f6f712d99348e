"""How an import treats each row: upserts by external ID or email, duplicates, bad values,
and a failure midway that leaves nothing behind."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.db import utcnow
from app.domain.contacts import importer, imports
from app.domain.contacts.tables import (
    Contact,
    ContactImport,
    ContactImportKey,
    ContactImportRejection,
)
from tests.factories import log_in, make_organisation, post_form, soup
from tests.integration.contacts.helpers import (
    finished,
    import_id_from,
    live_contacts,
    make_contact,
    upload_csv,
)


async def _import(client, content: str) -> tuple[int, dict]:
    import_id = import_id_from(await upload_csv(client, content))
    page = soup(await client.get(f"/contacts/import/{import_id}"))
    fields = {
        select["name"]: select.select_one("option[selected]")["value"]
        for select in page.select("#import-mapping select")
    }
    await post_form(client, f"/contacts/import/{import_id}", {**fields, "action": "import"})
    return import_id, await finished(import_id)


async def _reasons(import_id: int) -> list[tuple[int, str]]:
    rows = (
        await ContactImportRejection.select(
            ContactImportRejection.line_number, ContactImportRejection.reason
        )
        .where(ContactImportRejection.contact_import == import_id)
        .order_by(ContactImportRejection.id)
    )
    return [(r["line_number"], r["reason"]) for r in rows]


@pytest.mark.parametrize("batch_rows", [1, 2, importer.BATCH_ROWS])
async def test_later_duplicates_in_one_file_are_rejected_naming_the_first_line(
    client, monkeypatch, batch_rows
):
    monkeypatch.setattr(importer, "BATCH_ROWS", batch_rows)  # earlier batches' keys are stored
    owner = await make_organisation()
    await log_in(client, owner)
    content = (
        "External ID,Email,First name\n"
        "E1,ada@northwind.co,Ada\n"
        "E2,ADA@Northwind.co,Ada again\n"
        "E1,other@northwind.co,Same id\n"
        "E3,grace@northwind.co,Grace\n"
    )

    import_id, row = await _import(client, content)

    assert (row["created_count"], row["rejected_count"]) == (2, 2)
    assert await _reasons(import_id) == [
        (3, "Duplicate of line 2 (same email)."),
        (4, "Duplicate of line 2 (same external ID)."),
    ]
    ada = next(c for c in await live_contacts(owner) if c["external_id"] == "E1")
    assert ada["first_name"] == "Ada"  # the first row wins, whatever the batch size
    assert await ContactImportKey.count() == 0  # the import's scratch keys went with it


async def test_an_email_in_other_letter_case_updates_the_existing_contact(client):
    owner = await make_organisation()
    existing = await make_contact(owner, email="Grace.Hopper@northwind.co", department="Support")
    await log_in(client, owner)

    _, row = await _import(client, "Email,Department\nGRACE.HOPPER@NORTHWIND.CO,Engineering\n")

    assert (row["created_count"], row["updated_count"]) == (0, 1)
    [contact] = await live_contacts(owner)
    assert contact["id"] == existing["id"]
    assert contact["department"] == "Engineering"
    assert contact["email"] == "Grace.Hopper@northwind.co"  # a change of case alone is no change


async def test_rows_with_an_external_id_match_on_it_even_when_the_email_changed(client):
    owner = await make_organisation()
    moved = await make_contact(owner, email="old@northwind.co", external_id="E7", first_name="Ola")
    await log_in(client, owner)

    _, row = await _import(client, "Employee ID,Email,First name\nE7,new@northwind.co,Ola\n")

    assert (row["created_count"], row["updated_count"]) == (0, 1)
    [contact] = await live_contacts(owner)
    assert contact["id"] == moved["id"]
    assert contact["email"] == "new@northwind.co"
    assert contact["sort_name"] == "ola"


async def test_an_external_id_is_adopted_by_the_contact_with_that_email(client):
    owner = await make_organisation()
    await make_contact(owner, email="ana@northwind.co")
    await log_in(client, owner)

    _, row = await _import(client, "ID,Email\nE9,ana@northwind.co\n")

    assert row["updated_count"] == 1
    [contact] = await live_contacts(owner)
    assert contact["external_id"] == "E9"


async def test_an_email_held_by_a_contact_with_another_external_id_is_rejected(client):
    owner = await make_organisation()
    await make_contact(owner, email="ana@northwind.co", external_id="E1", first_name="Ana")
    await log_in(client, owner)

    import_id, row = await _import(client, "ID,Email\nE2,ana@northwind.co\n")

    assert (row["created_count"], row["updated_count"], row["rejected_count"]) == (0, 0, 1)
    [(_, reason)] = await _reasons(import_id)
    assert reason == "ana@northwind.co already belongs to Ana (external ID E1)."


async def test_without_an_external_id_column_rows_match_by_email(client):
    owner = await make_organisation()
    await make_contact(owner, email="finn@northwind.co", external_id="E5", location="Berlin")
    await log_in(client, owner)

    _, row = await _import(
        client, "Email,Office\nfinn@northwind.co,Lisbon\nnew@northwind.co,Remote\n"
    )

    assert (row["created_count"], row["updated_count"]) == (1, 1)
    finn = next(c for c in await live_contacts(owner) if c["email"] == "finn@northwind.co")
    assert (finn["location"], finn["external_id"]) == ("Lisbon", "E5")


async def test_importing_the_same_file_again_changes_nothing(client):
    owner = await make_organisation()
    await log_in(client, owner)
    content = "ID,Email,Dept,Type\nE1,a@northwind.co,Sales,vendor\nE2,b@northwind.co,,Employees\n"
    await _import(client, content)

    _, again = await _import(client, content)

    assert (again["created_count"], again["updated_count"], again["unchanged_count"]) == (0, 0, 2)
    assert await Contact.count() == 2


async def test_bad_values_are_rejected_row_by_row_with_reasons(client):
    owner = await make_organisation()
    await log_in(client, owner)
    content = (
        "Email,Type,First name\n"
        "ok@northwind.co,Vendors,Ok\n"
        ",employee,No email\n"
        "robot@northwind.co,robot,Robot\n"
        "a@b,user,Bad domain\n"
        "extra@northwind.co,user,Extra,value\n"
        f"long@northwind.co,user,{'x' * 101}\n"
    )

    import_id, _ = await _import(client, content)

    reasons = dict(await _reasons(import_id))
    assert reasons[3] == "Email is missing."
    assert reasons[4] == "“robot” is not a type: use employee, vendor or user."
    assert reasons[5].startswith("Email: The part after the @")
    assert "has 4 values but the header has 3 columns" in reasons[6]
    assert reasons[7] == "First name: Use at most 100 characters."
    [contact] = await live_contacts(owner)
    assert contact["entity_type"] == "vendor"  # "Vendors" is understood


async def test_the_file_s_default_type_is_for_new_contacts_only(client):
    owner = await make_organisation()
    await make_contact(owner, email="v@harbor-logistics.co", entity_type="vendor")
    await log_in(client, owner)
    import_id = import_id_from(await upload_csv(client, "Email\nv@harbor-logistics.co\nu@app.co\n"))
    page = soup(await client.get(f"/contacts/import/{import_id}"))
    column = page.select_one("#import-mapping select[name=column-0] option[selected]")["value"]

    await post_form(
        client,
        f"/contacts/import/{import_id}",
        {"column-0": column, "entity_type": "user", "action": "import"},
    )
    await finished(import_id)

    types = {c["email"]: c["entity_type"] for c in await live_contacts(owner)}
    assert types == {"v@harbor-logistics.co": "vendor", "u@app.co": "user"}


async def test_an_empty_cell_clears_its_field_but_never_an_external_id(client):
    owner = await make_organisation()
    await make_contact(owner, email="kai@northwind.co", external_id="E3", department="Sales")
    await log_in(client, owner)

    await _import(client, "ID,Email,Dept\n,kai@northwind.co,\n")

    [contact] = await live_contacts(owner)
    assert (contact["department"], contact["external_id"]) == ("", "E3")


async def test_a_failure_midway_leaves_nothing_half_imported_and_can_be_retried(
    client, monkeypatch
):
    owner = await make_organisation()
    await log_in(client, owner)
    monkeypatch.setattr(importer, "BATCH_ROWS", 2)
    original = importer.ContactUpserter.apply
    calls = []

    async def apply_then_fail(self, batch):
        calls.append(len(batch))
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        await original(self, batch)

    monkeypatch.setattr(importer.ContactUpserter, "apply", apply_then_fail)
    content = "Email\n" + "".join(f"p{n}@northwind.co\nbad-{n}\n" for n in range(5))

    import_id, row = await _import(client, content)

    assert row["status"] == "failed"
    assert len(calls) == 3  # two batches were applied before the failure…
    assert await Contact.count() == 0  # …and rolled back with it
    assert await ContactImportRejection.count() == 0
    assert await ContactImportKey.count() == 0
    html = soup(await client.get(f"/contacts/import/{import_id}"))
    assert "Nothing was imported" in html.select_one(".notice-error").get_text()

    monkeypatch.setattr(importer.ContactUpserter, "apply", original)
    retry = await post_form(client, f"/contacts/import/{import_id}/start")
    assert retry.status_code == 302
    row = await finished(import_id)
    assert (row["status"], row["created_count"], row["rejected_count"]) == ("completed", 5, 5)


async def test_an_import_whose_worker_vanished_reports_failure_and_offers_a_retry(client):
    owner = await make_organisation()
    await log_in(client, owner)
    import_id = import_id_from(await upload_csv(client, "Email\na@northwind.co\n"))
    # What a worker killed mid-job leaves behind: "running", and no job in the queue.
    await ContactImport.update(
        {ContactImport.status: "running", ContactImport.job_key: "contact-import:gone"}
    ).where(ContactImport.id == import_id)

    html = soup(await client.get(f"/contacts/import/{import_id}"))

    assert html.select_one(".notice-error").get_text() == imports.STOPPED
    assert html.select_one(f"form[action='/contacts/import/{import_id}/start'] button")
    retry = await post_form(client, f"/contacts/import/{import_id}/start")
    assert retry.status_code == 302
    assert (await finished(import_id))["created_count"] == 1


async def test_uploads_nobody_imported_for_a_week_are_dropped_and_say_so(client):
    owner = await make_organisation()
    await log_in(client, owner)
    import_id = import_id_from(await upload_csv(client, "Email\na@northwind.co\n"))
    await ContactImport.update(
        {ContactImport.updated_at: utcnow() - timedelta(days=8)}, use_auto_update=False
    ).where(ContactImport.id == import_id)

    assert await imports.purge_stale_uploads() == 1

    response = await post_form(client, f"/contacts/import/{import_id}/start")
    assert response.status_code == 409
    assert "expired" in response.text
    assert await Contact.count() == 0


async def test_a_job_delivered_twice_imports_once(client):
    owner = await make_organisation()
    await log_in(client, owner)
    _, row = await _import(client, "Email\na@northwind.co\n")
    await ContactImport.update({ContactImport.status: "completed"}).where(
        ContactImport.id == row["id"]
    )

    again = await importer.run_import(row["id"], on_progress=_ignore)

    assert again == {"import_id": row["id"], "skipped": "not queued"}
    assert await Contact.count() == 1


async def _ignore(counts) -> None:
    return None


async def test_an_import_stopped_by_its_time_limit_is_failed_and_rolled_back(client, monkeypatch):
    owner = await make_organisation()
    await log_in(client, owner)
    import_id = import_id_from(await upload_csv(client, "Email\na@northwind.co\nb@northwind.co\n"))
    await ContactImport.update({ContactImport.status: "queued"}).where(
        ContactImport.id == import_id
    )
    monkeypatch.setattr(importer, "BATCH_ROWS", 1)
    original = importer.ContactUpserter.apply
    calls = []

    async def cancelled_on_second_batch(self, batch):
        calls.append(batch)
        if len(calls) == 2:
            raise asyncio.CancelledError
        await original(self, batch)

    monkeypatch.setattr(importer.ContactUpserter, "apply", cancelled_on_second_batch)

    with pytest.raises(asyncio.CancelledError):
        await importer.run_import(import_id, on_progress=_ignore)

    row = await ContactImport.objects().get(ContactImport.id == import_id)
    assert (row.status, row.error) == ("failed", imports.STOPPED)
    assert await Contact.count() == 0
