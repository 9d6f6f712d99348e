"""Reading delivery bodies: Mailchimp's form-encoded events and product events' JSON.

Anything malformed raises BadPayload (answered 400 with what is wrong); nothing here can fail
with anything else, whatever bytes arrive.
"""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import parse_qsl

MAILCHIMP_TYPES = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
MAX_FIELDS = 500
MAX_KEY_DEPTH = 4  # data[merges][ADDRESS][addr1]
MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 256 * 1024
MAX_FORM_BYTES = 64 * 1024


class BadPayload(Exception):
    """The body can't be read as the event it claims to be (answer 400)."""


class PayloadTooLarge(BadPayload):
    """The body is larger than we accept (answer 413)."""


def _key_path(key: str) -> list[str]:
    """`data[merges][FNAME]` → ["data", "merges", "FNAME"]."""
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    if not rest.endswith("]"):
        raise BadPayload(f"Malformed field name {key[:60]!r}.")
    parts = [head, *rest[:-1].split("][")]
    if len(parts) > MAX_KEY_DEPTH or any(not p or "[" in p or "]" in p for p in parts):
        raise BadPayload(f"Malformed field name {key[:60]!r}.")
    return parts


def parse_form(body: bytes) -> dict[str, Any]:
    """A form-encoded body as nested objects, the way Mailchimp's bracket keys mean it."""
    if len(body) > MAX_FORM_BYTES:
        raise PayloadTooLarge(f"The body is larger than {MAX_FORM_BYTES // 1024} KB.")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=bool(text),
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError:
        raise BadPayload("The body is not valid UTF-8.") from None
    except ValueError:
        raise BadPayload("The body is not form-encoded (name=value&…).") from None
    fields: dict[str, Any] = {}
    for key, value in pairs:
        *parents, last = _key_path(key)
        node = fields
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise BadPayload(f"Field {key[:60]!r} conflicts with another field.")
            node = child
        if isinstance(node.get(last), dict):
            raise BadPayload(f"Field {key[:60]!r} conflicts with another field.")
        node[last] = value
    return fields


def parse_fired_at(value: Any) -> datetime.datetime:
    """Mailchimp's `fired_at` ("2009-03-26 21:35:57", UTC) as an aware datetime."""
    try:
        moment = datetime.datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise BadPayload("fired_at must look like 2009-03-26 21:35:57.") from None
    return moment.replace(tzinfo=datetime.UTC)


def mailchimp_event(body: bytes, list_id: str) -> dict[str, Any]:
    """The event, checked: a known type (others are kept, as `unknown`), its time, its data."""
    fields = parse_form(body)
    event_type = fields.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise BadPayload("The field type is missing.")
    data = fields.get("data")
    if not isinstance(data, dict):
        raise BadPayload("The data[...] fields are missing.")
    parse_fired_at(fields.get("fired_at"))
    if data.get("list_id") not in (None, list_id):
        raise BadPayload("data[list_id] is not the audience this webhook belongs to.")
    if event_type in MAILCHIMP_TYPES:
        wanted = {"upemail": ("new_email", "old_email"), "campaign": ("id",)}
        for name in wanted.get(event_type, ("email",)):
            if not isinstance(data.get(name), str) or not data[name].strip():
                raise BadPayload(f"data[{name}] is missing.")
    return fields


def _depth(value: Any) -> int:
    """Nesting depth, without recursion (so no input can exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            return depth
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _too_deep(text: str) -> bool:
    """Cheap pre-check: brackets nested deeper than allowed (json.loads would recurse)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: no database stores them as JSON


def parse_json_event(body: bytes) -> dict[str, Any]:
    """A product event: one JSON object, not too big, not too deep."""
    if len(body) > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"The body is larger than {MAX_JSON_BYTES // 1024} KB.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadPayload("The body is not valid UTF-8.") from None
    if _too_deep(text):
        raise BadPayload(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
    try:
        event = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise BadPayload("The body is not valid JSON.") from None
    if not isinstance(event, dict):
        raise BadPayload("The body must be one JSON object.")
    if _depth(event) > MAX_JSON_DEPTH:
        raise BadPayload(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
    return event


def at_path(document: Any, path: str) -> Any:
    """The value at a dot path (`data.email_address`, `items.0.sku`), or None."""
    node = document
    for part in path.split(".") if path else ():
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
