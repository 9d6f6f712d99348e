"""Contacts (the organisation's own people) and the CSV imports that bring them in.

The live-row unique indexes and the list/search indexes are raw SQL in the migrations:
Piccolo declares neither partial nor expression indexes.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, Bytea, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.db import SoftDeletable, Timestamped
from app.domain.accounts.tables import Organisation


class EntityType(StrEnum):
    employee = "employee"
    vendor = "vendor"
    user = "user"


class ImportStatus(StrEnum):
    uploaded = "uploaded"  # stored, waiting for its column mapping
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"


class Contact(Timestamped, SoftDeletable, Table, tablename="contacts"):
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    entity_type = Varchar(length=20, choices=EntityType, default=EntityType.employee)
    external_id = Varchar(length=255, null=True, default=None)
    email = Varchar(length=254)
    first_name = Varchar(length=100, default="")
    last_name = Varchar(length=100, default="")
    department = Varchar(length=200, default="")
    location = Varchar(length=200, default="")
    employment_type = Varchar(length=200, default="")
    employment_status = Varchar(length=200, default="")
    company = Varchar(length=200, default="")
    phone = Varchar(length=50, default="")
    attributes = JSON(default="{}")
    # Lower-cased "last first" and "first last" (the email when there is no name), kept by the
    # services: the list's order and an indexed prefix search that behave alike on both engines.
    sort_name = Varchar(length=255, default="")
    search_name = Varchar(length=255, default="")
    # Mailchimp cleaned the address (hard bounce or abuse): mail to it is not delivered.
    unreachable_at = Timestamptz(null=True, default=None)
    unreachable_reason = Varchar(length=200, default="")


class ContactImport(Timestamped, Table, tablename="contact_imports"):
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=20, choices=ImportStatus, default=ImportStatus.uploaded)
    filename = Varchar(length=255, default="")
    size_bytes = Integer(default=0)
    encoding = Varchar(length=20, default="utf-8")
    delimiter = Varchar(length=2, default=",")
    header = JSON(default="[]")
    # {"<column index>": "email" | "first_name" | … | "attribute:<name>" | "ignore"}
    mapping = JSON(default="{}")
    default_entity_type = Varchar(length=20, choices=EntityType, default=EntityType.employee)
    total_rows = Integer(default=0)
    processed_rows = Integer(default=0)
    created_count = Integer(default=0)
    updated_count = Integer(default=0)
    unchanged_count = Integer(default=0)
    rejected_count = Integer(default=0)
    error = Text(default="")
    job_key = Varchar(length=100, null=True, default=None)
    # Who started it: the job writes the audit entry in their name.
    actor_type = Varchar(length=20, default="system")
    actor_id = Varchar(length=64, null=True, default=None)
    actor_label = Varchar(length=255, default="")
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)


class ContactImportChunk(Table, tablename="contact_import_chunks"):
    """The uploaded file's bytes, in order, so a worker on any machine can read it."""

    contact_import = ForeignKey(ContactImport, on_delete=OnDelete.cascade)
    position = Integer()
    data = Bytea()


class ContactImportRejection(Table, tablename="contact_import_rejections"):
    """A row the import refused: its line, why, and its original values (for the download)."""

    contact_import = ForeignKey(ContactImport, on_delete=OnDelete.cascade)
    line_number = Integer()
    reason = Text()
    row_values = JSON(default="[]")


class ContactImportKey(Table, tablename="contact_import_keys"):
    """The first line of each email and external ID met so far in a running import, kept in
    the database so that a file of any length is checked for repeats in bounded memory.
    Written and emptied inside the import's own transaction."""

    contact_import = ForeignKey(ContactImport, on_delete=OnDelete.cascade)
    kind = Varchar(length=20)  # email (lower-cased) | external_id
    value = Text()
    line_number = Integer()
