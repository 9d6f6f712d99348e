"""JSON shapes of the connection and audience API."""

from __future__ import annotations

from datetime import datetime

import msgspec


class ConnectIn(msgspec.Struct, forbid_unknown_fields=True):
    api_key: str


class ConnectionOut(msgspec.Struct):
    id: int
    auth_type: str
    dc: str
    account_id: str
    account_name: str
    login_email: str
    status: str
    last_error: str
    connected_at: datetime
    last_verified_at: datetime | None


class AudienceOut(msgspec.Struct):
    id: str
    name: str
    member_count: int
    double_optin: bool


class MergeFieldOut(msgspec.Struct):
    tag: str
    name: str
    type: str
    required: bool
    date_format: str | None
    choices: list[str]


class AudienceList(msgspec.Struct):
    items: list[AudienceOut]


class MergeFieldList(msgspec.Struct):
    items: list[MergeFieldOut]
