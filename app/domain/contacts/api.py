"""`/api/v1/contacts`: the contacts and their CSV imports, as JSON."""

from __future__ import annotations

import json
from tempfile import SpooledTemporaryFile
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from app.domain.accounts.principal import Principal
from app.domain.contacts import import_rows, imports, services
from app.domain.contacts.schemas import (
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    ImportCountsOut,
    ImportOut,
    ImportStarted,
    RejectedRowPage,
    rejected_row,
)
from app.domain.contacts.services import ContactFilters
from app.lib.errors import InvalidInput, problem


class ContactApi(Controller):
    path = "/contacts"
    tags = ["contacts"]

    @get("/", name="api.contacts")
    async def list_contacts(
        self,
        principal: Principal,
        limit: int | None = None,
        cursor: str | None = None,
        q: str | None = None,
        entity_type: str | None = None,
        department: str | None = None,
        location: str | None = None,
        employment_type: str | None = None,
        employment_status: str | None = None,
        email: str | None = None,
        external_id: str | None = None,
    ) -> ContactPage:
        """Contacts in name order. `q` matches the start of a name (either order) or email;
        the other parameters are exact filters. Follow `next_cursor` for the next page."""
        filters = ContactFilters.of(
            q=q,
            entity_type=entity_type,
            department=department,
            location=location,
            employment_type=employment_type,
            employment_status=employment_status,
            email=email,
            external_id=external_id,
        )
        page = await services.list_contacts(principal, filters, cursor=cursor, limit=limit)
        return ContactPage(
            items=[ContactOut.of(row) for row in page.items], next_cursor=page.next_cursor
        )

    @get("/{contact_id:int}", name="api.contacts.get")
    async def get_contact(self, principal: Principal, contact_id: int) -> ContactOut:
        return ContactOut.of(await services.get_contact(principal, contact_id))

    @post("/", name="api.contacts.create")
    async def create_contact(self, principal: Principal, data: ContactIn) -> Response[ContactOut]:
        """A new contact; 409 when the email (any case) or external ID is taken."""
        row = await services.create_contact(principal, _fields(data))
        return Response(
            ContactOut.of(row),
            status_code=201,
            headers={"location": f"/api/v1/contacts/{row['id']}"},
        )

    @patch("/{contact_id:int}", name="api.contacts.update")
    async def update_contact(
        self, principal: Principal, contact_id: int, data: ContactPatch
    ) -> ContactOut:
        row = await services.update_contact(
            principal, contact_id, data.given(), merge_attributes=True
        )
        return ContactOut.of(row)

    @delete("/{contact_id:int}", name="api.contacts.delete", status_code=204)
    async def delete_contact(self, principal: Principal, contact_id: int) -> None:
        """Soft delete: the contact is gone from every list; its history stays."""
        await services.delete_contact(principal, contact_id)


def _fields(data: ContactIn) -> dict[str, Any]:
    return {name: getattr(data, name) for name in data.__struct_fields__}


def _too_large(request: Request, exc: RequestEntityTooLarge) -> Response:
    errors = [{"field": "file", "message": imports.TOO_LARGE}]
    return problem(413, "File too large", imports.TOO_LARGE, errors=errors)


async def _spool(request: Request) -> SpooledTemporaryFile:
    """A raw body, on local disk past 1 MB: never the whole file in memory."""
    spool = SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - closed by the caller
    size = 0
    async for piece in request.stream():
        size += len(piece)
        if size > imports.MAX_UPLOAD_BYTES:
            spool.close()
            raise imports.FileTooLarge
        spool.write(piece)
    return spool


def _json_object(text: str | None, name: str) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidInput({name: f'`{name}` must be a JSON object, like {{"E-mail": "email"}}.'})
    return value


async def _upload(request: Request) -> tuple[imports.Upload, dict[str, str]]:
    content_type, _ = request.content_type
    if content_type != "multipart/form-data":
        return imports.Upload("upload.csv", await _spool(request)), {}
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise InvalidInput({"file": "Send the CSV file in a multipart field named “file”."})
    options = {k: v for k, v in form.items() if k != "file" and isinstance(v, str)}
    return imports.Upload(file.filename, file.file), options


def _import_out(report: imports.ImportReport, rejected: Any) -> ImportOut:
    row, header = report.row, report.row["header"]
    mapping = {}
    for index, target in sorted(row["mapping"].items(), key=lambda item: int(item[0])):
        name = header[int(index)]
        mapping[name if name not in mapping else f"{name} (column {int(index) + 1})"] = target
    return ImportOut(
        id=row["id"],
        status=report.status,
        filename=row["filename"],
        progress=1.0 if report.status == "completed" else round(report.fraction, 4),
        total_rows=row["total_rows"],
        processed_rows=report.processed,
        counts=ImportCountsOut(
            created=row["created_count"],
            updated=row["updated_count"],
            unchanged=row["unchanged_count"],
            rejected=row["rejected_count"],
        ),
        mapping=mapping,
        error=report.error or None,
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        rejected_rows=[rejected_row(header, item) for item in rejected.items],
        rejected_rows_next_cursor=rejected.next_cursor,
    )


class ContactImportApi(Controller):
    path = "/contacts"
    tags = ["contacts"]

    @post(
        "/import",
        name="api.contacts.import",
        status_code=202,
        request_max_body_size=imports.MAX_UPLOAD_REQUEST_BYTES,
        exception_handlers={RequestEntityTooLarge: _too_large},
    )
    async def import_csv(
        self,
        request: Request,
        principal: Principal,
        mapping: str | None = None,
        entity_type: str | None = None,
    ) -> Response[ImportStarted]:
        """Import a CSV file sent as the raw body (`text/csv`) or as the multipart field `file`.
        Columns are mapped from the header; `mapping` (a JSON object, as a query parameter or
        form field) overrides, e.g. {"Mail": "email", "Cost centre": "attribute"}.
        `entity_type` is the type of new contacts when the file has no type column."""
        upload, options = await _upload(request)
        try:
            import_id = await imports.receive_and_start(
                principal,
                upload,
                mapping=_json_object(options.get("mapping") or mapping, "mapping"),
                entity_type=options.get("entity_type") or entity_type,
            )
        finally:
            upload.file.close()
        url = f"/api/v1/contacts/imports/{import_id}"
        body = ImportStarted(import_id=import_id, status="queued", url=url)
        return Response(body, status_code=202, headers={"location": url})

    @get("/imports/{import_id:int}", name="api.contacts.imports.get")
    async def get_import(self, principal: Principal, import_id: int) -> ImportOut:
        """Status (queued, running, completed, failed; "uploaded" while a file uploaded in
        the app waits for its columns), progress, counts and the first rejected rows (more at
        `…/rejected`)."""
        report = await imports.report(principal, import_id)
        rejected = await import_rows.rejections(principal, import_id, limit=100)
        return _import_out(report, rejected)

    @get("/imports/{import_id:int}/rejected", name="api.contacts.imports.rejected")
    async def rejected_rows(
        self,
        principal: Principal,
        import_id: int,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> RejectedRowPage:
        report = await imports.report(principal, import_id)
        page = await import_rows.rejections(principal, import_id, cursor=cursor, limit=limit)
        header = report.row["header"]
        return RejectedRowPage(
            items=[rejected_row(header, item) for item in page.items], next_cursor=page.next_cursor
        )


ROUTES = [ContactImportApi, ContactApi]
