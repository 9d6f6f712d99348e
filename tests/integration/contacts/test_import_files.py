"""What kinds of file an import reads, and the ones it refuses before writing anything."""

from __future__ import annotations

import codecs

import pytest

from app.domain.contacts import imports
from app.domain.contacts.tables import Contact, ContactImport, ContactImportChunk
from tests.factories import log_in, make_organisation, post_form, soup
from tests.integration.contacts.helpers import (
    finished,
    import_id_from,
    live_contacts,
    make_contact,
    upload_csv,
)


async def _import(client, content: bytes | str) -> tuple[int, dict]:
    """Upload, accept the guessed columns, start, and wait for the job."""
    import_id = import_id_from(await upload_csv(client, content))
    page = soup(await client.get(f"/contacts/import/{import_id}"))
    fields = {
        select["name"]: select.select_one("option[selected]")["value"]
        for select in page.select("#import-mapping select")
    }
    response = await post_form(
        client, f"/contacts/import/{import_id}", {**fields, "action": "import"}
    )
    assert response.status_code == 302, soup(response).select_one(".notice-error")
    return import_id, await finished(import_id)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "The file is empty."),
        (b"\n\n  \n", "The file is empty."),
        (b"Email,First name\n", "header line but no contacts"),
        ("Email,Name\nzoe@northwind.co,Zoë Müller\n".encode("latin-1"), "isn't UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 40, "isn't"),
        (b"Email,Name\na@northwind.co,A\x00B\n", "binary data"),
    ],
    ids=["empty", "blank-lines", "header-only", "latin-1", "png", "nul-bytes"],
)
async def test_a_file_that_cannot_be_imported_is_refused_inline_and_nothing_is_stored(
    client, content, words
):
    owner = await make_organisation()
    await make_contact(owner, email="existing@northwind.co")
    await log_in(client, owner)

    response = await upload_csv(client, content)

    assert response.status_code == 400
    html = soup(response)
    assert html.select_one("#field-file")["aria-invalid"] == "true"
    assert words in html.select_one("#error-file").get_text()
    assert await ContactImport.count() == 0
    assert await ContactImportChunk.count() == 0
    assert await Contact.count() == 1


async def test_uploading_without_a_file_asks_for_one(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await post_form(client, "/contacts/import", {})

    assert response.status_code == 400
    assert soup(response).select_one("#error-file").get_text() == "Choose a CSV file to upload."


async def test_the_latin_1_refusal_says_where_the_first_problem_is(client):
    owner = await make_organisation()
    await log_in(client, owner)
    content = "Email,Name\n" + "".join(f"p{n}@northwind.co,P{n}\n" for n in range(40))
    content += "zoe@northwind.co,Zoë\n"

    response = await upload_csv(client, content.encode("latin-1"))

    assert "line 42" in soup(response).select_one("#error-file").get_text()


@pytest.mark.parametrize(
    ("content", "delimiter"),
    [
        (codecs.BOM_UTF8 + "Email,First name\nzoe@northwind.co,Zoë\n".encode(), ","),
        (b"Email;First name\r\nzoe@northwind.co;Zo\xc3\xab\r\n", ";"),
        (b"Email\tFirst name\nzoe@northwind.co\tZo\xc3\xab\n", "\t"),
        ("Email\tFirst name\r\nzoe@northwind.co\tZoë\r\n".encode("utf-16"), "\t"),
    ],
    ids=["utf-8-bom", "semicolons-crlf", "tabs", "utf-16-excel-unicode-text"],
)
async def test_encodings_and_delimiters_are_detected(client, content, delimiter):
    owner = await make_organisation()
    await log_in(client, owner)

    _, row = await _import(client, content)

    assert row["status"] == "completed", row["error"]
    assert row["delimiter"] == delimiter
    [contact] = await live_contacts(owner)
    assert contact["email"] == "zoe@northwind.co"
    assert contact["first_name"] == "Zoë"  # not "\ufeffZoë", not mojibake


async def test_quoted_fields_may_hold_delimiters_quotes_and_line_breaks(client):
    owner = await make_organisation()
    await log_in(client, owner)
    content = (
        "Email,Last name,Notes\n"
        'ada@northwind.co,"Lovelace, Countess","First line\nsecond line, with a comma"\n'
        'grace@northwind.co,"Hopper ""Amazing Grace""",plain\n'
        'broken,"Multi\nline",row\n'
    )

    import_id, _ = await _import(client, content)

    contacts = {c["email"]: c for c in await live_contacts(owner)}
    assert contacts["ada@northwind.co"]["last_name"] == "Lovelace, Countess"
    assert "First line\\nsecond line, with a comma" in contacts["ada@northwind.co"]["attributes"]
    assert contacts["grace@northwind.co"]["last_name"] == 'Hopper "Amazing Grace"'
    html = soup(await client.get(f"/contacts/import/{import_id}"))
    # The broken record starts on line 5: Ada's took lines 2 and 3.
    assert html.select_one(".rejected-table td").get_text() == "5"


async def test_a_large_file_with_records_across_chunk_boundaries_imports_every_row(client):
    owner = await make_organisation()
    await log_in(client, owner)
    note = "x" * 900  # rows of ~1 KB, so 1,500 rows cross the 1 MB chunk boundary
    lines = ["Email,Notes"] + [f'p{n}@northwind.co,"{note}\n{n}"' for n in range(1500)]
    content = "\n".join(lines) + "\n"
    assert len(content) > 1024 * 1024

    _, row = await _import(client, content)

    assert row["status"] == "completed"
    assert row["created_count"] == 1500
    assert row["rejected_count"] == 0
    assert await Contact.count() == 1500


async def test_a_file_over_the_limit_lands_back_on_the_form_with_an_inline_error(client):
    owner = await make_organisation()
    await log_in(client, owner)
    content = b"Email\n" + b"someone@northwind.co\n" * (imports.MAX_UPLOAD_REQUEST_BYTES // 21 + 10)

    response = await upload_csv(client, content)

    assert response.status_code == 303
    page = soup(await client.get(response.headers["location"]))
    assert page.select_one("#field-file")["aria-invalid"] == "true"
    assert "larger than 50 MB" in page.select_one("#error-file").get_text()
    assert await ContactImport.count() == 0


async def test_a_file_just_over_50_mb_is_refused_inline_too(client):
    owner = await make_organisation()
    await log_in(client, owner)
    content = b"Email\n" + b"someone@northwind.co\n" * (imports.MAX_UPLOAD_BYTES // 21 + 10)
    assert imports.MAX_UPLOAD_BYTES < len(content) < imports.MAX_UPLOAD_REQUEST_BYTES

    response = await upload_csv(client, content)

    assert response.status_code == 413
    assert "larger than 50 MB" in soup(response).select_one("#error-file").get_text()
    assert await ContactImportChunk.count() == 0
