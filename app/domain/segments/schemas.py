"""JSON shapes of the segments API."""

from __future__ import annotations

from datetime import datetime

import msgspec


class SegmentIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    list_id: str
    description: str = ""
    segment_type: str = "employee"
    filter_criteria: dict[str, list[str]] = {}
    field_mapping: dict[str, str] = {}
    tags: list[str] = []
    status_if_new: str = "subscribed"
    removal_policy: str = "none"


class SegmentPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    list_id: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    segment_type: str | msgspec.UnsetType = msgspec.UNSET
    filter_criteria: dict[str, list[str]] | msgspec.UnsetType = msgspec.UNSET
    field_mapping: dict[str, str] | msgspec.UnsetType = msgspec.UNSET
    tags: list[str] | msgspec.UnsetType = msgspec.UNSET
    status_if_new: str | msgspec.UnsetType = msgspec.UNSET
    removal_policy: str | msgspec.UnsetType = msgspec.UNSET


class SegmentOut(msgspec.Struct):
    id: int
    name: str
    description: str
    segment_type: str
    list_id: str
    list_name: str
    filter_criteria: dict[str, list[str]]
    field_mapping: dict[str, str]
    tags: list[str]
    status_if_new: str
    removal_policy: str
    status: str
    last_synced_at: datetime | None
    last_error: str
    created_at: datetime
    updated_at: datetime


class SegmentList(msgspec.Struct):
    items: list[SegmentOut]
    next_cursor: str | None
