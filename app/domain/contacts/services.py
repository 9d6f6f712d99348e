"""Contacts: the organisation's system of record for its people.

Every function takes the caller's `Principal` and scopes every query to its organisation;
soft-deleted contacts are invisible here. Each change is audited in its own transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import asyncpg
from piccolo.columns.combination import WhereRaw

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.contacts import search
from app.domain.contacts.fields import FILTERS, clean_contact, display_name, name_keys
from app.domain.contacts.tables import Contact
from app.lib import audit
from app.lib.errors import InvalidInput, NotFound
from app.lib.pagination import Page, keyset_page

# What a person can change; the rest (ids, keys, timestamps) the service keeps.
EDITABLE = (
    "entity_type",
    "external_id",
    "email",
    "first_name",
    "last_name",
    "department",
    "location",
    "employment_type",
    "employment_status",
    "company",
    "phone",
    "attributes",
)
COLUMNS = (Contact.id, *(getattr(Contact, name) for name in EDITABLE))
COLUMNS += (Contact.sort_name, Contact.created_at, Contact.updated_at)
DEFAULTS: dict[str, Any] = {"entity_type": "employee", "external_id": None, "attributes": {}}


class DuplicateContact(InvalidInput):
    """Another live contact already has this email or external ID (409 for the API)."""

    status_code = 409
    title = "Duplicate contact"

    def __init__(self, field_name: str, message: str, *, contact_id: int) -> None:
        super().__init__({field_name: message}, detail=message)
        self.contact_id = contact_id


@dataclass(frozen=True, slots=True)
class ContactFilters:
    q: str = ""
    values: dict[str, str] = field(default_factory=dict)
    email: str = ""
    external_id: str = ""

    @classmethod
    def of(cls, q: str | None = None, **given: str | None) -> ContactFilters:
        values = {k: v.strip() for k, v in given.items() if k in FILTERS and v and v.strip()}
        return cls(
            q=(q or "").strip()[:100],
            values=values,
            email=(given.get("email") or "").strip(),
            external_id=(given.get("external_id") or "").strip(),
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.values or self.email or self.external_id)

    def query_string(self, **extra: str) -> str:
        """These filters as a URL query (for "Load more" links)."""
        return urlencode(
            {"q": self.q, **self.values, **extra} if self.q else {**self.values, **extra}
        )


def _live(principal: Principal):
    return (Contact.organisation == principal.organisation_id) & Contact.soft_deleted_at.is_null()


async def list_contacts(
    principal: Principal,
    filters: ContactFilters | None = None,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[dict]:
    """A page of live contacts in name order, narrowed by search and filters (keyset paging)."""
    filters = filters or ContactFilters()
    query = Contact.select(*COLUMNS).where(_live(principal)).output(load_json=True)
    for name, value in filters.values.items():
        query = query.where(getattr(Contact, name) == value)
    if filters.email:
        query = query.where(search.email_equals(filters.email))
    if filters.external_id:
        query = query.where(Contact.external_id == filters.external_id)
    prefix = search.prefix_condition(filters.q, principal.organisation_id)
    if prefix is not None:
        query = query.where(prefix)
    return await keyset_page(
        query,
        sort=Contact.sort_name,
        id_column=Contact.id,
        descending=False,
        cursor=cursor,
        limit=limit,
    )


async def filter_options(principal: Principal) -> dict[str, list[str]]:
    """For each filter, the values present among the organisation's live contacts."""
    return await search.distinct_values(principal.organisation_id, FILTERS)


