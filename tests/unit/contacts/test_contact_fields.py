"""Contact field rules, column guesses and the search keys, without a database."""

from __future__ import annotations

import pytest

from app.domain.contacts.csv_mapping import RowMapper, guess_mapping, mapping_problems
from app.domain.contacts.fields import (
    attributes_from_text,
    clean_contact,
    name_keys,
    parse_entity_type,
)
from app.domain.contacts.search import normalise_query


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("E-mail", "email"),
        ("Email Address", "email"),
        ("work_email", "email"),
        ("First Name", "first_name"),
        ("Given name", "first_name"),
        ("Surname", "last_name"),
        ("Dept", "department"),
        ("Office", "location"),
        ("Employee ID", "external_id"),
        ("Contract type", "employment_type"),
        ("Employment Status", "employment_status"),
        ("Organization", "company"),
        ("Mobile", "phone"),
        ("Cost centre", "attribute:Cost centre"),
        ("", "ignore"),
    ],
)
def test_columns_are_guessed_from_common_header_names(header, target):
    assert guess_mapping([header]) == {"0": target}


def test_a_second_email_like_column_is_kept_as_an_attribute():
    assert guess_mapping(["Email", "Work email"]) == {"0": "email", "1": "attribute:Work email"}


def test_a_mapping_needs_an_email_column_and_each_field_once():
    problems = mapping_problems({"0": "first_name", "1": "first_name"}, ["A", "B"])

    assert problems == {
        "1": "“A” is already mapped to this.",
        "mapping": "Choose the column that holds each contact's email address.",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Employee", "employee"), (" vendors ", "vendor"), ("USER", "user"), ("robot", None)],
)
def test_entity_types_are_read_generously(value, expected):
    assert parse_entity_type(value) == expected


def test_clean_contact_normalises_and_explains():
    clean, errors = clean_contact(
        {"email": " Ada@NORTHWIND.co ", "entity_type": "employees", "first_name": "  Ada   L. "}
    )
    assert errors == {}
    assert clean["email"] == "Ada@northwind.co"
    assert clean["first_name"] == "Ada L."
    _, errors = clean_contact({"email": "", "entity_type": ""})
    assert set(errors) == {"email", "entity_type"}


def test_name_keys_serve_both_orders_and_fall_back_to_the_email():
    assert name_keys("Ada", "Lovelace", "ada@x.co") == {
        "sort_name": "lovelace ada",
        "search_name": "ada lovelace",
    }
    assert name_keys("", "", "Ops@X.co") == {"sort_name": "ops@x.co", "search_name": "ops@x.co"}


def test_a_search_is_normalised_like_the_keys():
    assert normalise_query("  Lovelace,   ADA ") == "lovelace ada"


def test_attribute_lines_need_a_name_and_a_colon():
    assert attributes_from_text("Cost centre: 4410\n\nPlan:pro") == (
        {"Cost centre": "4410", "Plan": "pro"},
        None,
    )
    assert "Line 1" in attributes_from_text("no colon here")[1]


def test_a_row_with_empty_attribute_cells_marks_them_for_removal():
    mapper = RowMapper({"0": "email", "1": "attribute:Plan"}, 2, "employee")

    values, reason = mapper.convert(["a@x.co", ""])

    assert reason is None
    assert values.attributes == {"Plan": None}
    assert values.type_given is False
