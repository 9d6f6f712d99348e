"""Organisations, the people who use Listbridge, their memberships and API tokens."""

from __future__ import annotations

from enum import StrEnum

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table
from piccolo_api.session_auth.tables import SessionsBase

from app.db import SoftDeletable, Timestamped


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    member = "member"


class Organisation(Timestamped, SoftDeletable, Table, tablename="organisations"):
    name = Varchar(length=200)


class User(Timestamped, BaseUser, tablename="users"):
    """Piccolo's user (password hashing, Piccolo Admin login) under our own table name.

    `username` holds the lower-cased email address; `admin` marks support staff for /admin.
    """


class Membership(Timestamped, SoftDeletable, Table, tablename="memberships"):
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=20, choices=Role, default=Role.member)


class ApiToken(Timestamped, Table, tablename="api_tokens"):
    """Only a SHA-256 of the token is stored; the token itself is shown once, at creation."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    created_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True)
    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True, secret=True)
    prefix = Varchar(length=12)
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class StaffSession(SessionsBase, tablename="staff_sessions"):
    """Piccolo Admin's own login sessions for support staff (separate from app sessions)."""
