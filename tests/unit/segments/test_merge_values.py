"""Mapping a contact onto merge fields: Mailchimp's formats, checked before sending."""

from __future__ import annotations

import datetime

import pytest

from app.domain.segments.merge_values import MergeFieldSpec, coerce, merge_values, payload_hash


def spec(kind: str, **kw) -> MergeFieldSpec:
    return MergeFieldSpec(tag=kw.pop("tag", "F"), name=kw.pop("name", "Field"), type=kind, **kw)


@pytest.mark.parametrize(
    ("value", "date_format", "expected"),
    [
        ("2024-03-05", "YYYY-MM-DD", "2024-03-05"),
        ("2024/03/05", "YYYY-MM-DD", "2024-03-05"),
        ("05/03/2024", "DD/MM/YYYY", "2024-03-05"),
        ("03/05/2024", "MM/DD/YYYY", "2024-03-05"),
        (datetime.date(2024, 3, 5), None, "2024-03-05"),
    ],
)
def test_dates_are_read_in_the_audience_s_format_and_sent_unambiguously(
    value, date_format, expected
):
    assert coerce(spec("date", date_format=date_format), value) == (expected, None)


def test_a_date_that_is_not_one_is_explained():
    value, problem = coerce(spec("date", date_format="DD/MM/YYYY"), "next tuesday")
    assert value is None
    assert "not a date (DD/MM/YYYY)" in problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [("07/14", "07/14"), ("7/4", "07/04"), ("1990-07-14", "07/14"), ("02/29", "02/29")],
)
def test_birthdays_are_month_and_day(value, expected):
    assert coerce(spec("birthday"), value) == (expected, None)


@pytest.mark.parametrize("value", ["13/01", "02/30", "tomorrow"])
def test_impossible_birthdays_are_refused(value):
    assert coerce(spec("birthday"), value)[1] is not None


def test_an_address_needs_street_city_state_and_zip():
    full = {
        "addr1": "1 Main St",
        "city": "Springfield",
        "state": "IL",
        "zip": "62701",
        "country": "US",
    }
    assert coerce(spec("address"), full) == (full, None)
    value, problem = coerce(spec("address"), {"addr1": "1 Main St", "city": "Springfield"})
    assert value is None
    assert problem == "Incomplete address: missing state, zip."


def test_choices_match_case_insensitively_and_send_the_canonical_choice():
    dept = spec("dropdown", choices=("Engineering", "Sales"))
    assert coerce(dept, "engineering") == ("Engineering", None)
    assert "not one of the choices" in coerce(dept, "Finance")[1]


def test_numbers_urls_and_zips():
    assert coerce(spec("number"), "42") == (42, None)
    assert coerce(spec("number"), "4.5") == (4.5, None)
    assert coerce(spec("number"), "many")[1] is not None
    assert coerce(spec("url"), "https://acme.io/x") == ("https://acme.io/x", None)
    assert coerce(spec("url"), "acme dot io")[1] is not None
    assert coerce(spec("zip"), "02134") == ("02134", None)
    assert coerce(spec("zip"), "SW1A 1AA")[1] is not None


def test_long_text_is_cut_at_255_bytes_without_breaking_a_character():
    value, problem = coerce(spec("text"), "é" * 200)
    assert problem is None
    assert len(value.encode()) <= 255
    assert value == "é" * 127


def test_required_fields_left_empty_are_problems_and_optional_ones_are_skipped():
    specs = [
        spec("text", tag="FNAME", name="First name"),
        spec("dropdown", tag="DEPT", name="Department", required=True, choices=("Sales",)),
        spec("date", tag="START", name="Start", date_format="YYYY-MM-DD"),
    ]
    contact = {"first_name": "Ada", "department": "", "attributes": {"start": "2020-01-02"}}
    mapping = {"FNAME": "first_name", "DEPT": "department", "START": "attribute:start"}

    values, problems = merge_values(contact, mapping, specs)

    assert values == {"FNAME": "Ada", "START": "2020-01-02"}
    assert [(p.tag, p.message) for p in problems] == [("DEPT", "Department is required but empty.")]


def test_the_payload_hash_changes_with_what_is_sent_and_only_with_that():
    first = payload_hash("Ada@Acme.io", {"FNAME": "Ada"}, "subscribed")
    assert first == payload_hash("ada@acme.io ", {"FNAME": "Ada"}, "subscribed")
    assert first != payload_hash("ada@acme.io", {"FNAME": "Adah"}, "subscribed")
    assert first != payload_hash("ada@acme.io", {"FNAME": "Ada"}, "pending")
