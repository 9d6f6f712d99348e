"""Which CSV column becomes which contact field, and one CSV row → contact values or a reason.

A mapping is {"<column index>": target}; a target is a field ("email", "first_name", …),
"attribute:<name>" or "ignore". Guesses come from the header ("E-mail", "Email Address" → email).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.contacts.fields import (
    ATTRIBUTE_KEY_LIMIT,
    LABELS,
    attributes_problem,
    clean_contact,
)

IGNORE = "ignore"
ATTRIBUTE = "attribute:"
FIELD_TARGETS = tuple(LABELS)
SYNONYMS = {
    "email": "email mail emailaddress mailaddress workemail businessemail primaryemail emailid",
    "first_name": "firstname first givenname forename given preferredname",
    "last_name": "lastname last surname familyname",
    "external_id": "externalid id employeeid employeenumber employeeno staffid staffnumber "
    "personnelnumber vendorid vendornumber supplierid userid personid externalreference",
    "entity_type": "entitytype type contacttype kind",
    "department": "department dept team division businessunit",
    "location": "location office city site worklocation officelocation",
    "employment_type": "employmenttype employment contracttype worktype employmentcategory",
    "employment_status": "employmentstatus status employeestatus workerstatus",
    "company": "company companyname organisation organization vendor vendorname supplier employer",
    "phone": "phone phonenumber telephone tel mobile mobilephone cell cellphone workphone",
}
_SYNONYM_FIELD = {word: field for field, words in SYNONYMS.items() for word in words.split()}


def _squash(header: str) -> str:
    return re.sub(r"[\W_]+", "", header.lower())


def guess_target(header: str) -> str:
    name = header.strip()
    if not name or re.fullmatch(r"Column \d+", name):
        return IGNORE
    squashed = _squash(name)
    return _SYNONYM_FIELD.get(squashed) or ATTRIBUTE + name[:ATTRIBUTE_KEY_LIMIT]


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Each field goes to the first column that looks like it; other columns keep their data
    as attributes named after their header."""
    mapping, taken = {}, set()
    for index, name in enumerate(header):
        target = guess_target(name)
        if target in FIELD_TARGETS and target in taken:
            target = ATTRIBUTE + name.strip()[:ATTRIBUTE_KEY_LIMIT]
        taken.add(target)
        mapping[str(index)] = target
    return mapping


def target_label(target: str) -> str:
    if target == IGNORE:
        return "Ignore"
    if target.startswith(ATTRIBUTE):
        return f"Attribute: {target[len(ATTRIBUTE) :]}"
    return LABELS.get(target, target)


def mapping_problems(mapping: Mapping[str, str], header: list[str]) -> dict[str, str]:
    """Problems with a mapping as a whole, keyed by column index ("mapping" for the file)."""
    problems: dict[str, str] = {}
    seen: dict[str, str] = {}
    for index, target in mapping.items():
        if not index.isdigit() or int(index) >= len(header):
            problems[index] = "There is no such column in the file."
            continue
        if target.startswith(ATTRIBUTE):
            name = target[len(ATTRIBUTE) :].strip()
            if not name or len(name) > ATTRIBUTE_KEY_LIMIT:
                problems[index] = "Name the attribute (at most 100 characters)."
                continue
        elif target not in FIELD_TARGETS and target != IGNORE:
            problems[index] = f"“{target[:40]}” is not a contact field."
            continue
        if target != IGNORE and target in seen:
            problems[index] = f"“{header[int(seen[target])]}” is already mapped to this."
        seen.setdefault(target, index)
    if "email" not in seen:
        problems["mapping"] = "Choose the column that holds each contact's email address."
    return problems


def resolve_overrides(overrides: Mapping[str, Any], header: list[str]) -> dict[str, str]:
    """An API caller's {"<header name or column index>": target} as a column-index mapping."""
    resolved: dict[str, str] = {}
    for key, target in overrides.items():
        if not isinstance(target, str):
            raise ValueError(f"the target for “{key}” must be a string")
        if key in header:
            index = header.index(key)
        elif key.isdigit() and int(key) < len(header):
            index = int(key)
        else:
            raise ValueError(f"the file has no column “{key}”")
        target = target.strip()
        if target in ("attribute", ATTRIBUTE):
            target = ATTRIBUTE + header[index]
        resolved[str(index)] = target
    return resolved


@dataclass(frozen=True, slots=True)
class RowValues:
    values: dict[str, Any]  # clean contact fields from mapped columns
    attributes: dict[str, Any]  # attribute → value, None for an empty cell (removes it)
    type_given: bool  # False when the default type stood in for a missing one


class RowMapper:
    """Turns a CSV row into contact values under one mapping, or says why it can't."""

    def __init__(self, mapping: Mapping[str, str], width: int, default_entity_type: str) -> None:
        self.width = width
        self.default_entity_type = default_entity_type
        self.columns = sorted((int(i), target) for i, target in mapping.items() if target != IGNORE)

    def convert(self, fields: list[str]) -> tuple[RowValues | None, str | None]:
        extra = [f for f in fields[self.width :] if f.strip()]
        if extra:
            return None, (
                f"This line has {len(fields)} values but the header has {self.width} columns "
                "(an unquoted comma or semicolon inside a value?)."
            )
        raw: dict[str, str] = {}
        attributes: dict[str, Any] = {}
        for index, target in self.columns:
            cell = fields[index] if index < len(fields) else ""
            if target.startswith(ATTRIBUTE):
                attributes[target[len(ATTRIBUTE) :]] = cell.strip() or None
            else:
                raw[target] = cell
        type_given = bool(raw.get("entity_type", "").strip())
        if not type_given:
            raw["entity_type"] = self.default_entity_type
        if not raw.get("email", "").strip():
            return None, "Email is missing."
        clean, errors = clean_contact(raw)
        if errors:
            field, message = next(iter(errors.items()))
            if field == "entity_type":
                return None, message
            return None, f"{LABELS[field]}: {message}"
        if problem := attributes_problem({k: v for k, v in attributes.items() if v is not None}):
            return None, problem
        return RowValues(clean, attributes, type_given), None
