"""JSON shapes of the preferences and GDPR APIs.

A preference belongs to a contact, named in paths as `{entity_type}/{entity_id}`: the contact's
type (employee, vendor or user; `contact` matches any) and its Listbridge id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class PreferenceIn(msgspec.Struct, forbid_unknown_fields=True):
    """`status`: opted_in or opted_out. `source`: where the choice was made — ui, api
    (the default), csv_import, mailchimp_webhook or product_event."""

    status: str
    source: str = "api"


class MailchimpOutcome(msgspec.Struct):
    """What a change did to the contact's member in one audience. `status`: queued, retrying,
    done, failed or superseded; `member_status`: Mailchimp's own word afterwards, when known."""

    list_id: str
    list_name: str
    status: str
    member_status: str
    message: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> MailchimpOutcome:
        return cls(**{name: row[name] for name in cls.__struct_fields__})


class ChangeOut(msgspec.Struct):
    id: int
    at: datetime
    from_status: str | None
    to_status: str
    source: str
    actor_type: str
    actor_label: str
    ip: str | None
    mailchimp: list[MailchimpOutcome]

    @classmethod
    def of(cls, row: dict[str, Any]) -> ChangeOut:
        return cls(
            id=row["id"],
            at=row["created_at"],
            from_status=row["from_status"] or None,
            to_status=row["to_status"],
            source=row["source"],
            actor_type=row["actor_type"],
            actor_label=row["actor_label"],
            ip=row["ip"],
            mailchimp=[MailchimpOutcome.of(push) for push in row["pushes"]],
        )


class PreferenceOut(msgspec.Struct):
    """`status` is null when no choice was ever recorded for the contact."""

    entity_type: str
    entity_id: int
    status: str | None
    consent_source: str | None
    consent_given_at: datetime | None
    consent_withdrawn_at: datetime | None
    changed_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any] | None, *, entity_type: str, entity_id: int) -> PreferenceOut:
        row = row or {}
        return cls(
            entity_type=row.get("entity_type") or entity_type,
            entity_id=entity_id,
            status=row.get("status"),
            consent_source=row.get("consent_source"),
            consent_given_at=row.get("consent_given_at"),
            consent_withdrawn_at=row.get("consent_withdrawn_at"),
            changed_at=row.get("changed_at"),
        )


class PreferenceDetail(PreferenceOut):
    """The preference, with every change (newest first) and what each did in Mailchimp.
    `changed` is false when a POST asked for the status the contact already had."""

    history: list[ChangeOut] = msgspec.field(default_factory=list)
    changed: bool | None = None


class PreferencePage(msgspec.Struct):
    items: list[PreferenceOut]
    next_cursor: str | None


class ErasureIn(msgspec.Struct, forbid_unknown_fields=True):
    entity_type: str
    entity_id: int


class ErasureAudience(msgspec.Struct):
    """`status`: pending, done or failed (tried again later)."""

    list_id: str
    list_name: str
    status: str
    message: str


class ErasureOut(msgspec.Struct):
    """An erasure holds no personal data: the contact's id, the subscriber hash (md5 of the
    lower-cased address, Mailchimp's member id) and the audiences. `status`: queued, running,
    incomplete (some copy remains; retried) or done."""

    id: int
    entity_type: str
    entity_id: int
    status: str
    subscriber_hash: str
    audiences: list[ErasureAudience]
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> ErasureOut:
        return cls(
            id=row["id"],
            entity_type=row["entity_type"],
            entity_id=row["contact_id"],
            status=row["status"],
            subscriber_hash=row["subscriber_hash"],
            audiences=[
                ErasureAudience(
                    list_id=a["list_id"],
                    list_name=a.get("list_name", ""),
                    status=a["status"],
                    message=a.get("message", ""),
                )
                for a in row["audiences"]
            ],
            attempts=row["attempts"],
            last_error=row["last_error"] or None,
            next_attempt_at=row["next_attempt_at"],
            created_at=row["created_at"],
            finished_at=row["finished_at"],
        )


class ErasurePage(msgspec.Struct):
    items: list[ErasureOut]
    next_cursor: str | None
