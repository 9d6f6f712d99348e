"""From a contact to the merge-field values an audience accepts, or the reasons it can't.

Mailchimp validates merge fields on its side and refuses the member; checking here first means
an invalid row costs no API call and the person sees why before any sync. The rules follow
Mailchimp's documented formats (../shared/mailchimp/FACTS.md §2.5).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

TEXT_LIMIT = 255  # bytes, after which Mailchimp truncates text values
ADDRESS_PARTS = ("addr1", "city", "state", "zip")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_ZIP = re.compile(r"^\d{5}$")

# Contact columns a merge field can take its value from; anything else is "attribute:<name>".
CONTACT_FIELDS = {
    "first_name": "First name",
    "last_name": "Last name",
    "department": "Department",
    "location": "Location",
    "employment_type": "Employment type",
    "employment_status": "Employment status",
    "company": "Company",
    "phone": "Phone",
    "external_id": "External ID",
    "entity_type": "Contact type",
}
ATTRIBUTE_PREFIX = "attribute:"


@dataclass(frozen=True, slots=True)
class MergeFieldSpec:
    tag: str
    name: str
    type: str
    required: bool = False
    date_format: str | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Problem:
    tag: str
    message: str


def source_problem(source: str) -> str | None:
    """Why `source` cannot feed a merge field, or None."""
    if source in CONTACT_FIELDS:
        return None
    if source.startswith(ATTRIBUTE_PREFIX) and source[len(ATTRIBUTE_PREFIX) :].strip():
        return None
    return "Choose a contact field or an attribute."


def contact_value(contact: Mapping[str, Any], source: str) -> Any:
    if source.startswith(ATTRIBUTE_PREFIX):
        attributes = contact.get("attributes") or {}
        if isinstance(attributes, str):
            attributes = json.loads(attributes or "{}")
        return attributes.get(source[len(ATTRIBUTE_PREFIX) :])
    return contact.get(source)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == {}


def _truncate(text: str) -> str:
    encoded = text.encode()
    if len(encoded) <= TEXT_LIMIT:
        return text
    return encoded[:TEXT_LIMIT].decode(errors="ignore")


def _as_date(value: Any, date_format: str | None) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    day_first = (date_format or "").upper().startswith("DD")
    patterns = ["%Y-%m-%d", "%Y/%m/%d"] + (
        ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"] if day_first else ["%m/%d/%Y", "%m-%d-%Y"]
    )
    for pattern in patterns:
        try:
            return datetime.datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
    return None


def _birthday(value: Any) -> str | None:
    if isinstance(value, datetime.date):
        return value.strftime("%m/%d")
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})", text)
    if match:
        month, day = int(match[1]), int(match[2])
    else:
        parsed = _as_date(text, "YYYY-MM-DD")
        if parsed is None:
            return None
        month, day = parsed.month, parsed.day
    try:
        datetime.date(2000, month, day)  # a leap year, so 02/29 is a valid birthday
    except ValueError:
        return None
    return f"{month:02d}/{day:02d}"


def _address(value: Any) -> tuple[dict[str, str] | None, str | None]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None, "An address needs street, city, state and zip; this is plain text."
    if not isinstance(value, Mapping):
        return None, "An address needs street, city, state and zip."
    address = {k: str(v).strip() for k, v in value.items() if v is not None}
    missing = [part for part in ADDRESS_PARTS if not address.get(part)]
    if missing:
        return None, f"Incomplete address: missing {', '.join(missing)}."
    keep = (*ADDRESS_PARTS, "addr2", "country")
    return {k: address[k] for k in keep if address.get(k)}, None


def coerce(spec: MergeFieldSpec, value: Any) -> tuple[Any, str | None]:
    """The value Mailchimp will accept for `spec`, or None and the reason it won't."""
    kind = spec.type
    if kind == "address":
        return _address(value)
    if kind == "number":
        try:
            number = float(str(value).strip())
        except ValueError:
            return None, f"{value!r} is not a number."
        return (int(number) if number.is_integer() else number), None
    if kind == "date":
        parsed = _as_date(value, spec.date_format)
        if parsed is None:
            return None, f"{str(value)[:40]!r} is not a date ({spec.date_format or 'YYYY-MM-DD'})."
        return parsed.isoformat(), None
    if kind == "birthday":
        birthday = _birthday(value)
        return (
            (birthday, None)
            if birthday
            else (None, f"{str(value)[:40]!r} is not a birthday (MM/DD).")
        )
    text = str(value).strip()
    if kind in ("dropdown", "radio"):
        match = next((c for c in spec.choices if c.lower() == text.lower()), None)
        if match is None:
            return None, f"{text[:40]!r} is not one of the choices ({', '.join(spec.choices)})."
        return match, None
    if kind in ("url", "imageurl") and not _URL.match(text):
        return None, f"{text[:60]!r} is not a web address (http:// or https://)."
    if kind == "zip" and not _ZIP.match(text):
        return None, f"{text[:20]!r} is not a 5-digit zip code."
    return _truncate(text), None


def merge_values(
    contact: Mapping[str, Any], mapping: Mapping[str, str], specs: Iterable[MergeFieldSpec]
) -> tuple[dict[str, Any], list[Problem]]:
    """All mapped values, coerced, plus every problem (a required field left empty included)."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for spec in specs:
        source = mapping.get(spec.tag)
        raw = contact_value(contact, source) if source else None
        if _blank(raw):
            if spec.required:
                problems.append(
                    Problem(spec.tag, f"{spec.name or spec.tag} is required but empty.")
                )
            continue
        value, problem = coerce(spec, raw)
        if problem:
            problems.append(Problem(spec.tag, problem))
        else:
            values[spec.tag] = value
    return values, problems


def payload_hash(email: str, merge_fields: Mapping[str, Any], status_if_new: str) -> str:
    """A fingerprint of what we would send: equal hashes mean nothing to resend."""
    canonical = json.dumps(
        {"e": email.strip().lower(), "m": merge_fields, "s": status_if_new},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
