"""JSON shapes of the inbound API: events, trigger rules, audience status counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class EventOut(msgspec.Struct):
    """An inbound event. `status` is received (stored, being applied), processed, failed (see
    `error`; retry it) or ignored (nothing to do: `outcome` says why)."""

    id: int
    source: str
    type: str
    list_id: str
    email: str
    status: str
    error: str | None
    outcome: str | None
    attempts: int
    fired_at: datetime | None
    received_at: datetime
    processed_at: datetime | None


class EventDetailOut(EventOut):
    payload: dict[str, Any]


class EventList(msgspec.Struct):
    items: list[EventOut]
    next_cursor: str | None


class TriggerIn(msgspec.Struct, forbid_unknown_fields=True):
    """A trigger rule. Paths are dot paths into the event's JSON body; `fields` maps contact
    fields (first_name, …, or attribute:<name>) to paths, for the upsert action."""

    event_name: str
    action: str
    list_id: str
    tags: list[str] = []
    email_path: str = "email"
    event_path: str = "event"
    event_id_path: str = ""
    fields: dict[str, str] = {}
    enabled: bool = True


class TriggerPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change."""

    event_name: str | msgspec.UnsetType = msgspec.UNSET
    action: str | msgspec.UnsetType = msgspec.UNSET
    list_id: str | msgspec.UnsetType = msgspec.UNSET
    tags: list[str] | msgspec.UnsetType = msgspec.UNSET
    email_path: str | msgspec.UnsetType = msgspec.UNSET
    event_path: str | msgspec.UnsetType = msgspec.UNSET
    event_id_path: str | msgspec.UnsetType = msgspec.UNSET
    fields: dict[str, str] | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET


class TriggerOut(msgspec.Struct):
    id: int
    event_name: str
    action: str
    list_id: str
    list_name: str
    tags: list[str]
    email_path: str
    event_path: str
    event_id_path: str
    fields: dict[str, str]
    enabled: bool
    created_at: datetime


class TriggerList(msgspec.Struct):
    items: list[TriggerOut]


class StatusCounts(msgspec.Struct):
    """Members of one audience by Mailchimp status, as Listbridge last heard it."""

    list_id: str
    subscribed: int
    unsubscribed: int
    cleaned: int
    pending: int
    archived: int
    total: int
