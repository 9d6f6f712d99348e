"""JSON shapes of the campaigns API. Rates are fractions (0.42 = 42 %), as Mailchimp gives them."""

from __future__ import annotations

from datetime import datetime

import msgspec


class TrackIn(msgspec.Struct, forbid_unknown_fields=True):
    campaign_id: str


class CampaignOut(msgspec.Struct):
    """A tracked campaign. `status` is Mailchimp's word, `status_label` ours; `last_error` says
    why the last refresh failed (null once one succeeds). `auto_refresh` tells whether the
    campaign's state still gets the 6-hourly refresh (`auto_refresh_until` for sent ones, 30
    days after sending); refreshes pause while Mailchimp is disconnected."""

    id: int
    campaign_id: str
    title: str
    subject: str
    audience: str
    status: str
    status_label: str
    emails_sent: int
    opens: int
    unique_opens: int
    open_rate: float
    clicks: int
    unique_clicks: int
    click_rate: float
    send_time: datetime | None
    last_refreshed_at: datetime | None
    last_error: str | None
    last_error_code: str | None
    last_error_at: datetime | None
    auto_refresh: bool
    auto_refresh_until: datetime | None
    tracked_at: datetime


class SnapshotOut(msgspec.Struct):
    taken_at: datetime
    trigger: str
    status: str
    emails_sent: int
    opens: int
    unique_opens: int
    open_rate: float
    clicks: int
    unique_clicks: int
    click_rate: float


class CampaignDetailOut(CampaignOut):
    history: list[SnapshotOut]


class CampaignList(msgspec.Struct):
    items: list[CampaignOut]
    next_cursor: str | None
