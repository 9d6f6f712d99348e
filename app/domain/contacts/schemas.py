"""JSON shapes of the contacts API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

Scalar = str | int | float | bool | None


class ContactOut(msgspec.Struct):
    id: int
    entity_type: str
    external_id: str | None
    email: str
    first_name: str
    last_name: str
    department: str
    location: str
    employment_type: str
    employment_status: str
    company: str
    phone: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> ContactOut:
        return cls(**{name: row[name] for name in cls.__struct_fields__})


class ContactPage(msgspec.Struct):
    items: list[ContactOut]
    next_cursor: str | None


class ContactIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new contact: `email` and `entity_type` (employee, vendor or user) are required."""

    email: str
    entity_type: str
    external_id: str | None = None
    first_name: str = ""
    last_name: str = ""
    department: str = ""
    location: str = ""
    employment_type: str = ""
    employment_status: str = ""
    company: str = ""
    phone: str = ""
    attributes: dict[str, Scalar] = msgspec.field(default_factory=dict)


class ContactPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change. `attributes` are merged: a null value removes that one."""

    email: str | UnsetType = UNSET
    entity_type: str | UnsetType = UNSET
    external_id: str | UnsetType | None = UNSET
    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    department: str | UnsetType = UNSET
    location: str | UnsetType = UNSET
    employment_type: str | UnsetType = UNSET
    employment_status: str | UnsetType = UNSET
    company: str | UnsetType = UNSET
    phone: str | UnsetType = UNSET
    attributes: dict[str, Scalar] | UnsetType = UNSET

    def given(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in self.__struct_fields__
            if getattr(self, name) is not UNSET
        }


class ImportStarted(msgspec.Struct):
    import_id: int
    status: str
    url: str


class ImportCountsOut(msgspec.Struct):
    created: int
    updated: int
    unchanged: int
    rejected: int


class RejectedRowOut(msgspec.Struct):
    line: int
    reason: str
    values: dict[str, str]


class ImportOut(msgspec.Struct):
    id: int
    status: str
    filename: str
    progress: float
    total_rows: int
    processed_rows: int
    counts: ImportCountsOut
    mapping: dict[str, str]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rejected_rows: list[RejectedRowOut]
    rejected_rows_next_cursor: str | None


class RejectedRowPage(msgspec.Struct):
    items: list[RejectedRowOut]
    next_cursor: str | None


def rejected_row(header: list[str], rejection: dict[str, Any]) -> RejectedRowOut:
    values = rejection["row_values"]
    named = {name: values[i] if i < len(values) else "" for i, name in enumerate(header)}
    for extra, value in enumerate(values[len(header) :], start=len(header) + 1):
        named[f"Column {extra}"] = value
    return RejectedRowOut(line=rejection["line_number"], reason=rejection["reason"], values=named)
