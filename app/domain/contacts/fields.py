"""A contact's fields and the rules every way in (form, API, CSV) checks them against."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.domain.contacts.tables import EntityType
from app.lib.emails import email_problem, normalise_email

LABELS = {
    "email": "Email",
    "entity_type": "Type",
    "external_id": "External ID",
    "first_name": "First name",
    "last_name": "Last name",
    "department": "Department",
    "location": "Location",
    "employment_type": "Employment type",
    "employment_status": "Employment status",
    "company": "Company",
    "phone": "Phone",
}
TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "department": 200,
    "location": 200,
    "employment_type": 200,
    "employment_status": 200,
    "company": 200,
    "phone": 50,
}
FILTERS = ("entity_type", "department", "location", "employment_type", "employment_status")
ENTITY_TYPES = tuple(t.value for t in EntityType)
EXTERNAL_ID_LIMIT = 255
MAX_ATTRIBUTES = 100
ATTRIBUTE_KEY_LIMIT = 100
ATTRIBUTES_SIZE_LIMIT = 16_000
SCALARS = (str, int, float, bool, type(None))


def parse_entity_type(value: str) -> str | None:
    """ "Employee", "employees", " vendor " → the canonical value; None when it is none of them."""
    word = value.strip().lower()
    if word.endswith("s") and word[:-1] in ENTITY_TYPES:
        word = word[:-1]
    return word if word in ENTITY_TYPES else None


def entity_type_problem(value: str) -> str:
    if not value.strip():
        return "Choose employee, vendor or user."
    return f"“{value.strip()[:40]}” is not a type: use employee, vendor or user."


def attributes_problem(attributes: Any) -> str | None:
    if not isinstance(attributes, Mapping):
        return "Attributes must be an object of names and values."
    if len(attributes) > MAX_ATTRIBUTES:
        return f"Use at most {MAX_ATTRIBUTES} attributes."
    for key, value in attributes.items():
        if not isinstance(key, str) or not key.strip():
            return "Every attribute needs a name."
        if len(key) > ATTRIBUTE_KEY_LIMIT:
            return f"Attribute names have at most {ATTRIBUTE_KEY_LIMIT} characters."
        if not isinstance(value, SCALARS):
            return f"“{key}” must be text, a number, true/false or empty (not a list or object)."
    if len(json.dumps(attributes, ensure_ascii=False)) > ATTRIBUTES_SIZE_LIMIT:
        return "Attributes are too large (16 KB at most)."
    return None


def clean_contact(values: Mapping[str, Any], *, partial: bool = False) -> tuple[dict, dict]:
    """(clean values, {field: problem}). With `partial`, only the fields given are checked."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if not partial or "email" in values:
        email = str(values.get("email") or "").strip()
        if problem := email_problem(email):
            errors["email"] = problem
        else:
            clean["email"] = normalise_email(email)
    if not partial or "entity_type" in values:
        raw = str(values.get("entity_type") or "")
        if entity_type := parse_entity_type(raw):
            clean["entity_type"] = entity_type
        else:
            errors["entity_type"] = entity_type_problem(raw)
    if "external_id" in values:
        external_id = str(values.get("external_id") or "").strip()
        if len(external_id) > EXTERNAL_ID_LIMIT:
            errors["external_id"] = f"Use at most {EXTERNAL_ID_LIMIT} characters."
        clean["external_id"] = external_id or None
    for field, limit in TEXT_LIMITS.items():
        if field in values:
            text = " ".join(str(values.get(field) or "").split())
            if len(text) > limit:
                errors[field] = f"Use at most {limit} characters."
            clean[field] = text
    if "attributes" in values:
        attributes = values.get("attributes") or {}
        if problem := attributes_problem(attributes):
            errors["attributes"] = problem
        else:
            clean["attributes"] = {k.strip(): v for k, v in attributes.items()}
    return clean, errors


def name_keys(first_name: str, last_name: str, email: str) -> dict[str, str]:
    """The derived sort and search keys of a contact (see Contact.sort_name)."""
    first, last = first_name.lower().strip(), last_name.lower().strip()
    if not first and not last:
        key = email.lower()[:255]
        return {"sort_name": key, "search_name": key}
    return {
        "sort_name": " ".join(p for p in (last, first) if p)[:255],
        "search_name": " ".join(p for p in (first, last) if p)[:255],
    }


def display_name(contact: Mapping[str, Any]) -> str:
    name = " ".join(p for p in (contact.get("first_name"), contact.get("last_name")) if p)
    return name or str(contact.get("email") or "")


def attributes_from_text(text: str) -> tuple[dict[str, str], str | None]:
    """The form's "Name: value" lines as attributes, or a problem naming the bad line."""
    attributes: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            return {}, f"Line {number} needs a name, a colon and a value, like “Cost centre: 4410”."
        attributes[key.strip()] = value.strip()
    return attributes, attributes_problem(attributes)


def attributes_to_text(attributes: Mapping[str, Any]) -> str:
    def show(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return "\n".join(f"{key}: {show(value)}" for key, value in attributes.items())
