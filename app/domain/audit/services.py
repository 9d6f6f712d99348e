"""Reading the audit trail (writing it is `app.lib.audit.record`)."""

from __future__ import annotations

from app.domain.accounts.principal import Principal
from app.domain.audit.tables import AuditLog
from app.lib.pagination import Page, keyset_page

_COLUMNS = (
    AuditLog.id,
    AuditLog.created_at,
    AuditLog.actor_type,
    AuditLog.actor_id,
    AuditLog.actor_label,
    AuditLog.action,
    AuditLog.entity_type,
    AuditLog.entity_id,
    AuditLog.changes,
    AuditLog.ip,
)


async def entries(
    principal: Principal, *, cursor: str | None = None, limit: int | None = None
) -> Page[dict]:
    """The organisation's audit rows, newest first."""
    query = (
        AuditLog.select(*_COLUMNS)
        .where(AuditLog.organisation == principal.organisation_id)
        .output(load_json=True)
    )
    return await keyset_page(
        query,
        sort=AuditLog.created_at,
        id_column=AuditLog.id,
        descending=True,
        cursor=cursor,
        limit=limit,
    )


async def history(principal: Principal, *, entity_type: str, entity_id: int | str) -> list[dict]:
    """Everything recorded about one entity, newest first (for its detail page)."""
    return (
        await AuditLog.select(*_COLUMNS)
        .where(
            (AuditLog.organisation == principal.organisation_id)
            & (AuditLog.entity_type == entity_type)
            & (AuditLog.entity_id == str(entity_id))
        )
        .order_by(AuditLog.created_at, AuditLog.id, ascending=False)
        .limit(200)
        .output(load_json=True)
    )
