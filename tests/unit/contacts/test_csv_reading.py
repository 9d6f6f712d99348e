"""Reading CSV text piece by piece gives exactly what reading it whole gives."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.contacts.csv_reader import (
    CsvFileProblem,
    RecordReader,
    TextDecoder,
    analyse,
    detect_delimiter,
    detect_encoding,
)

cells = st.text(alphabet='ab ,;\t"\n\ré€', max_size=8)
rows = st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=12)


def _whole(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [fields for fields in reader if any(field.strip() for field in fields)]


@settings(max_examples=300, deadline=None)
@given(
    rows=rows,
    delimiter=st.sampled_from([",", ";", "\t"]),
    ending=st.sampled_from(["\n", "\r\n"]),
    cuts=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=50),
)
def test_records_are_the_same_however_the_text_is_cut(rows, delimiter, ending, cuts):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=ending).writerows(rows)
    text = buffer.getvalue()
    reader, got, position = RecordReader(delimiter), [], 0
    for size in cuts * (len(text) // max(1, sum(cuts)) + 1):
        got += [fields for _, fields in reader.feed(text[position : position + size])]
        position += size
        if position >= len(text):
            break
    got += [fields for _, fields in reader.finish()]

    assert got == _whole(text, delimiter)


def test_records_know_the_line_they_start_on():
    reader = RecordReader(",")
    text = 'a,b\n\n"multi\nline",x\r\nlast,y'

    records = reader.feed(text) + reader.finish()

    assert [line for line, _ in records] == [1, 3, 5]


def test_a_character_split_between_two_pieces_is_decoded_whole():
    decoder = TextDecoder("utf-8")
    encoded = "Zoë".encode()

    assert decoder.decode(encoded[:3]) + decoder.decode(encoded[3:], final=True) == "Zoë"


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        (codecs.BOM_UTF8 + b"Email", "utf-8-sig"),
        (codecs.BOM_UTF16_LE + b"E\x00", "utf-16"),
        (codecs.BOM_UTF16_BE + b"\x00E", "utf-16"),
        (b"Email", "utf-8"),
    ],
)
def test_the_encoding_comes_from_the_byte_order_mark(head, encoding):
    assert detect_encoding(head) == encoding


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("email,name\na@x.co,Ada\n", ","),
        ('email;name;note\na@x.co;Ada;"1,2,3"\nb@x.co;Bo;"4,5"\n', ";"),
        ("email\tname\na@x.co\tAda, Countess\n", "\t"),
        ("email\na@x.co\n", ","),
    ],
    ids=["comma", "semicolon-with-commas-in-quotes", "tab-with-comma-in-value", "one-column"],
)
def test_the_delimiter_is_the_one_that_splits_lines_consistently(sample, delimiter):
    assert detect_delimiter(sample) == delimiter


def test_an_unclosed_quote_is_reported_instead_of_reading_the_whole_file_as_one_field():
    text = 'Email,Note\na@x.co,"never closed\n' + "more text\n" * 20_000

    with pytest.raises(CsvFileProblem, match="Line 2"):
        analyse(io.BytesIO(text.encode()).read)


def test_analysis_counts_rows_below_the_header():
    shape = analyse(io.BytesIO(b"Email,\n\na@x.co,1\nb@x.co,2\n").read)

    assert (shape.header, shape.rows, shape.delimiter) == (["Email", "Column 2"], 2, ",")


def test_a_header_with_hundreds_of_columns_is_refused():
    header = ",".join(f"c{n}" for n in range(301))

    with pytest.raises(CsvFileProblem, match="at most 300"):
        analyse(io.BytesIO(f"{header}\n{header}\n".encode()).read)
