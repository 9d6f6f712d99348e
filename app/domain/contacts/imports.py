"""CSV imports: receive a file, map its columns, preview, start the job, report the outcome.

The uploaded bytes are stored in the database (chunk rows), not on the web server's disk, so
a worker on any machine can read them. Everything wrong with the file as a whole (encoding,
not CSV, empty, no rows, no email column) is found before anything is stored or written.
"""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PureWindowsPath
from typing import Any, BinaryIO

import anyio
from saq import Status

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.contacts.csv_mapping import (
    guess_mapping,
    mapping_problems,
    resolve_overrides,
)
from app.domain.contacts.csv_reader import (
    PIECE_BYTES,
    CsvFileProblem,
    CsvShape,
    analyse,
)
from app.domain.contacts.fields import entity_type_problem, parse_entity_type
from app.domain.contacts.tables import (
    ContactImport,
    ContactImportChunk,
    ImportStatus,
)
from app.lib import queue
from app.lib.errors import Conflict, InvalidInput, NotFound

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# The upload routes' body limit: the file plus room for a multipart envelope and form fields.
MAX_UPLOAD_REQUEST_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024
JOB_TIMEOUT = 3600
KEEP_UPLOADS = timedelta(days=7)
TOO_LARGE = (
    "This file is larger than 50 MB, the most one import takes. Split it into smaller files "
    "(each starting with the header line) and import them one after another."
)
STOPPED = "The import stopped unexpectedly before it finished. Nothing was imported; try again."
ACTIVE = (ImportStatus.queued, ImportStatus.running)


class FileTooLarge(InvalidInput):
    status_code = 413
    title = "File too large"

    def __init__(self) -> None:
        super().__init__({"file": TOO_LARGE}, detail=TOO_LARGE)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file the web process has received (spooled to its local disk when large)."""

    filename: str
    file: BinaryIO


@dataclass(frozen=True, slots=True)
class ImportReport:
    row: dict[str, Any]
    status: str
    processed: int
    error: str

    @property
    def fraction(self) -> float:
        total = self.row["total_rows"]
        return min(1.0, self.processed / total) if total else 0.0

    @property
    def done(self) -> bool:
        return self.status in (ImportStatus.completed, ImportStatus.failed)


async def _read_shape(upload: Upload) -> tuple[int, CsvShape]:
    size = upload.file.seek(0, io.SEEK_END)
    upload.file.seek(0)
    if size > MAX_UPLOAD_BYTES:
        raise FileTooLarge
    try:
        shape = await anyio.to_thread.run_sync(analyse, upload.file.read)
    except CsvFileProblem as exc:
        raise InvalidInput({"file": exc.message}, detail=exc.message) from None
    return size, shape


async def _store(
    principal: Principal, upload: Upload, size: int, shape: CsvShape, **fields: Any
) -> ContactImport:
    upload.file.seek(0)
    actor = principal.actor
    async with transaction():
        contact_import = ContactImport(
            organisation=principal.organisation_id,
            # Some browsers send the whole path; the name is what people recognise.
            filename=(PureWindowsPath(upload.filename).name or "upload.csv")[:255],
            size_bytes=size,
            encoding=shape.encoding,
            delimiter=shape.delimiter,
            header=shape.header,
            total_rows=shape.rows,
            actor_type=actor.type,
            actor_id=actor.id,
            actor_label=actor.label[:255],
            **fields,
        )
        await contact_import.save()
        position = 0
        while piece := upload.file.read(PIECE_BYTES):
            await ContactImportChunk.insert(
                ContactImportChunk(contact_import=contact_import.id, position=position, data=piece)
            )
            position += 1
    return contact_import


async def receive(principal: Principal, upload: Upload) -> int:
    """Store an upload for the mapping step; its columns are guessed from the header."""
    size, shape = await _read_shape(upload)
    contact_import = await _store(
        principal, upload, size, shape, mapping=guess_mapping(shape.header)
    )
    return contact_import.id


async def receive_and_start(
    principal: Principal,
    upload: Upload,
    *,
    mapping: Mapping[str, Any] | None = None,
    entity_type: str | None = None,
) -> int:
    """The API's one-step import: guessed mapping (plus overrides), then queued at once."""
    default_type = parse_entity_type(entity_type or "employee")
    if default_type is None:
        raise InvalidInput({"entity_type": entity_type_problem(entity_type or "")})
    size, shape = await _read_shape(upload)
    columns = guess_mapping(shape.header)
    try:
        columns.update(resolve_overrides(mapping or {}, shape.header))
    except ValueError as exc:
        raise InvalidInput({"mapping": f"In the mapping, {exc}."}) from None
    if problems := mapping_problems(columns, shape.header):
        raise InvalidInput(_named(problems, shape.header), detail=next(iter(problems.values())))
    contact_import = await _store(
        principal,
        upload,
        size,
        shape,
        mapping=columns,
        default_entity_type=default_type,
        status=ImportStatus.queued,
    )
    await _enqueue(contact_import.id, _job_key(contact_import.id))
    return contact_import.id


def _named(problems: dict[str, str], header: list[str]) -> dict[str, str]:
    """Problems keyed by column index → keyed by the column's name, for API callers."""
    named = {}
    for key, message in problems.items():
        name = header[int(key)] if key.isdigit() and int(key) < len(header) else key
        named[f"mapping.{name}" if key != "mapping" else key] = message
    return named


