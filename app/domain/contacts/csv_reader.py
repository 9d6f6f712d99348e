"""Reading an uploaded CSV file piece by piece, so memory stays flat whatever its size.

Encoding: UTF-8 (with or without a byte-order mark) or UTF-16 with its mark; anything else is
refused with words a person can act on. Delimiter: comma, semicolon or tab, whichever splits
the first lines most consistently. Records: Python's csv module, fed whole records only, so a
quoted field with line breaks in it may cross the boundary between two pieces of the file.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

PIECE_BYTES = 1024 * 1024
DELIMITERS = (",", ";", "\t")
MAX_RECORD_CHARS = 4 * 1024 * 1024
MAX_COLUMNS = 300
MAX_COLUMN_NAME = 200
SNIFF_CHARS = 64 * 1024

NOT_UTF8 = (
    "This file isn't UTF-8 text{where}. In Excel choose “Save as… CSV UTF-8”; in Numbers or "
    "Google Sheets, export as CSV (they use UTF-8). Then upload it again."
)

Record = tuple[int, list[str]]  # (line number where the record starts, its fields)


class CsvFileProblem(Exception):
    """The file as a whole cannot be imported; the message says why, for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the codec reads the mark and picks the byte order
    return "utf-8"


class TextDecoder:
    """Bytes → text, across piece boundaries (a character may be split between two pieces)."""

    def __init__(self, encoding: str) -> None:
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._lines = 1

    def decode(self, piece: bytes, *, final: bool = False) -> str:
        try:
            text = self._decoder.decode(piece, final=final)
        except UnicodeDecodeError as exc:
            line = self._lines + exc.object[: exc.start].count(b"\n")
            raise CsvFileProblem(NOT_UTF8.format(where=f" (see line {line})")) from None
        if "\x00" in text:
            raise CsvFileProblem(
                "This file contains binary data: it isn't a CSV text file. "
                "Export your spreadsheet as CSV and upload that."
            )
        self._lines += text.count("\n")
        return text


class _Lines:
    """An iterator over lines that remembers how far the csv reader has read."""

    def __init__(self, lines: list[str]) -> None:
        self.lines, self.position, self.exhausted = lines, 0, False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.position >= len(self.lines):
            self.exhausted = True
            raise StopIteration
        self.position += 1
        return self.lines[self.position - 1]


class RecordReader:
    """Text in, complete records out. Blank lines are skipped."""

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self._pending = ""  # text after the last line break seen
        self._carry: list[str] = []  # whole lines of a record that is not finished yet
        self._next_line = 1

    def feed(self, text: str) -> list[Record]:
        buffer = self._pending + text
        # A trailing \r may be half of \r\n: keep it until the next piece arrives.
        end = len(buffer) - 1 if buffer.endswith("\r") else len(buffer)
        cut = max(buffer.rfind("\n", 0, end), buffer.rfind("\r", 0, end))
        if cut < 0:
            self._pending = buffer
            self._check_size(len(buffer))
            return []
        self._pending = buffer[cut + 1 :]
        return self._parse(self._carry + list(io.StringIO(buffer[: cut + 1], newline="")))

    def finish(self) -> list[Record]:
        lines = self._carry + list(io.StringIO(self._pending, newline=""))
        self._pending = ""
        return self._parse(lines, final=True)

    def _check_size(self, size: int) -> None:
        if size > MAX_RECORD_CHARS:
            raise CsvFileProblem(
                f"Line {self._next_line} is longer than 4 MB: a quoted field is probably "
                "never closed. Check the quotes around that line."
            )

    def _parse(self, lines: list[str], *, final: bool = False) -> list[Record]:
        source = _Lines(lines)
        reader = csv.reader(source, delimiter=self.delimiter, quotechar='"', doublequote=True)
        records: list[Record] = []
        consumed = 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise CsvFileProblem(_unreadable(self._next_line + consumed, exc)) from None
            if source.exhausted and not final:
                break  # the record goes on in the next piece: parse it again from its start
            if any(field.strip() for field in fields):
                records.append((self._next_line + consumed, fields))
            consumed = source.position
        self._carry = lines[consumed:]
        self._next_line += consumed
        self._check_size(sum(len(line) for line in self._carry))
        return records


def _unreadable(line: int, exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return (
            f'Line {line} has a value longer than 128 KB: a quote (") there is probably never '
            "closed. Check the quotes on that line."
        )
    return f"Line {line} can't be read as CSV ({exc})."


def detect_delimiter(sample: str) -> str:
    """The candidate that gives the header several columns and most lines the same width."""
    best, best_score = ",", (0, 0, 0)
    for delimiter in DELIMITERS:
        rows = []
        try:
            for fields in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
                if any(field.strip() for field in fields):
                    rows.append(len(fields))
                if len(rows) > 50:
                    break
        except csv.Error:
            continue
        if not rows:
            continue
        width = rows[0]
        score = (int(width > 1), sum(1 for n in rows[1:] if n == width), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass(frozen=True, slots=True)
class CsvShape:
    encoding: str
    delimiter: str
    header: list[str]
    rows: int


def column_names(header: list[str]) -> list[str]:
    if len(header) > MAX_COLUMNS:
        raise CsvFileProblem(
            f"The header line has {len(header)} columns; an import takes at most {MAX_COLUMNS}. "
            "Is it really the header, and is the file separated by commas, semicolons or tabs?"
        )
    return [
        name.strip()[:MAX_COLUMN_NAME] or f"Column {number}"
        for number, name in enumerate(header, start=1)
    ]


def _records(read: Callable[[], bytes], encoding: str, delimiter: str) -> Iterator[Record]:
    decoder, reader = TextDecoder(encoding), RecordReader(delimiter)
    while piece := read():
        yield from reader.feed(decoder.decode(piece))
    yield from reader.feed(decoder.decode(b"", final=True))
    yield from reader.finish()


def analyse(read: Callable[[int], bytes]) -> CsvShape:
    """Read a whole local file once (in a thread): its encoding, delimiter, header and row
    count, or the CsvFileProblem that stops it from being imported at all."""
    head = read(PIECE_BYTES)
    if not head.strip():
        raise CsvFileProblem("The file is empty.")
    encoding = detect_encoding(head)
    first_text = TextDecoder(encoding).decode(head[: SNIFF_CHARS * 2])
    sample = first_text[:SNIFF_CHARS]
    if len(head) >= SNIFF_CHARS * 2 and "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]  # whole lines only
    delimiter = detect_delimiter(sample)
    pieces = iter([head])
    records = _records(lambda: next(pieces, b"") or read(PIECE_BYTES), encoding, delimiter)
    header = next(records, None)
    if header is None:
        raise CsvFileProblem("The file is empty.")
    rows = sum(1 for _ in records)
    if rows == 0:
        raise CsvFileProblem("The file has a header line but no contacts below it.")
    return CsvShape(encoding, delimiter, column_names(header[1]), rows)


async def iter_records(
    pieces: AsyncIterator[bytes], *, encoding: str, delimiter: str
) -> AsyncIterator[Record]:
    """Every non-blank record of a stored file (the header first), piece by piece."""
    decoder, reader = TextDecoder(encoding), RecordReader(delimiter)
    async for piece in pieces:
        for record in reader.feed(decoder.decode(piece)):
            yield record
    for record in reader.feed(decoder.decode(b"", final=True)) + reader.finish():
        yield record
