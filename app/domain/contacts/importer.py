"""Applying a stored CSV file to the contacts: the import job's engine (the per-row rules
are in import_plan.py, shared with the preview)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from app.db import engine, is_sqlite, transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.accounts.tables import Role
from app.domain.contacts import import_rows, imports, services
from app.domain.contacts.csv_mapping import RowMapper, RowValues
from app.domain.contacts.csv_reader import CsvFileProblem, Record
from app.domain.contacts.fields import name_keys
from app.domain.contacts.import_plan import Decision, KeyTracker, decide, file_keys, new_contact
from app.domain.contacts.tables import (
    ContactImport,
    ContactImportChunk,
    ContactImportKey,
    ContactImportRejection,
    ImportStatus,
)
from app.lib import audit
from app.lib.audit import Actor

logger = logging.getLogger(__name__)

BATCH_ROWS = 500
NAME_FIELDS = ("first_name", "last_name", "email")


@dataclass
class ImportCounts:
    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


ProgressCallback = Callable[[ImportCounts], Awaitable[None]]


class FileKeys:
    """The first line of each email and external ID an import has met, kept in its own
    transaction (contact_import_keys) and looked up one batch's keys at a time: memory holds a
    batch's worth of keys whatever the file's length."""

    def __init__(self, import_id: int) -> None:
        self.import_id = import_id

    async def tracker(self, rows: Iterable[RowValues]) -> KeyTracker:
        values = list({value for row in rows for _, value in file_keys(row)})
        if not values:
            return KeyTracker()
        found = await ContactImportKey.select(
            ContactImportKey.kind, ContactImportKey.value, ContactImportKey.line_number
        ).where(
            (ContactImportKey.contact_import == self.import_id)
            & ContactImportKey.value.is_in(values)
        )
        return KeyTracker({(key["kind"], key["value"]): key["line_number"] for key in found})

    async def remember(self, tracker: KeyTracker) -> None:
        """Plain SQL, as for the contacts themselves: one statement per batch."""
        if not tracker.added:
            return
        arguments: list[Any] = []
        for (kind, value), line in tracker.added:
            arguments += [self.import_id, kind, value, line]
        rows = ", ".join(["({}, {}, {}, {})"] * len(tracker.added))  # placeholders only
        columns = "contact_import, kind, value, line_number"
        await ContactImportKey.raw(
            f"INSERT INTO contact_import_keys ({columns}) VALUES {rows}",  # noqa: S608
            *arguments,
        )

    async def forget(self) -> None:
        await ContactImportKey.delete().where(ContactImportKey.contact_import == self.import_id)


class ContactUpserter:
    """Plans and writes one batch of rows at a time; keys met in earlier batches are looked up
    in FileKeys, so a repeat is caught wherever the batch boundaries fall."""

    def __init__(self, principal: Principal, mapper: RowMapper, import_id: int) -> None:
        self.principal = principal
        self.mapper = mapper
        self.import_id = import_id
        self.counts = ImportCounts()
        self.keys = FileKeys(import_id)

    async def apply(self, batch: list[Record]) -> None:
        converted = [(line, fields, *self.mapper.convert(fields)) for line, fields in batch]
        keys = await self.keys.tracker(row for _, _, row, _ in converted if row is not None)
        accepted: list[tuple[int, list[str], RowValues]] = []
        rejections: list[ContactImportRejection] = []
        for line, fields, row, reason in converted:
            self.counts.processed += 1
            if row is not None:
                reason = keys.duplicate(line, row)
            if reason:
                rejections.append(self._rejection(line, fields, reason))
            else:
                accepted.append((line, fields, row))
        await self.keys.remember(keys)
        by_email, by_external = await services.find_by_keys(
            self.principal,
            emails=[row.values["email"] for _, _, row in accepted],
            external_ids=[ext for _, _, row in accepted if (ext := row.values.get("external_id"))],
        )
        creates: list[dict[str, Any]] = []
        for line, fields, row in accepted:
            decision = decide(row, by_email, by_external)
            if decision.action == "reject":
                rejections.append(self._rejection(line, fields, decision.reason))
            elif decision.action == "create":
                creates.append(new_contact(row))  # no other row has its keys (KeyTracker)
                self.counts.created += 1
            elif decision.action == "unchanged":
                self.counts.unchanged += 1
            else:
                await self._update(row, decision, by_email, by_external)
                self.counts.updated += 1
        # Updates ran first: one may free an email that a new contact in this batch now takes.
        await services.insert_many(self.principal, creates)
        if rejections:
            rejections.sort(key=lambda rejection: rejection.line_number)  # listed in file order
            await ContactImportRejection.insert(*rejections)
            self.counts.rejected += len(rejections)

    def _rejection(self, line: int, fields: list[str], reason: str) -> ContactImportRejection:
        return ContactImportRejection(
            contact_import=self.import_id, line_number=line, reason=reason, row_values=fields
        )

    async def _update(
        self, row: RowValues, decision: Decision, by_email: dict, by_external: dict
    ) -> None:
        target, changes = decision.target, decision.changes
        # Later rows of this batch must see the contact as it is now, not as it was fetched.
        if "email" in changes:
            by_email.pop(target["email"].lower(), None)
            by_email[changes["email"].lower()] = target
        if "external_id" in changes:
            by_external[changes["external_id"]] = target
        target.update(changes)
        if any(name in changes for name in NAME_FIELDS):
            changes = {
                **changes,
                **name_keys(target["first_name"], target["last_name"], target["email"]),
            }
        await services.update_one(self.principal, target["id"], changes)


class _Statistics:
    """Postgres plans each batch's lookups from table statistics taken before this import: a
    big file into a small organisation then looks tiny (and the import's own keys, none at
    all), and the planner scans all of their (growing) rows per batch. ANALYZE inside the
    transaction counts our own new rows; it runs at 2,000 rows, then 8,000, 32,000… It holds a
    lock that makes a second big import in parallel wait for this one to commit (ordinary
    reads and writes are not blocked)."""

    def __init__(self) -> None:
        self.next_at = 2000

    async def refresh(self, processed: int) -> None:
        if processed >= self.next_at and not is_sqlite():
            await engine().run_ddl("ANALYZE contacts, contact_import_keys")
            self.next_at *= 4


async def apply_records(
    upserter: ContactUpserter, records, *, on_progress: ProgressCallback
) -> ImportCounts:
    """Every record after the header, in batches; progress is reported after each batch."""
    batch: list[Record] = []
    header_seen = False
    statistics = _Statistics()
    async for record in records:
        if not header_seen:
            header_seen = True
            continue
        batch.append(record)
        if len(batch) >= BATCH_ROWS:
            await upserter.apply(batch)
            batch = []
            await on_progress(upserter.counts)
            await statistics.refresh(upserter.counts.processed)
    if batch:
        await upserter.apply(batch)
    await on_progress(upserter.counts)
    return upserter.counts


def _principal(row: dict[str, Any]) -> Principal:
    """The job acts for the import's organisation, audited as whoever started the import."""
    actor = Actor(type=row["actor_type"], id=row["actor_id"], label=row["actor_label"])
    return Principal(
        organisation_id=row["organisation"], organisation_name="", role=Role.admin, actor=actor
    )


