"""Merge fields: the audience's defaults, creating new ones, and validating member values."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from app.mailchimp.sandbox.errors import ApiProblem, field_error, invalid_resource
from app.mailchimp.sandbox.state import Audience, MergeField

MERGE_FIELD_TYPES = (
    "text",
    "number",
    "address",
    "phone",
    "date",
    "url",
    "imageurl",
    "radio",
    "dropdown",
    "birthday",
    "zip",
)
ADDRESS_REQUIRED = ("addr1", "city", "state", "zip")
ADDRESS_KEYS = ("addr1", "addr2", "city", "state", "zip", "country")
TEXT_LIMIT_BYTES = 255
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$", re.IGNORECASE)
_TAG = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")
INVALID_MERGE_FIELDS = "Your merge fields were invalid."


def default_merge_fields() -> list[MergeField]:
    """The four fields every new Mailchimp audience starts with."""
    return [
        MergeField(1, "FNAME", "First Name", "text", display_order=2, options={"size": 25}),
        MergeField(2, "LNAME", "Last Name", "text", display_order=3, options={"size": 25}),
        MergeField(
            3, "ADDRESS", "Address", "address", display_order=4, options={"default_country": 164}
        ),
        MergeField(
            4, "PHONE", "Phone Number", "phone", display_order=5, options={"phone_format": "none"}
        ),
    ]


def add_merge_field(audience: Audience, body: dict[str, Any]) -> MergeField:
    """POST /lists/{id}/merge-fields: `name` and `type` are required, `tag` is derived if absent."""
    name, kind = body.get("name"), body.get("type")
    errors = []
    if not isinstance(name, str) or not name.strip():
        errors.append({"field": "name", "message": "This value should not be blank."})
    if kind not in MERGE_FIELD_TYPES:
        errors.append(
            {
                "field": "type",
                "message": "Data presented is not one of the accepted values: "
                + ", ".join(MERGE_FIELD_TYPES)
                + ".",
            }
        )
    if errors:
        raise invalid_resource(errors=errors)
    merge_id = max((f.merge_id for f in audience.merge_fields), default=0) + 1
    tag = str(body.get("tag") or f"MMERGE{merge_id}").upper()
    if not _TAG.match(tag):
        raise field_error("tag", "Merge tags are up to 10 letters, digits or underscores.")
    if audience.merge_field(tag) or tag == "EMAIL":
        raise invalid_resource(f'A Merge Field with the tag "{tag}" already exists for this list.')
    options = dict(body.get("options") or {})
    if kind == "date":
        options.setdefault("date_format", "MM/DD/YYYY")
    if kind == "birthday":
        options.setdefault("date_format", "MM/DD")
    if kind in ("radio", "dropdown"):
        options.setdefault("choices", [])
    field = MergeField(
        merge_id=merge_id,
        tag=tag,
        name=name.strip(),
        type=kind,
        required=bool(body.get("required", False)),
        default_value=str(body.get("default_value") or ""),
        public=bool(body.get("public", False)),
        display_order=int(body.get("display_order") or merge_id + 1),
        options=options,
        help_text=str(body.get("help_text") or ""),
    )
    audience.merge_fields.append(field)
    return field


def validate_merge_values(
    audience: Audience,
    provided: Any,
    current: dict[str, Any],
    *,
    skip_required: bool,
) -> dict[str, Any]:
    """The member's merge values after applying `provided`, or 400 `Invalid Resource`.

    `skip_merge_validation` only waives required fields: malformed values are still refused.
    Tags the audience does not have are ignored, as Mailchimp does.
    """
    if provided is None:
        provided = {}
    if not isinstance(provided, dict):
        raise field_error("merge_fields", "Merge fields must be an object keyed by merge tag.")
    values = dict(current)
    errors: list[dict[str, str]] = []
    for field in audience.merge_fields:
        if field.tag not in provided:
            continue
        raw = provided[field.tag]
        if raw is None or raw == "":
            values[field.tag] = ""
            continue
        try:
            values[field.tag] = _clean(field, raw)
        except ValueError as exc:
            errors.append({"field": field.tag, "message": str(exc)})
    if not skip_required:
        for field in audience.merge_fields:
            if (
                field.required
                and values.get(field.tag, "") in ("", None)
                and not any(e["field"] == field.tag for e in errors)
            ):
                errors.append({"field": field.tag, "message": "Please enter a value"})
    if errors:
        raise ApiProblem(400, "Invalid Resource", INVALID_MERGE_FIELDS, errors=errors)
    return values


def _clean(field: MergeField, raw: Any) -> Any:
    kind = field.type
    if kind == "address":
        return _address(raw)
    if isinstance(raw, dict | list):
        raise ValueError("Please enter a single value, not a list or an object.")
    text = str(raw).strip()
    if kind == "number":
        try:
            float(text)
        except ValueError:
            raise ValueError("Please enter a number") from None
        return text
    if kind in ("radio", "dropdown"):
        choices = [str(c) for c in field.options.get("choices", [])]
        if text not in choices:
            raise ValueError(f"Please choose one of: {', '.join(choices)}")
        return text
    if kind == "date":
        return _date(text, str(field.options.get("date_format") or "MM/DD/YYYY"))
    if kind == "birthday":
        return _birthday(text, str(field.options.get("date_format") or "MM/DD"))
    if kind in ("url", "imageurl"):
        if not _URL.match(text):
            raise ValueError("Please enter a valid URL, starting with http:// or https://")
        return text
    if kind == "zip":
        if not re.fullmatch(r"\d{5}", text):
            raise ValueError("Please enter a 5 digit zip code")
        return text
    # text and phone: Mailchimp keeps at most 255 bytes
    return text.encode()[:TEXT_LIMIT_BYTES].decode(errors="ignore")


def _address(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ValueError("Please enter a complete address (an object with addr1, city, state, zip)")
    missing = [key for key in ADDRESS_REQUIRED if not str(raw.get(key) or "").strip()]
    if missing:
        raise ValueError(f"Please enter a complete address (missing {', '.join(missing)})")
    return {key: str(raw.get(key) or "").strip() for key in ADDRESS_KEYS}


def _date(text: str, date_format: str) -> str:
    """Accept ISO forms and the field's own format; store as YYYY-MM-DD."""
    iso = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", text)
    local = re.fullmatch(r"(\d{1,2})[-/](\d{1,2})[-/](\d{4})", text)
    try:
        if iso:
            year, month, day = (int(g) for g in iso.groups())
        elif local:
            first, second, year = (int(g) for g in local.groups())
            month, day = (
                (second, first) if date_format.upper().startswith("DD") else (first, second)
            )
        else:
            raise ValueError
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"Please enter the date in the format {date_format}") from None


def _birthday(text: str, date_format: str) -> str:
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})", text)
    day_first = date_format.upper().startswith("DD")
    try:
        if not match:
            raise ValueError
        first, second = (int(g) for g in match.groups())
        month, day = (second, first) if day_first else (first, second)
        date(2000, month, day)  # a leap year, so 02/29 is a valid birthday
    except ValueError:
        raise ValueError(f"Please enter the birthday in the format {date_format}") from None
    return f"{day:02d}/{month:02d}" if day_first else f"{month:02d}/{day:02d}"
