"""What one CSV row does to the contacts: the rules the import job and the preview share.

Rows are matched by external ID when the row has one, else by email (any case). Within one
file the first row with an email or external ID wins: later rows with the same one are
rejected as "Duplicate of line N", so the outcome never depends on batch boundaries.
An empty cell clears that field; an empty external ID never clears one (it only matches).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.domain.contacts.csv_mapping import RowValues
from app.domain.contacts.fields import display_name, name_keys

Key = tuple[str, str]  # ("email", lower-cased address) | ("external_id", value)


def file_keys(row: RowValues) -> list[Key]:
    """The keys by which a row may repeat an earlier one, in the order they are checked."""
    keys = [("email", row.values["email"].lower())]
    if external_id := row.values.get("external_id"):
        keys.append(("external_id", external_id))
    return keys


class KeyTracker:
    """Remembers the first line of each email and external ID seen in a file. `earlier`: the
    first lines of keys met before (the import keeps them per batch in the database, so a
    long file does not hold them all in memory); `added`: what this tracker met first."""

    def __init__(self, earlier: dict[Key, int] | None = None) -> None:
        self._first: dict[Key, int] = dict(earlier or {})
        self.added: list[tuple[Key, int]] = []

    def duplicate(self, line: int, row: RowValues) -> str | None:
        keys = file_keys(row)
        for kind, value in keys:
            if (first := self._first.get((kind, value))) is not None:
                what = "email" if kind == "email" else "external ID"
                return f"Duplicate of line {first} (same {what})."
        for key in keys:
            self._first[key] = line
            self.added.append((key, line))
        return None


@dataclass
class Decision:
    action: str  # create | update | unchanged | reject
    target: dict[str, Any] | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


def decide(row: RowValues, by_email: dict[str, dict], by_external: dict[str, dict]) -> Decision:
    """Given the live contacts holding this row's email and external ID, what happens."""
    email_key, external_id = row.values["email"].lower(), row.values.get("external_id")
    target = by_external.get(external_id) if external_id else None
    holder = by_email.get(email_key)
    if target is None and holder is not None:
        if external_id and holder["external_id"] and holder["external_id"] != external_id:
            return Decision(
                "reject",
                reason=f"{holder['email']} already belongs to {display_name(holder)} "
                f"(external ID {holder['external_id']}).",
            )
        target = holder
    elif target is not None and holder is not None and holder["id"] != target["id"]:
        reason = f"{holder['email']} already belongs to {display_name(holder)}."
        return Decision("reject", reason=reason)
    if target is None:
        return Decision("create")
    changes = changes_for(target, row)
    return Decision("update" if changes else "unchanged", target=target, changes=changes)


def changes_for(target: dict[str, Any], row: RowValues) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, value in row.values.items():
        if name == "entity_type" and not row.type_given:
            continue  # the file's default type is for new contacts only
        if name == "external_id" and value is None:
            continue
        if name == "email" and value.lower() == target["email"].lower():
            continue  # the same address in other letter case is not a change
        if target[name] != value:
            changes[name] = value
    attributes = dict(target["attributes"] or {})
    for key, value in row.attributes.items():
        if value is None:
            attributes.pop(key, None)
        else:
            attributes[key] = value
    if attributes != (target["attributes"] or {}):
        changes["attributes"] = attributes
    return changes


def new_contact(row: RowValues) -> dict[str, Any]:
    values = dict(row.values)
    attributes = {key: value for key, value in row.attributes.items() if value is not None}
    keys = name_keys(values.get("first_name", ""), values.get("last_name", ""), values["email"])
    return {**values, "attributes": attributes, **keys}
