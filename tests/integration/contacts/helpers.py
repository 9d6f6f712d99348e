"""Building contacts and running imports the way the app does, for the contacts tests."""

from __future__ import annotations

from typing import Any

import httpx

from app.domain.contacts import services
from app.domain.contacts.tables import Contact, ContactImport
from tests.factories import Member, csrf_token
from tests.fixtures.app import wait_until


async def make_contact(member: Member, **values: Any) -> dict:
    values.setdefault("entity_type", "employee")
    values.setdefault("email", f"{values.get('first_name', 'someone').lower()}@northwind.co")
    return await services.create_contact(member.principal, values)


async def live_contacts(member: Member) -> list[dict]:
    return await Contact.select().where(
        (Contact.organisation == member.organisation.id) & Contact.soft_deleted_at.is_null()
    )


async def upload_csv(
    client: httpx.AsyncClient, content: bytes | str, filename: str = "people.csv"
) -> httpx.Response:
    """Submit the upload form as a browser does (multipart, CSRF field included)."""
    data = content.encode() if isinstance(content, str) else content
    return await client.post(
        "/contacts/import",
        data={"_csrf_token": await csrf_token(client)},
        files={"file": (filename, data, "text/csv")},
    )


def import_id_from(response: httpx.Response) -> int:
    assert response.status_code in (302, 303), response.text[:2000]
    return int(response.headers["location"].rstrip("/").rsplit("/", 1)[-1])


async def finished(import_id: int, *, timeout: float = 60) -> dict:
    """Wait for an import's job to finish, and answer its row."""

    async def done():
        row = await ContactImport.select().where(ContactImport.id == import_id).first()
        return row if row["status"] in ("completed", "failed") else None

    return await wait_until(done, timeout=timeout)