def _job_key(import_id: int) -> str:
    # A fresh key per attempt: "Try again" must not collide with the failed job's record.
    return f"contact-import:{import_id}:{secrets.token_hex(4)}"


async def _enqueue(import_id: int, key: str) -> None:
    await ContactImport.update({ContactImport.job_key: key}).where(ContactImport.id == import_id)
    try:
        await queue.enqueue("import_contacts", timeout=JOB_TIMEOUT, key=key, import_id=import_id)
    except Exception:
        logger.exception("could not queue a contact import", extra={"import_id": import_id})
        await fail(import_id, "The job queue is unavailable, so the import could not start.")


async def import_row(principal: Principal, import_id: int) -> dict[str, Any]:
    row = (
        await ContactImport.select()
        .where(
            (ContactImport.id == import_id)
            & (ContactImport.organisation == principal.organisation_id)
        )
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("There is no such import.")
    return row


async def _job_state(row: dict[str, Any]) -> tuple[str, int, str]:
    """(status, rows processed, error), reading a running job's progress from the queue and
    noticing a job whose worker died (its transaction rolled back: nothing was imported)."""
    status, error = row["status"], row["error"]
    if status not in ACTIVE:
        return status, row["processed_rows"], error
    job = await queue.current().job(row["job_key"]) if row["job_key"] else None
    if job is not None and job.status not in (Status.FAILED, Status.ABORTED, Status.COMPLETE):
        return status, int((job.meta or {}).get("processed", 0)), error
    fresh = (
        await ContactImport.select()
        .where(ContactImport.id == row["id"])
        .output(load_json=True)
        .first()
    )
    if fresh["status"] in ACTIVE:
        return ImportStatus.failed, 0, STOPPED
    row.update(fresh)
    return fresh["status"], fresh["processed_rows"], fresh["error"]


async def report(principal: Principal, import_id: int) -> ImportReport:
    row = await import_row(principal, import_id)
    status, processed, error = await _job_state(row)
    return ImportReport(row=row, status=status, processed=processed, error=error)


async def recent(principal: Principal, limit: int = 10) -> list[dict[str, Any]]:
    return (
        await ContactImport.select(
            ContactImport.id,
            ContactImport.filename,
            ContactImport.status,
            ContactImport.total_rows,
            ContactImport.created_count,
            ContactImport.updated_count,
            ContactImport.rejected_count,
            ContactImport.created_at,
        )
        .where(ContactImport.organisation == principal.organisation_id)
        .order_by(ContactImport.id, ascending=False)
        .limit(limit)
    )


async def save_mapping(
    principal: Principal, import_id: int, *, mapping: dict[str, str], entity_type: str
) -> None:
    """Keep the chosen columns; a mapping without email is kept too (start() refuses it)."""
    async with transaction():
        row = await import_row(principal, import_id)
        if (await _job_state(row))[0] not in (ImportStatus.uploaded, ImportStatus.failed):
            raise Conflict("This import has already started: its columns can't change now.")
        errors = {k: v for k, v in mapping_problems(mapping, row["header"]).items() if k.isdigit()}
        default_type = parse_entity_type(entity_type)
        if default_type is None:
            errors["entity_type"] = entity_type_problem(entity_type)
        if errors:
            raise InvalidInput(errors)
        await ContactImport.update(
            {ContactImport.mapping: mapping, ContactImport.default_entity_type: default_type}
        ).where(ContactImport.id == import_id)


async def start(principal: Principal, import_id: int) -> None:
    """Queue the import job (also "Try again" after a failure)."""
    key = _job_key(import_id)
    async with transaction():
        row = await import_row(principal, import_id)
        if (await _job_state(row))[0] not in (ImportStatus.uploaded, ImportStatus.failed):
            raise Conflict("This import has already started.")
        if problems := mapping_problems(row["mapping"], row["header"]):
            raise InvalidInput(problems, detail=next(iter(problems.values())))
        if not await ContactImportChunk.exists().where(
            ContactImportChunk.contact_import == import_id
        ):
            raise Conflict("Uploads are kept for 7 days and this one has expired: upload it again.")
        # Conditional on the status just read: of two clicks at once, one queues the job.
        queued = (
            await ContactImport.update(
                {ContactImport.status: ImportStatus.queued, ContactImport.error: ""}
            )
            .where((ContactImport.id == import_id) & (ContactImport.status == row["status"]))
            .returning(ContactImport.id)
        )
        if not queued:
            raise Conflict("This import has already started.")
    await _enqueue(import_id, key)


async def fail(import_id: int, message: str) -> None:
    await ContactImport.update(
        {
            ContactImport.status: ImportStatus.failed,
            ContactImport.error: message,
            ContactImport.finished_at: utcnow(),
        }
    ).where(ContactImport.id == import_id)


async def purge_stale_uploads() -> int:
    """Drop the stored bytes of uploads nobody imported within a week (every organisation:
    housekeeping run by the system, it reads and returns nobody's data)."""
    stale = await ContactImport.select(ContactImport.id).where(
        ContactImport.status.is_in([ImportStatus.uploaded, ImportStatus.failed])
        & (ContactImport.updated_at < utcnow() - KEEP_UPLOADS)
    )
    ids = [row["id"] for row in stale]
    if ids:
        await ContactImportChunk.delete().where(ContactImportChunk.contact_import.is_in(ids))
    return len(ids)


async def total_rows(import_id: int) -> int:
    row = (
        await ContactImport.select(ContactImport.total_rows)
        .where(ContactImport.id == import_id)
        .first()
    )
    return row["total_rows"] if row else 0
