"""The audit trail: one row per state change, written in the change's own transaction."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, OnDelete, Varchar
from piccolo.table import Table

from app.db import Timestamped
from app.domain.accounts.tables import Organisation


class AuditLog(Timestamped, Table, tablename="audit_log"):
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, null=True, index=True)
    actor_type = Varchar(length=20)  # user | api_token | system | webhook
    actor_id = Varchar(length=64, null=True)
    actor_label = Varchar(length=255, default="")
    action = Varchar(length=100, index=True)
    entity_type = Varchar(length=50, index=True)
    entity_id = Varchar(length=64, index=True)
    changes = JSON(default="{}")
    ip = Varchar(length=64, null=True)
