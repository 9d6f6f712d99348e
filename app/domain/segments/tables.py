"""Segments (who belongs in which Mailchimp audience), what Mailchimp holds, and sync runs."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    JSON,
    BigInt,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from app.db import SoftDeletable, Timestamped
from app.domain.accounts.tables import Organisation


class SegmentType(StrEnum):
    employee = "employee"
    vendor = "vendor"
    mixed = "mixed"  # every kind of contact


class RemovalPolicy(StrEnum):
    none = "none"
    unsubscribe = "unsubscribe"
    archive = "archive"
    delete_permanent = "delete_permanent"


class SegmentStatus(StrEnum):
    pending = "pending"
    syncing = "syncing"
    synced = "synced"
    error = "error"


class Segment(Timestamped, SoftDeletable, Table, tablename="contact_segments"):
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=200)
    description = Text(default="")
    segment_type = Varchar(length=20, choices=SegmentType, default=SegmentType.employee)
    list_id = Varchar(length=64)
    list_name = Varchar(length=255, default="")
    # {"department": [...], "location": [...], "employment_type": [...], "employment_status": [...]}
    filter_criteria = JSON(default="{}")
    # {"FNAME": "first_name", "PLAN": "attribute:plan"}: merge tag -> contact field
    field_mapping = JSON(default="{}")
    tags = JSON(default="[]")
    status_if_new = Varchar(length=20, default="subscribed")  # or "pending" (double opt-in)
    removal_policy = Varchar(length=20, choices=RemovalPolicy, default=RemovalPolicy.none)
    status = Varchar(length=20, choices=SegmentStatus, default=SegmentStatus.pending)
    last_synced_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    # Mailchimp's `last_changed` high-water mark: the next refresh reads only what changed since.
    members_refreshed_at = Timestamptz(null=True, default=None)


class AudienceMember(Timestamped, Table, tablename="audience_members"):
    """What we believe Mailchimp holds for one address in one audience."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    list_id = Varchar(length=64)
    subscriber_hash = Varchar(length=32)
    email = Varchar(length=254)
    contact_id = BigInt(null=True, default=None)
    # The segment that placed (and may remove) this member; null for members we never sent.
    segment = ForeignKey(Segment, on_delete=OnDelete.set_null, null=True, default=None)
    status = Varchar(length=20, default="")  # Mailchimp's own status word
    payload_hash = Varchar(length=64, default="")  # of what we last sent successfully
    # The merge values of that send: a profile webhook changes here only what differs from them.
    merge_fields = JSON(default="{}")
    tags = JSON(default="[]")  # Mailchimp's tags, as last read
    managed_tags = JSON(default="[]")  # the tags our segment applied (and may take away)
    last_changed = Timestamptz(null=True, default=None)  # Mailchimp's last_changed
    last_synced_at = Timestamptz(null=True, default=None)
    last_sent_run = BigInt(null=True, default=None)  # so a retried run never resends a member
    last_seen_run = BigInt(null=True, default=None)  # the last run whose segment still matched


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"


class SyncRun(Timestamped, Table, tablename="sync_runs"):
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    segment = ForeignKey(Segment, on_delete=OnDelete.cascade, index=True)
    trigger = Varchar(length=20, default="manual")  # manual | scheduled | api | event | retry
    mode = Varchar(length=20, default="incremental")  # incremental | full | dry_run
    status = Varchar(length=20, choices=RunStatus, default=RunStatus.queued)
    selected = Integer(default=0)
    created = Integer(default=0)
    updated = Integer(default=0)
    unchanged = Integer(default=0)
    removed = Integer(default=0)
    invalid = Integer(default=0)
    rejected = Integer(default=0)
    api_calls = Integer(default=0)
    expected = Integer(default=0)  # contacts the segment selected when the run started
    phase = Varchar(length=20, default="")  # reading | sending | removing, while running
    error = Text(default="")
    # For "retry rejected": the contacts this run is limited to (empty = the whole segment).
    only_contacts = JSON(default="[]")
    actor_label = Varchar(length=255, default="")
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)


class SyncRunItem(Table, tablename="sync_run_items"):
    """One contact whose sync was not a plain success: why, in Mailchimp's own words."""

    run = ForeignKey(SyncRun, on_delete=OnDelete.cascade)
    contact_id = BigInt(null=True, default=None)
    email = Varchar(length=254, default="")
    outcome = Varchar(length=30)  # invalid | rejected | removed | skipped (+ dry-run would_*)
    error_code = Varchar(length=50, default="")
    message = Text(default="")