async def get_contact(principal: Principal, contact_id: int) -> dict:
    row = (
        await Contact.select(*COLUMNS)
        .where(_live(principal) & (Contact.id == contact_id))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("There is no such contact.")
    return row


async def find_live(
    principal: Principal, *, email: str | None, external_id: str | None, exclude_id: int | None
) -> list[dict]:
    """Live contacts holding this email (any case) or external ID, other than `exclude_id`."""
    conditions = []
    if email:
        conditions.append(search.email_equals(email))
    if external_id:
        conditions.append(Contact.external_id == external_id)
    if not conditions:
        return []
    either = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
    query = Contact.select(*COLUMNS).where(_live(principal)).where(either)
    if exclude_id is not None:
        query = query.where(Contact.id != exclude_id)
    return await query.output(load_json=True)


async def find_by_keys(
    principal: Principal, *, emails: list[str], external_ids: list[str]
) -> tuple[dict[str, dict], dict[str, dict]]:
    """Live contacts by lower-cased email and by external ID, for a batch of rows."""
    conditions = []
    if emails:
        marks = ", ".join("{}" for _ in emails)
        lowered = [email.lower() for email in emails]
        conditions.append(WhereRaw(f'lower("contacts"."email") IN ({marks})', *lowered))
    if external_ids:
        conditions.append(Contact.external_id.is_in(external_ids))
    if not conditions:
        return {}, {}
    either = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
    rows = await Contact.select(*COLUMNS).where(_live(principal) & either).output(load_json=True)
    by_email = {row["email"].lower(): row for row in rows}
    by_external = {row["external_id"]: row for row in rows if row["external_id"]}
    return by_email, by_external


async def _ensure_unique(principal: Principal, clean: Mapping, *, exclude_id: int | None) -> None:
    email, external_id = clean.get("email"), clean.get("external_id")
    for other in await find_live(
        principal, email=email, external_id=external_id, exclude_id=exclude_id
    ):
        name = display_name(other)
        if email and other["email"].lower() == email.lower():
            raise DuplicateContact(
                "email", f"{name} already has the email {other['email']}.", contact_id=other["id"]
            )
        raise DuplicateContact(
            "external_id",
            f"{name} already has the external ID {external_id}.",
            contact_id=other["id"],
        )


def _is_unique_violation(exc: Exception) -> bool:
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


def _audit_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k in EDITABLE and v not in ("", None, {})}


async def create_contact(principal: Principal, values: Mapping[str, Any]) -> dict:
    """A new contact. Email and type are required; email and external ID are unique."""
    clean, errors = clean_contact(values)
    if errors:
        raise InvalidInput(errors)
    keys = name_keys(clean.get("first_name", ""), clean.get("last_name", ""), clean["email"])
    try:
        async with transaction():
            await _ensure_unique(principal, clean, exclude_id=None)
            contact = Contact(organisation=principal.organisation_id, **clean, **keys)
            await contact.save()
            await audit.record(
                principal.actor,
                organisation_id=principal.organisation_id,
                action="contact.created",
                entity_type="contact",
                entity_id=contact.id,
                changes=_audit_values(clean),
            )
    except Exception as exc:
        # Two people saving the same address at once: the index decides, the loser is told.
        if not _is_unique_violation(exc):
            raise
        await _ensure_unique(principal, clean, exclude_id=None)
        raise
    return await get_contact(principal, contact.id)


async def update_contact(
    principal: Principal,
    contact_id: int,
    values: Mapping[str, Any],
    *,
    merge_attributes: bool = False,
) -> dict:
    """Change the fields given. With `merge_attributes`, attributes are merged into the
    existing ones (a None value removes that attribute); otherwise they are replaced."""
    clean, errors = clean_contact(values, partial=True)
    if errors:
        raise InvalidInput(errors)
    try:
        async with transaction():
            before = await get_contact(principal, contact_id)
            if merge_attributes and "attributes" in clean:
                merged = {**before["attributes"], **clean["attributes"]}
                clean["attributes"] = {k: v for k, v in merged.items() if v is not None}
            after = {**before, **clean}
            changes = audit.diff({k: before[k] for k in clean}, {k: after[k] for k in clean})
            if not changes:
                return before
            await _ensure_unique(principal, clean, exclude_id=contact_id)
            keys = name_keys(after["first_name"], after["last_name"], after["email"])
            await Contact.update({**clean, **keys}).where(
                _live(principal) & (Contact.id == contact_id)
            )
            await audit.record(
                principal.actor,
                organisation_id=principal.organisation_id,
                action="contact.updated",
                entity_type="contact",
                entity_id=contact_id,
                changes=changes,
            )
    except Exception as exc:
        if not _is_unique_violation(exc):
            raise
        await _ensure_unique(principal, clean, exclude_id=contact_id)
        raise
    return await get_contact(principal, contact_id)


INSERT_COLUMNS = (*(name for name in EDITABLE), "sort_name", "search_name")


