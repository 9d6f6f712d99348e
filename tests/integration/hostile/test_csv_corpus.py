"""Hostile CSV files, each sent three ways: the API's raw body, the API's multipart field, and
the import page's upload form. A file that cannot be imported as a whole is refused before
anything is stored; a readable file with odd contents is taken, and its bad rows are the
import's to reject."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

import pytest

from app.domain.contacts.tables import Contact, ContactImport
from tests.factories import (
    bearer,
    csrf_token,
    log_in,
    make_organisation,
    make_token,
    post_form,
    soup,
)
from tests.integration.contacts.helpers import finished, import_id_from, upload_csv

from .corpus import HTML_NAME, SQL_ISH, Case, report, run_cases
from .world import build_world

HEADER = "email,first_name,last_name,entity_type\r\n"
ROW = "ana@bluefin-foods.com,Ana,Lima,employee\r\n"


@dataclass(frozen=True)
class CsvFile:
    name: str
    content: bytes
    readable: bool  # True: a legitimate file (odd rows are rejected by the import, not here)


# The upload page takes these (their columns are chosen on the next page, which then refuses
# to start without an email column: test_an_upload_without_an_email_column_...).
NEEDS_MAPPING = {"missing-email-column", "pipe-delimited"}


def _text(*lines: str) -> bytes:
    return "".join(lines).encode()


FILES = [
    CsvFile("zero-bytes", b"", False),
    CsvFile("only-whitespace", b"  \r\n\r\n \t\r\n", False),
    CsvFile("header-only", _text(HEADER), False),
    CsvFile("binary-png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), False),
    CsvFile(
        "nul-bytes-in-text", _text(HEADER) + b"ana@bluefin-foods.com,A\x00na,L,employee\r\n", False
    ),
    CsvFile(
        "latin1-not-utf8",
        HEADER.encode() + "müller@bluefin-foods.com,Jörg,Müller,employee\r\n".encode("latin-1"),
        False,
    ),
    CsvFile(
        "invalid-utf8-sequence",
        _text(HEADER) + b"x@bluefin-foods.com,\xc3\x28,L,employee\r\n",
        False,
    ),
    CsvFile("utf16-without-bom", (HEADER + ROW).encode("utf-16-le"), False),
    CsvFile("utf32-with-bom", (HEADER + ROW).encode("utf-32"), False),
    CsvFile("gzip-compressed", b"\x1f\x8b\x08\x00" + b"\x00" * 60, False),
    CsvFile("missing-email-column", _text("first_name,last_name\r\n", "Ana,Lima\r\n"), False),
    CsvFile(
        "pipe-delimited", _text("email|first_name\r\n", "ana@bluefin-foods.com|Ana\r\n"), False
    ),
    CsvFile(
        "too-many-columns",
        _text(
            ",".join(f"c{i}" for i in range(400)) + ",email\r\n",
            ",".join("v" for _ in range(400)) + ",a@b.co\r\n",
        ),
        False,
    ),
    CsvFile("header-name-huge", _text("email," + "h" * 100_000 + "\r\n", "a@b.co,x\r\n"), True),
    CsvFile(
        "unclosed-quote-huge-line", _text(HEADER, '"' + "x" * (5 * 1024 * 1024) + "\r\n"), False
    ),
    CsvFile(
        "html-page-not-csv", _text("<!doctype html><html><body>", SQL_ISH, "</body></html>"), False
    ),
    # Readable files: the file is accepted, the rows are judged one by one by the import.
    CsvFile("utf8-bom", codecs.BOM_UTF8 + _text(HEADER, ROW), True),
    CsvFile("utf16-with-bom", (HEADER + ROW).encode("utf-16"), True),
    CsvFile("semicolon-delimited", _text(HEADER.replace(",", ";"), ROW.replace(",", ";")), True),
    CsvFile("tab-delimited", _text(HEADER.replace(",", "\t"), ROW.replace(",", "\t")), True),
    CsvFile(
        "duplicate-headers", _text("email,email,first_name\r\n", "a@b.co,c@d.co,Ana\r\n"), True
    ),
    CsvFile(
        "formula-injection",
        _text(HEADER, "=cmd|' /C calc'!A0,=HYPERLINK(\"http://x\"),@SUM(1+1),employee\r\n", ROW),
        True,
    ),
    CsvFile(
        "html-script-names",
        _text(HEADER, f"html@bluefin-foods.com,{HTML_NAME},x,employee\r\n"),
        True,
    ),
    CsvFile(
        "sql-ish-values",
        _text(HEADER, f'sql@bluefin-foods.com,"{SQL_ISH.replace(chr(34), "")}",x,employee\r\n'),
        True,
    ),
    CsvFile(
        "ragged-rows",
        _text(
            HEADER, "a@bluefin-foods.com,A\r\n", "b@bluefin-foods.com,B,C,employee,extra,extra\r\n"
        ),
        True,
    ),
    CsvFile(
        "bad-emails-and-types",
        _text(HEADER, "not-an-email,A,B,employee\r\n", "c@bluefin-foods.com,C,D,alien\r\n"),
        True,
    ),
    CsvFile(
        "quoted-line-breaks",
        _text(HEADER, 'q@bluefin-foods.com,"Line\r\nbreak",x,employee\r\n'),
        True,
    ),
    CsvFile(
        "old-mac-line-endings", _text(HEADER.replace("\r\n", "\r"), ROW.replace("\r\n", "\r")), True
    ),
    CsvFile(
        "huge-cell-1mb",
        _text(HEADER, "big@bluefin-foods.com," + "y" * 1_000_000 + ",x,employee\r\n"),
        True,
    ),
]


def csv_cases(csrf: str, api_headers: dict[str, str]) -> list[Case]:
    cases = []
    for file in FILES:
        cases += [
            Case(
                f"csv api-raw {file.name}",
                "POST",
                "/api/v1/contacts/import",
                {"content": file.content, "headers": {**api_headers, "content-type": "text/csv"}},
                may_accept=file.readable,
            ),
            Case(
                f"csv api-multipart {file.name}",
                "POST",
                "/api/v1/contacts/import",
                {
                    "files": {"file": ("people.csv", file.content, "text/csv")},
                    "headers": api_headers,
                },
                may_accept=file.readable,
            ),
            Case(
                f"csv upload-form {file.name}",
                "POST",
                "/contacts/import",
                {
                    "data": {"_csrf_token": csrf},
                    "files": {"file": ("people.csv", file.content, "text/csv")},
                },
                may_accept=file.readable or file.name in NEEDS_MAPPING,
                html=True,
            ),
        ]
    odd_requests = [
        Case(
            "csv api-multipart no-file-field",
            "POST",
            "/api/v1/contacts/import",
            {
                "data": {"mapping": "{}"},
                "files": {"other": ("x.csv", b"a", "text/csv")},
                "headers": api_headers,
            },
        ),
        Case(
            "csv api mapping-not-json",
            "POST",
            "/api/v1/contacts/import",
            {
                "content": HEADER + ROW,
                "params": {"mapping": "{nope"},
                "headers": {**api_headers, "content-type": "text/csv"},
            },
        ),
        Case(
            "csv api mapping-to-unknown-field",
            "POST",
            "/api/v1/contacts/import",
            {
                "content": HEADER + ROW,
                "params": {"mapping": '{"email": "password_hash"}'},
                "headers": {**api_headers, "content-type": "text/csv"},
            },
        ),
        Case(
            "csv api entity-type-html",
            "POST",
            "/api/v1/contacts/import",
            {
                "content": "email\r\nz@bluefin-foods.com\r\n",
                "params": {"entity_type": HTML_NAME},
                "headers": {**api_headers, "content-type": "text/csv"},
            },
        ),
        Case(
            "csv upload-form filename-path-trick",
            "POST",
            "/contacts/import",
            {
                "data": {"_csrf_token": csrf},
                "files": {"file": ("../../../etc/passwd", b"", "text/csv")},
            },
            html=True,
        ),
        Case(
            "csv upload-form no-file",
            "POST",
            "/contacts/import",
            {"data": {"_csrf_token": csrf}},
            html=True,
        ),
    ]
    return cases + odd_requests


async def test_hostile_csv_files_are_refused_whole_or_imported_row_by_row(client, sandbox):
    world = await build_world(client, sandbox)
    cases = csv_cases(await csrf_token(client), world.api_headers)
    assert len(cases) >= 90, len(cases)

    failures = await run_cases(client, cases, sandbox)

    assert not failures, report(failures, len(cases))


@pytest.mark.parametrize("name", sorted(NEEDS_MAPPING))
async def test_an_upload_without_an_email_column_cannot_start_until_one_is_chosen(client, name):
    await log_in(client, await make_organisation())
    file = next(f for f in FILES if f.name == name)
    import_id = import_id_from(await upload_csv(client, file.content))
    page = soup(await client.get(f"/contacts/import/{import_id}"))
    fields = {
        select["name"]: (select.find("option", selected=True) or select.find("option"))["value"]
        for select in page.select("form select[name]")
    }

    started = await post_form(
        client, f"/contacts/import/{import_id}", {**fields, "action": "import"}
    )

    assert started.status_code == 400
    assert (
        "email"
        in " ".join(
            e.get_text() for e in soup(started).select("[role=alert], .field-error")
        ).lower()
    )
    imported = await ContactImport.select().where(ContactImport.id == import_id).first()
    assert imported["status"] == "uploaded"
    assert await Contact.count() == 0


SPREADSHEET_FORMULA_STARTS = ("=", "+", "-", "@")


async def test_refused_rows_download_without_formulas_a_spreadsheet_would_run(client, sandbox):
    owner = await make_organisation()
    await log_in(client, owner)
    formulas = next(f for f in FILES if f.name == "formula-injection")
    response = await client.post(
        "/api/v1/contacts/import",
        content=formulas.content,
        headers={**bearer(await make_token(owner)), "content-type": "text/csv"},
    )
    assert response.status_code == 202, response.text
    import_id = response.json()["import_id"]
    assert (await finished(import_id))["rejected_count"] == 1

    download = await client.get(f"/contacts/import/{import_id}/rejected.csv")

    cells = [
        cell for row in csv.reader(io.StringIO(download.text.lstrip("\ufeff"))) for cell in row
    ]
    assert "'=cmd|' /C calc'!A0" in cells  # kept, as text
    assert not [cell for cell in cells if cell.startswith(SPREADSHEET_FORMULA_STARTS)], cells
