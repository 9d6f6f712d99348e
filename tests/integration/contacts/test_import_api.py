"""Importing through the API: a raw text/csv body or a multipart file, then polling."""

from __future__ import annotations

import json
import time

import pytest

from app.domain.contacts import imports
from app.domain.contacts.tables import Contact, ContactImport, ContactImportChunk
from tests.factories import bearer, make_organisation, make_token
from tests.integration.contacts.helpers import finished

CSV = "Email,Given name,Dept,Plan\nada@northwind.co,Ada,Engineering,pro\nbroken,Bad,,\n"


@pytest.fixture
async def api(client):
    owner = await make_organisation("Northwind")
    client.headers.update(bearer(await make_token(owner, "hr-sync")))
    client.owner = owner
    return client


async def test_a_raw_csv_body_is_queued_and_reports_its_outcome(api):
    response = await api.post(
        "/api/v1/contacts/import", content=CSV, headers={"content-type": "text/csv"}
    )

    assert response.status_code == 202
    started = response.json()
    assert started["status"] == "queued"
    assert response.headers["location"] == started["url"]
    await finished(started["import_id"])
    report = (await api.get(started["url"])).json()
    assert report["status"] == "completed"
    assert report["progress"] == 1.0
    assert report["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert report["mapping"] == {
        "Email": "email",
        "Given name": "first_name",
        "Dept": "department",
        "Plan": "attribute:Plan",
    }
    [rejected] = report["rejected_rows"]
    assert rejected["line"] == 3
    assert rejected["values"]["Email"] == "broken"
    assert rejected["reason"].startswith("Email:")


async def test_a_multipart_file_with_a_mapping_override(api):
    mapping = {"Plan": "ignore", "Dept": "location"}

    response = await api.post(
        "/api/v1/contacts/import",
        files={"file": ("people.csv", CSV.encode(), "text/csv")},
        data={"mapping": json.dumps(mapping), "entity_type": "user"},
    )

    assert response.status_code == 202
    await finished(response.json()["import_id"])
    [ada] = await Contact.select().where(Contact.organisation == api.owner.organisation.id)
    assert (ada["location"], ada["department"], ada["entity_type"]) == ("Engineering", "", "user")
    assert ada["attributes"] == "{}"


async def test_the_mapping_may_also_come_as_a_query_parameter(api):
    response = await api.post(
        "/api/v1/contacts/import",
        params={"mapping": json.dumps({"Given name": "last_name"})},
        content=CSV,
        headers={"content-type": "text/csv"},
    )

    await finished(response.json()["import_id"])
    [ada] = await Contact.select(Contact.last_name)
    assert ada["last_name"] == "Ada"


@pytest.mark.parametrize(
    ("body", "params", "words"),
    [
        ("Name,Phone\nAda,1\n", {}, "email address"),
        ("", {}, "The file is empty."),
        ("Email\n", {}, "no contacts"),
        (CSV, {"mapping": "[1, 2]"}, "must be a JSON object"),
        (CSV, {"mapping": '{"Nope": "email"}'}, "no column “Nope”"),
        (CSV, {"mapping": '{"Dept": "salary"}'}, "not a contact field"),
        (CSV, {"entity_type": "robot"}, "not a type"),
    ],
    ids=[
        "no-email-column",
        "empty",
        "header-only",
        "mapping-list",
        "unknown-column",
        "unknown-field",
        "bad-type",
    ],
)
async def test_a_file_that_cannot_be_imported_is_400_and_nothing_is_stored(
    api, body, params, words
):
    response = await api.post(
        "/api/v1/contacts/import", params=params, content=body, headers={"content-type": "text/csv"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in json.dumps(response.json(), ensure_ascii=False)
    assert await ContactImport.count() == 0
    assert await ContactImportChunk.count() == 0


async def test_wrong_encoding_through_the_api_is_a_clear_400(api):
    response = await api.post(
        "/api/v1/contacts/import",
        content="Email,Name\nzoe@northwind.co,Zoë\n".encode("latin-1"),
        headers={"content-type": "text/csv"},
    )

    assert response.status_code == 400
    assert "isn't UTF-8 text" in response.json()["detail"]


async def test_a_multipart_request_without_a_file_field_is_400(api):
    response = await api.post("/api/v1/contacts/import", files={"upload": ("x.csv", b"Email\n")})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"


async def test_rejected_rows_page_by_cursor(api):
    content = "Email\n" + "".join(f"bad-{n}\n" for n in range(5)) + "ok@northwind.co\n"
    response = await api.post(
        "/api/v1/contacts/import", content=content, headers={"content-type": "text/csv"}
    )
    import_id = response.json()["import_id"]
    await finished(import_id)

    first = (await api.get(f"/api/v1/contacts/imports/{import_id}/rejected?limit=3")).json()
    rest = (
        await api.get(
            f"/api/v1/contacts/imports/{import_id}/rejected",
            params={"limit": 3, "cursor": first["next_cursor"]},
        )
    ).json()

    assert [r["line"] for r in first["items"] + rest["items"]] == [2, 3, 4, 5, 6]
    assert rest["next_cursor"] is None


@pytest.mark.slow
async def test_a_20_mb_file_imports_in_reasonable_time(api):
    note = "Joined from the Lisbon office; prefers email; badge 0000; parking level B2 " * 3
    lines = ["Employee ID,Email,First name,Last name,Dept,Office,Notes"]
    lines += [
        f"E{n},person{n}@northwind.co,First{n},Last{n},Engineering,Lisbon,{note}{n}"
        for n in range(80_000)
    ]
    content = ("\n".join(lines) + "\n").encode()
    assert len(content) > 20 * 1024 * 1024

    started = time.monotonic()
    response = await api.post(
        "/api/v1/contacts/import", content=content, headers={"content-type": "text/csv"}
    )
    assert response.status_code == 202, response.text
    row = await finished(response.json()["import_id"], timeout=120)
    seconds = time.monotonic() - started

    assert row["status"] == "completed", row["error"]
    assert row["created_count"] == 80_000
    assert await Contact.count() == 80_000
    assert seconds < 120, f"took {seconds:.0f} s"


async def test_a_file_over_50_mb_is_refused_with_413(api):
    content = b"Email\n" + b"someone@northwind.co\n" * (imports.MAX_UPLOAD_BYTES // 21 + 10)

    response = await api.post(
        "/api/v1/contacts/import", content=content, headers={"content-type": "text/csv"}
    )

    assert response.status_code == 413
    assert response.json()["detail"] == imports.TOO_LARGE
    assert await ContactImport.count() == 0
