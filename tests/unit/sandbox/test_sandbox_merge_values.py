"""Merge-field values are checked against the audience's field definitions, type by type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.mailchimp.sandbox.errors import ApiProblem
from app.mailchimp.sandbox.merge_fields import add_merge_field, validate_merge_values
from app.mailchimp.sandbox.state import Audience

ADDRESS = {"addr1": "4 Mill Lane", "city": "Leeds", "state": "West Yorkshire", "zip": "LS1 4AP"}


def audience_with(kind: str, **options) -> Audience:
    audience = Audience(
        id="a1b2c3d4e5",
        name="Staff",
        contact={},
        permission_reminder="",
        campaign_defaults={},
        email_type_option=False,
        date_created=datetime(2026, 1, 1, tzinfo=UTC),
    )
    add_merge_field(audience, {"tag": "FIELD", "name": "Field", "type": kind, "options": options})
    return audience


def clean(audience: Audience, value, *, current=None):
    return validate_merge_values(audience, {"FIELD": value}, current or {}, skip_required=False)[
        "FIELD"
    ]


@pytest.mark.parametrize(
    ("kind", "options", "value", "stored"),
    [
        ("text", {}, "  Ada  ", "Ada"),
        ("number", {}, 42, "42"),
        ("number", {}, "-3.5", "-3.5"),
        ("phone", {}, "+44 113 496 0000", "+44 113 496 0000"),
        ("date", {"date_format": "MM/DD/YYYY"}, "12/31/2024", "2024-12-31"),
        ("date", {"date_format": "DD/MM/YYYY"}, "31/12/2024", "2024-12-31"),
        ("date", {"date_format": "DD/MM/YYYY"}, "31-12-2024", "2024-12-31"),
        ("date", {"date_format": "MM/DD/YYYY"}, "2024-12-31", "2024-12-31"),
        ("date", {"date_format": "MM/DD/YYYY"}, "2024/12/31", "2024-12-31"),
        ("birthday", {"date_format": "MM/DD"}, "7/4", "07/04"),
        ("birthday", {"date_format": "MM/DD"}, "02/29", "02/29"),
        ("birthday", {"date_format": "DD/MM"}, "31/12", "31/12"),
        ("address", {}, ADDRESS, {**ADDRESS, "addr2": "", "country": ""}),
        ("url", {}, "https://fenwicktools.com/team", "https://fenwicktools.com/team"),
        (
            "imageurl",
            {},
            "https://cdn.fenwicktools.com/a.png",
            "https://cdn.fenwicktools.com/a.png",
        ),
        ("dropdown", {"choices": ["Sales", "Support"]}, "Support", "Support"),
        ("radio", {"choices": ["Yes", "No"]}, "No", "No"),
        ("zip", {}, "30308", "30308"),
    ],
)
def test_valid_values_are_stored_in_mailchimps_form(kind, options, value, stored):
    assert clean(audience_with(kind, **options), value) == stored


@pytest.mark.parametrize(
    ("kind", "options", "value"),
    [
        ("number", {}, "forty-two"),
        ("date", {"date_format": "MM/DD/YYYY"}, "31/12/2024"),
        ("date", {"date_format": "DD/MM/YYYY"}, "12/31/2024"),
        ("date", {"date_format": "MM/DD/YYYY"}, "2024-02-30"),
        ("date", {"date_format": "MM/DD/YYYY"}, "next tuesday"),
        ("birthday", {"date_format": "MM/DD"}, "1990-07-04"),
        ("birthday", {"date_format": "MM/DD"}, "13/01"),
        ("birthday", {"date_format": "DD/MM"}, "12/31"),
        ("address", {}, "4 Mill Lane, Leeds"),
        ("address", {}, {"addr1": "4 Mill Lane", "city": "Leeds"}),
        ("url", {}, "fenwicktools"),
        ("dropdown", {"choices": ["Sales", "Support"]}, "Legal"),
        ("radio", {"choices": ["Yes", "No"]}, "Maybe"),
        ("zip", {}, "3030"),
        ("text", {}, {"nested": "object"}),
    ],
)
def test_malformed_values_are_refused_naming_the_field(kind, options, value):
    with pytest.raises(ApiProblem) as refused:
        clean(audience_with(kind, **options), value)

    assert refused.value.status == 400
    assert refused.value.title == "Invalid Resource"
    assert refused.value.detail == "Your merge fields were invalid."
    assert [e["field"] for e in refused.value.errors] == ["FIELD"]


def test_text_is_cut_at_255_bytes():
    stored = clean(audience_with("text"), "é" * 200)  # 400 bytes in UTF-8

    assert len(stored.encode()) <= 255
    assert stored == "é" * 127


def test_a_required_field_must_have_a_value_unless_validation_is_skipped():
    audience = audience_with("text")
    audience.merge_fields[0].required = True

    with pytest.raises(ApiProblem) as refused:
        validate_merge_values(audience, {}, {}, skip_required=False)

    assert refused.value.errors == [{"field": "FIELD", "message": "Please enter a value"}]
    assert validate_merge_values(audience, {}, {}, skip_required=True) == {}


def test_skipping_validation_still_refuses_malformed_values():
    with pytest.raises(ApiProblem):
        validate_merge_values(audience_with("number"), {"FIELD": "many"}, {}, skip_required=True)


def test_a_required_field_already_filled_need_not_be_sent_again():
    audience = audience_with("text")
    audience.merge_fields[0].required = True

    assert validate_merge_values(audience, {}, {"FIELD": "kept"}, skip_required=False) == {
        "FIELD": "kept"
    }


def test_unknown_tags_are_ignored():
    assert (
        validate_merge_values(audience_with("text"), {"NOPE": "x"}, {}, skip_required=False) == {}
    )
