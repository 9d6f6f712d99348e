"""Reading a stored import: its records, a preview of the first rows, the rejected rows."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.accounts.principal import Principal
from app.domain.contacts import services
from app.domain.contacts.csv_mapping import RowMapper
from app.domain.contacts.csv_reader import iter_records
from app.domain.contacts.fields import display_name
from app.domain.contacts.import_plan import KeyTracker, decide
from app.domain.contacts.imports import import_row
from app.domain.contacts.tables import ContactImportChunk, ContactImportRejection
from app.lib.pagination import Page, keyset_page
from app.lib.spreadsheet import inert_row

PREVIEW_ROWS = 20


@dataclass(frozen=True, slots=True)
class PreviewRow:
    line: int
    cells: list[str]
    outcome: str  # new | update | problem
    note: str


async def stored_pieces(import_id: int) -> AsyncIterator[bytes]:
    """The stored file, one chunk (1 MB) at a time."""
    position = 0
    while True:
        chunk = (
            await ContactImportChunk.select(ContactImportChunk.data)
            .where(
                (ContactImportChunk.contact_import == import_id)
                & (ContactImportChunk.position == position)
            )
            .first()
        )
        if chunk is None:
            return
        yield chunk["data"]
        position += 1


def stored_records(row: Mapping[str, Any]):
    return iter_records(
        stored_pieces(row["id"]), encoding=row["encoding"], delimiter=row["delimiter"]
    )


async def preview(principal: Principal, import_id: int) -> list[PreviewRow]:
    """The first rows under the current mapping: what each would do, or why it can't
    (the import job's own rules, without writing anything)."""
    row = await import_row(principal, import_id)
    mapper = RowMapper(row["mapping"], len(row["header"]), row["default_entity_type"])
    records = []
    async for record in stored_records(row):
        records.append(record)
        if len(records) > PREVIEW_ROWS:
            break
    keys, converted = KeyTracker(), []
    for line, fields in records[1:]:
        values, reason = mapper.convert(fields)
        if values is not None:
            reason = keys.duplicate(line, values)
        converted.append((line, fields, None if reason else values, reason))
    accepted = [values for *_, values, _ in converted if values]
    by_email, by_external = await services.find_by_keys(
        principal,
        emails=[values.values["email"] for values in accepted],
        external_ids=[ext for values in accepted if (ext := values.values.get("external_id"))],
    )
    rows = []
    for line, fields, values, reason in converted:
        decision = decide(values, by_email, by_external) if values else None
        if decision is None or decision.action == "reject":
            rows.append(PreviewRow(line, fields, "problem", reason or decision.reason))
        elif decision.action == "create":
            rows.append(PreviewRow(line, fields, "new", "New contact"))
        else:
            name = display_name(decision.target)
            note = f"Updates {name}" if decision.action == "update" else f"No change to {name}"
            rows.append(PreviewRow(line, fields, decision.action, note))
    return rows


async def rejections(
    principal: Principal, import_id: int, *, cursor: str | None = None, limit: int | None = None
) -> Page[dict]:
    await import_row(principal, import_id)
    query = (
        ContactImportRejection.select(
            ContactImportRejection.id,
            ContactImportRejection.line_number,
            ContactImportRejection.reason,
            ContactImportRejection.row_values,
        )
        .where(ContactImportRejection.contact_import == import_id)
        .output(load_json=True)
    )
    return await keyset_page(
        query,
        sort=ContactImportRejection.id,
        id_column=ContactImportRejection.id,
        descending=False,
        cursor=cursor,
        limit=limit,
    )


async def rejected_csv(principal: Principal, import_id: int) -> AsyncIterator[str]:
    """The refused rows as CSV: the file's own columns plus `reason`, a page at a time.
    Checked before it is returned, so a stranger's import id fails before streaming starts."""
    row = await import_row(principal, import_id)
    return _rejected_csv_lines(principal, row)


async def _rejected_csv_lines(principal: Principal, row: dict[str, Any]) -> AsyncIterator[str]:
    import_id = row["id"]
    text = io.StringIO()
    writer = csv.writer(text, delimiter=row["delimiter"], lineterminator="\r\n")
    writer.writerow(inert_row([*row["header"], "reason"]))
    yield "\ufeff" + text.getvalue()  # the mark makes Excel read UTF-8 correctly
    cursor = None
    while True:
        page = await rejections(principal, import_id, cursor=cursor, limit=200)
        text.seek(0)
        text.truncate()
        for rejection in page.items:
            writer.writerow(inert_row([*rejection["row_values"], rejection["reason"]]))
        yield text.getvalue()
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
