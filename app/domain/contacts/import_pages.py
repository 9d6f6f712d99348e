"""CSV import pages: upload, map the columns (with a preview), progress, result."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.response import Redirect, Stream, Template

from app.domain.accounts.principal import Principal
from app.domain.contacts import import_rows, imports
from app.domain.contacts.csv_mapping import ATTRIBUTE, FIELD_TARGETS, IGNORE, target_label
from app.domain.contacts.fields import ENTITY_TYPES
from app.domain.contacts.tables import ImportStatus
from app.lib.errors import InvalidInput
from app.lib.forms import read_form
from app.lib.templating import render

TOO_LARGE = "too-large"


def _too_large(request: Request, exc: RequestEntityTooLarge) -> Response:
    # Raised while the body streams in, possibly before the handler (and its login) ran:
    # the upload page says what happened instead.
    return Redirect(f"/contacts/import?problem={TOO_LARGE}", status_code=303)


def _choices(header: list[str], mapping: dict[str, str]) -> list[list[tuple[str, str]]]:
    """For each column: ignore, every field, and an attribute named after the column."""
    fields = [(target, target_label(target)) for target in FIELD_TARGETS]
    per_column = []
    for index, name in enumerate(header):
        attribute = ATTRIBUTE + name[:100]
        options = [(IGNORE, target_label(IGNORE)), *fields, (attribute, target_label(attribute))]
        current = mapping.get(str(index), IGNORE)
        if current not in dict(options):
            options.append((current, target_label(current)))
        per_column.append(options)
    return per_column


async def _mapping_page(
    request: Request,
    principal: Principal,
    import_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    report = await imports.report(principal, import_id)
    rows = await import_rows.preview(principal, import_id)
    return render(
        request,
        "contacts/import_mapping.html",
        partial="contacts/_mapping.html",
        status_code=status_code,
        report=report,
        preview=rows,
        problems=sum(1 for row in rows if row.outcome == "problem"),
        choices=_choices(report.row["header"], report.row["mapping"]),
        entity_types=ENTITY_TYPES,
        errors=errors or {},
    )


async def _progress_context(principal: Principal, import_id: int) -> dict:
    report = await imports.report(principal, import_id)
    rejected = None
    if report.status == ImportStatus.completed:
        rejected = await import_rows.rejections(principal, import_id, limit=100)
    return {"report": report, "rejected": rejected}


class ImportController(Controller):
    path = "/contacts/import"

    @get("/", name="contacts.import")
    async def index(
        self, request: Request, principal: Principal, problem: str | None = None
    ) -> Template:
        errors = {"file": imports.TOO_LARGE} if problem == TOO_LARGE else {}
        recent = await imports.recent(principal)
        return render(request, "contacts/import.html", recent=recent, errors=errors)

    @post(
        "/",
        name="contacts.import.upload",
        request_max_body_size=imports.MAX_UPLOAD_REQUEST_BYTES,
        exception_handlers={RequestEntityTooLarge: _too_large},
    )
    async def upload(self, request: Request, principal: Principal) -> Template | Redirect:
        form = await read_form(request)
        file = form.data.get("file")
        try:
            if not isinstance(file, UploadFile) or not file.filename:
                raise InvalidInput({"file": "Choose a CSV file to upload."})
            import_id = await imports.receive(principal, imports.Upload(file.filename, file.file))
        except InvalidInput as exc:
            recent = await imports.recent(principal)
            return render(
                request,
                "contacts/import.html",
                status_code=exc.status_code,
                recent=recent,
                errors=exc.errors,
            )
        finally:
            if isinstance(file, UploadFile):
                await file.close()
        return Redirect(f"/contacts/import/{import_id}")

    @get("/{import_id:int}", name="contacts.import.show")
    async def show(self, request: Request, principal: Principal, import_id: int) -> Template:
        context = await _progress_context(principal, import_id)
        if context["report"].status == ImportStatus.uploaded:
            return await _mapping_page(request, principal, import_id)
        return render(request, "contacts/import_progress.html", **context)

    @post("/{import_id:int}", name="contacts.import.mapping")
    async def save_mapping(
        self, request: Request, principal: Principal, import_id: int
    ) -> Template | Redirect:
        form = await read_form(request)
        mapping = {
            key.removeprefix("column-"): form.get(key)
            for key in form.data
            if key.startswith("column-")
        }
        try:
            await imports.save_mapping(
                principal, import_id, mapping=mapping, entity_type=form.get("entity_type")
            )
            if form.get("action") == "import":
                await imports.start(principal, import_id)
                return Redirect(f"/contacts/import/{import_id}")
        except InvalidInput as exc:
            # htmx swaps only successful responses: the re-rendered form carries the errors.
            status = 200 if request.headers.get("hx-request") else exc.status_code
            return await _mapping_page(
                request, principal, import_id, errors=exc.errors, status_code=status
            )
        if request.headers.get("hx-request"):
            return await _mapping_page(request, principal, import_id)
        return Redirect(f"/contacts/import/{import_id}")

    @post("/{import_id:int}/start", name="contacts.import.start")
    async def start(self, principal: Principal, import_id: int) -> Redirect:
        """ "Try again" after a failure."""
        await imports.start(principal, import_id)
        return Redirect(f"/contacts/import/{import_id}")

    @get("/{import_id:int}/progress", name="contacts.import.progress")
    async def progress(self, request: Request, principal: Principal, import_id: int) -> Template:
        context = await _progress_context(principal, import_id)
        return render(
            request, "contacts/import_progress.html", partial="contacts/_progress.html", **context
        )

    @get("/{import_id:int}/rejected.csv", name="contacts.import.rejected")
    async def rejected_csv(self, principal: Principal, import_id: int) -> Stream:
        lines = await import_rows.rejected_csv(principal, import_id)
        return Stream(
            lines,
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": f'attachment; filename="rejected-rows-{import_id}.csv"'
            },
        )
