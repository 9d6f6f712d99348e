"""Contacts' part in a GDPR erasure: find the person (deleted or not), hide them at once, and in
the end keep no personal data anywhere the contacts domain stores it.

Used by app/domain/preferences/erasure.py. An erasure is about an address: every contact row of
the organisation with that address is scrubbed, and the rows keep only what proves they existed
(id, type, timestamps). Soft-deleted rows keep a placeholder address so unique indexes hold.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from typing import Any

from piccolo.columns.combination import WhereRaw

from app.db import utcnow
from app.domain.contacts.tables import (
    Contact,
    ContactImport,
    ContactImportChunk,
    ContactImportRejection,
    ImportStatus,
)
from app.lib.like import contains

ERASED = "[erased]"
FILE_REMOVED = "The uploaded file was removed because it held the data of a person who was erased."
_SCRUBBED = {
    "external_id": None,
    "first_name": "",
    "last_name": "",
    "department": "",
    "location": "",
    "employment_type": "",
    "employment_status": "",
    "company": "",
    "phone": "",
    "attributes": {},
    "sort_name": "",
    "search_name": "",
    "unreachable_at": None,
    "unreachable_reason": "",
}


def placeholder_email(contact_id: int) -> str:
    """A non-identifying address: `.invalid` can never be delivered to (RFC 2606)."""
    return f"erased-{contact_id}@erased.invalid"


def is_erased(contact: dict[str, Any]) -> bool:
    return contact["email"] == placeholder_email(contact["id"])


async def find(organisation_id: int, contact_id: int) -> dict[str, Any] | None:
    """The contact, live or soft-deleted (a deleted contact's row still holds personal data)."""
    return (
        await Contact.select(
            Contact.id,
            Contact.entity_type,
            Contact.email,
            Contact.first_name,
            Contact.last_name,
            Contact.soft_deleted_at,
        )
        .where((Contact.organisation == organisation_id) & (Contact.id == contact_id))
        .first()
    )


async def live_with_address(organisation_id: int, email: str, *, other_than: int) -> int | None:
    """The id of a live contact, other than `other_than`, that has this address (any case)."""
    row = (
        await Contact.select(Contact.id)
        .where(
            (Contact.organisation == organisation_id)
            & Contact.soft_deleted_at.is_null()
            & (Contact.id != other_than)
            & WhereRaw('lower("contacts"."email") = {}', email.strip().lower())
        )
        .first()
    )
    return row["id"] if row else None


async def hide(organisation_id: int, contact_id: int) -> None:
    """Out of lists, searches and syncs from the moment the erasure is asked for."""
    await Contact.update({Contact.soft_deleted_at: utcnow()}).where(
        (Contact.organisation == organisation_id)
        & (Contact.id == contact_id)
        & Contact.soft_deleted_at.is_null()
    )


async def scrub(organisation_id: int, contact_id: int, emails: Sequence[str]) -> list[int]:
    """Empty the contact's row and every other row of the organisation with one of these
    addresses (a deleted duplicate, say); returns the ids scrubbed."""
    condition = Contact.id == contact_id
    for email in emails:
        condition |= WhereRaw('lower("contacts"."email") = {}', email.strip().lower())
    rows = await Contact.select(Contact.id, Contact.soft_deleted_at).where(
        (Contact.organisation == organisation_id) & condition
    )
    now = utcnow()
    for row in rows:
        await Contact.update(
            {
                **{getattr(Contact, name): value for name, value in _SCRUBBED.items()},
                Contact.email: placeholder_email(row["id"]),
                Contact.soft_deleted_at: row["soft_deleted_at"] or now,
            }
        ).where(Contact.id == row["id"])
    return [row["id"] for row in rows]


async def scrub_imports(organisation_id: int, emails: Sequence[str]) -> None:
    """Refused import rows that quote the address lose their values; uploaded files still
    waiting to be imported that contain it are removed (their import is marked failed)."""
    imports = ContactImport.select(ContactImport.id).where(
        ContactImport.organisation == organisation_id
    )
    for email in emails:
        await ContactImportRejection.update(
            {ContactImportRejection.row_values: [], ContactImportRejection.reason: ERASED}
        ).where(
            ContactImportRejection.contact_import.is_in(imports)
            & (contains("CAST(row_values AS TEXT)", email) | contains("reason", email))
        )
    waiting = await ContactImport.select(ContactImport.id, ContactImport.encoding).where(
        (ContactImport.organisation == organisation_id)
        & ContactImport.status.is_in([ImportStatus.uploaded, ImportStatus.failed])
    )
    for upload in waiting:
        if await _file_mentions(upload["id"], upload["encoding"], emails):
            await ContactImportChunk.delete().where(
                ContactImportChunk.contact_import == upload["id"]
            )
            await ContactImport.update(
                {ContactImport.status: ImportStatus.failed, ContactImport.error: FILE_REMOVED}
            ).where(ContactImport.id == upload["id"])


async def _file_mentions(import_id: int, encoding: str, emails: Sequence[str]) -> bool:
    """Does the stored file contain any of the addresses? Read a piece at a time, decoded as
    the import reads it, keeping a little of each piece so a match across pieces is found."""
    wanted = [email.lower() for email in emails if email]
    if not wanted:
        return False
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    except LookupError:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    keep = max(len(email) for email in wanted)
    tail = ""
    position = -1
    while True:
        piece = (
            await ContactImportChunk.select(ContactImportChunk.position, ContactImportChunk.data)
            .where(
                (ContactImportChunk.contact_import == import_id)
                & (ContactImportChunk.position > position)
            )
            .order_by(ContactImportChunk.position)
            .first()
        )
        if piece is None:
            return False
        position = piece["position"]
        text = tail + decoder.decode(bytes(piece["data"])).lower()
        if any(email in text for email in wanted):
            return True
        tail = text[-keep:]


async def import_in_progress(organisation_id: int) -> bool:
    """Is an import of the organisation queued or running (and so may still write rows)?"""
    return await ContactImport.exists().where(
        (ContactImport.organisation == organisation_id)
        & ContactImport.status.is_in([ImportStatus.queued, ImportStatus.running])
    )
