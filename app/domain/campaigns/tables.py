"""Tracked Mailchimp campaigns and the figures recorded at every refresh."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from app.db import SoftDeletable, Timestamped
from app.domain.accounts.tables import Organisation, User


class SnapshotTrigger(StrEnum):
    """What caused a refresh; `demo` marks history backfilled by the demo seed."""

    track = "track"
    manual = "manual"
    api = "api"
    scheduled = "scheduled"
    demo = "demo"
    webhook = "webhook"  # Mailchimp said the campaign was sent or cancelled


class CampaignTracking(Timestamped, SoftDeletable, Table, tablename="campaign_tracking"):
    """One Mailchimp campaign an organisation follows (at most one live row per campaign ID).

    Figures are the latest Mailchimp reported; rates are fractions (0.42 = 42 %), as Mailchimp
    gives them. `status` is Mailchimp's own word (save, schedule, sending, sent, ...).
    """

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    tracked_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True)
    campaign_id = Varchar(length=64)
    title = Varchar(length=255, default="")
    subject = Varchar(length=255, default="")
    list_name = Varchar(length=255, default="")
    status = Varchar(length=20, default="save")
    emails_sent = Integer(default=0)
    opens = Integer(default=0)
    unique_opens = Integer(default=0)
    open_rate = DoublePrecision(default=0.0)
    clicks = Integer(default=0)
    unique_clicks = Integer(default=0)
    click_rate = DoublePrecision(default=0.0)
    send_time = Timestamptz(null=True, default=None)
    last_refreshed_at = Timestamptz(null=True, default=None)
    # The last refresh's failure in words a person can act on; emptied by a later success.
    last_error = Text(default="")
    last_error_code = Varchar(length=40, default="")
    last_error_at = Timestamptz(null=True, default=None)


class CampaignSnapshot(Timestamped, Table, tablename="campaign_snapshots"):
    """The figures as one refresh found them: the campaign's history, appended, never edited."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    campaign = ForeignKey(CampaignTracking, on_delete=OnDelete.cascade, index=True)
    taken_at = Timestamptz()
    trigger = Varchar(length=20, choices=SnapshotTrigger)
    status = Varchar(length=20)
    emails_sent = Integer(default=0)
    opens = Integer(default=0)
    unique_opens = Integer(default=0)
    open_rate = DoublePrecision(default=0.0)
    clicks = Integer(default=0)
    unique_clicks = Integer(default=0)
    click_rate = DoublePrecision(default=0.0)
