"""Member tags: audience-wide names with ids; added by creates and batches, changed by `/tags`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.mailchimp.sandbox.errors import field_error
from app.mailchimp.sandbox.state import Audience, Member


def tag_names(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise field_error("tags", "Tags must be a list of tag names.")
    return [t.strip() for t in value if t.strip()]


def add_tag(audience: Audience, member: Member, name: str, now: datetime) -> None:
    name = name.strip()
    audience.tag_id(name)
    member.tags.setdefault(name, now)


def update_tags(audience: Audience, member: Member, body: Any, *, now: datetime) -> None:
    """POST .../tags: `active` adds (creating the tag if new), `inactive` removes."""
    tags = body.get("tags") if isinstance(body, dict) else None
    if not isinstance(tags, list) or not all(
        isinstance(t, dict)
        and isinstance(t.get("name"), str)
        and t.get("status") in ("active", "inactive")
        for t in tags
    ):
        raise field_error("tags", "Tags must be a list of {name, status: active|inactive}.")
    before = dict(member.tags)
    for tag in tags:
        if tag["status"] == "active":
            add_tag(audience, member, tag["name"], now)
        else:
            member.tags.pop(tag["name"].strip(), None)
    if member.tags != before:
        member.last_changed = now


def replace_tags(audience: Audience, member: Member, names: list[str], now: datetime) -> None:
    before = dict(member.tags)
    member.tags = {name: before.get(name, now) for name in names}
    for name in names:
        audience.tag_id(name)


def add_tags(audience: Audience, member: Member, names: list[str], now: datetime) -> None:
    for name in names:
        add_tag(audience, member, name, now)