async def insert_many(principal: Principal, contacts: list[dict[str, Any]]) -> None:
    """New contacts in one statement, for imports and demo data: the values must be clean
    (clean_contact) and carry their name keys; the caller audits the batch as a whole.
    Plain SQL, because building a Piccolo object per row cost more than the database did."""
    if not contacts:
        return
    now = utcnow()
    columns = ("organisation", *INSERT_COLUMNS, "created_at", "updated_at")
    arguments: list[Any] = []
    for values in contacts:
        arguments.append(principal.organisation_id)
        for name in INSERT_COLUMNS:
            value = values.get(name, DEFAULTS.get(name, ""))
            arguments.append(json.dumps(value) if name == "attributes" else value)
        arguments += [now, now]
    row = "(" + ", ".join("{}" for _ in columns) + ")"
    await Contact.raw(
        f"INSERT INTO contacts ({', '.join(columns)}) VALUES {', '.join([row] * len(contacts))}",  # noqa: S608
        *arguments,
    )


UPDATABLE = frozenset((*INSERT_COLUMNS,))


async def update_one(principal: Principal, contact_id: int, changes: dict[str, Any]) -> None:
    """Write already-clean changes to one contact (imports: audited per import, not per row).
    Plain SQL for the same reason as insert_many: a big import updates thousands of rows."""
    if not set(changes) <= UPDATABLE:  # names go into the SQL text: contact columns only
        raise ValueError(f"not updatable: {set(changes) - UPDATABLE}")
    assignments = ", ".join(f"{name} = {{}}" for name in changes)
    values = [json.dumps(v) if name == "attributes" else v for name, v in changes.items()]
    await Contact.raw(
        f"UPDATE contacts SET {assignments}, updated_at = {{}} "  # noqa: S608
        "WHERE id = {} AND organisation = {} AND soft_deleted_at IS NULL",
        *values,
        utcnow(),
        contact_id,
        principal.organisation_id,
    )


async def delete_contact(principal: Principal, contact_id: int) -> dict:
    """Soft delete: the contact disappears everywhere but the row (and its history) stays."""
    async with transaction():
        contact = await get_contact(principal, contact_id)
        await Contact.update({Contact.soft_deleted_at: utcnow()}).where(
            _live(principal) & (Contact.id == contact_id)
        )
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="contact.deleted",
            entity_type="contact",
            entity_id=contact_id,
            changes={"email": contact["email"], "name": display_name(contact)},
        )
    return contact


@dataclass(frozen=True, slots=True)
class Reachability:
    reachable: int
    unreachable: int


async def mark_unreachable(principal: Principal, contact_id: int, *, reason: str) -> bool:
    """Mailchimp cleaned the contact's address: flag it (once; True when it changed)."""
    async with transaction():
        contact = await get_contact(principal, contact_id)
        flagged = await Contact.select(Contact.unreachable_at).where(
            _live(principal) & (Contact.id == contact_id)
        )
        if flagged and flagged[0]["unreachable_at"] is not None:
            return False
        await Contact.update(
            {Contact.unreachable_at: utcnow(), Contact.unreachable_reason: reason[:200]}
        ).where(_live(principal) & (Contact.id == contact_id))
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="contact.unreachable",
            entity_type="contact",
            entity_id=contact_id,
            changes={"email": contact["email"], "reason": reason[:200]},
        )
    return True


async def mark_reachable(principal: Principal, contact_id: int) -> bool:
    """The address accepts mail again (it subscribed): clear the flag (True when it changed)."""
    async with transaction():
        await get_contact(principal, contact_id)
        flagged = await Contact.select(Contact.unreachable_at).where(
            _live(principal) & (Contact.id == contact_id)
        )
        if not flagged or flagged[0]["unreachable_at"] is None:
            return False
        await Contact.update({Contact.unreachable_at: None, Contact.unreachable_reason: ""}).where(
            _live(principal) & (Contact.id == contact_id)
        )
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="contact.reachable",
            entity_type="contact",
            entity_id=contact_id,
            changes={},
        )
    return True


async def unreachable_since(principal: Principal, contact_id: int) -> tuple[Any, str] | None:
    """When and why the contact was flagged unreachable, or None."""
    row = (
        await Contact.select(Contact.unreachable_at, Contact.unreachable_reason)
        .where(_live(principal) & (Contact.id == contact_id))
        .first()
    )
    if row is None or row["unreachable_at"] is None:
        return None
    return row["unreachable_at"], row["unreachable_reason"]


async def reachability(principal: Principal) -> Reachability:
    """Live contacts whose address takes mail, and those Mailchimp cleaned."""
    total = await Contact.count().where(_live(principal))
    unreachable = await Contact.count().where(
        _live(principal) & Contact.unreachable_at.is_not_null()
    )
    return Reachability(reachable=total - unreachable, unreachable=unreachable)