async def _begin(import_id: int) -> dict[str, Any] | None:
    """queued → running in one statement, so a job delivered twice runs the import once."""
    claimed = (
        await ContactImport.update(
            {ContactImport.status: ImportStatus.running, ContactImport.started_at: utcnow()}
        )
        .where((ContactImport.id == import_id) & (ContactImport.status == ImportStatus.queued))
        .returning(ContactImport.id)
    )
    if not claimed:
        return None
    return (
        await ContactImport.select()
        .where(ContactImport.id == import_id)
        .output(load_json=True)
        .first()
    )


async def _complete(row: dict[str, Any], principal: Principal, counts: ImportCounts) -> None:
    await ContactImport.update(
        {
            ContactImport.status: ImportStatus.completed,
            ContactImport.processed_rows: counts.processed,
            ContactImport.created_count: counts.created,
            ContactImport.updated_count: counts.updated,
            ContactImport.unchanged_count: counts.unchanged,
            ContactImport.rejected_count: counts.rejected,
            ContactImport.finished_at: utcnow(),
        }
    ).where(ContactImport.id == row["id"])
    # The rejected rows keep their own copy; the file itself is not needed any more.
    await ContactImportChunk.delete().where(ContactImportChunk.contact_import == row["id"])
    await audit.record(
        principal.actor,
        organisation_id=principal.organisation_id,
        action="contacts.imported",
        entity_type="contact_import",
        entity_id=row["id"],
        changes={"file": row["filename"], "rows": counts.processed, **counts.as_dict()},
    )


async def run_import(import_id: int, *, on_progress: ProgressCallback) -> dict[str, Any]:
    """Apply a queued import in ONE transaction: every contact change, the rejected rows, the
    counts and the audit entry commit together or not at all. A failure midway therefore
    leaves nothing half-imported, and "Try again" starts from a clean slate (upserts make a
    rerun converge anyway). The cost: on SQLite other writers wait while a big file imports."""
    row = await _begin(import_id)
    if row is None:
        return {"import_id": import_id, "skipped": "not queued"}
    principal = _principal(row)
    mapper = RowMapper(row["mapping"], len(row["header"]), row["default_entity_type"])
    upserter = ContactUpserter(principal, mapper, import_id)
    try:
        async with transaction():
            counts = await apply_records(
                upserter, import_rows.stored_records(row), on_progress=on_progress
            )
            await upserter.keys.forget()
            await _complete(row, principal, counts)
    except CsvFileProblem as exc:
        await imports.fail(import_id, f"{exc.message} Nothing was imported.")
        return {"import_id": import_id, "status": "failed"}
    except asyncio.CancelledError:  # its time limit, or the worker shutting down
        await asyncio.shield(imports.fail(import_id, imports.STOPPED))
        raise
    except Exception:
        logger.exception("contact import failed", extra={"import_id": import_id})
        await imports.fail(
            import_id, "An unexpected error stopped the import. Nothing was imported; try again."
        )
        raise
    return {"import_id": import_id, "status": "completed", **counts.as_dict()}
