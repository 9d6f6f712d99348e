"""The organisation's link to its Mailchimp account (one live row per organisation)."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.db import SoftDeletable, Timestamped
from app.domain.accounts.tables import Organisation, User


class AuthType(StrEnum):
    api_key = "api_key"
    oauth = "oauth"


class ConnectionStatus(StrEnum):
    connected = "connected"
    error = "error"  # the last verification failed (e.g. the key was revoked)


class MailchimpConnection(Timestamped, SoftDeletable, Table, tablename="mailchimp_connections"):
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    connected_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True)
    auth_type = Varchar(length=20, choices=AuthType)
    # Fernet ciphertext of the API key or OAuth token; emptied on disconnect.
    secret = Text(default="", secret=True)
    dc = Varchar(length=20)
    api_endpoint = Varchar(length=255, default="")
    account_id = Varchar(length=64, default="")
    account_name = Varchar(length=255, default="")
    login_email = Varchar(length=255, default="")
    status = Varchar(length=20, choices=ConnectionStatus, default=ConnectionStatus.connected)
    last_error = Text(default="")
    last_verified_at = Timestamptz(null=True, default=None)
