"""The one way to write the audit trail: `await audit.record(...)`, inside the change's
own transaction, so a change and its record commit or roll back together."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from app.domain.audit.tables import AuditLog

ActorType = Literal["user", "api_token", "system", "webhook"]

REDACTED = "[redacted]"
# Any key that names a credential is redacted, however deeply it is nested.
_SECRET_KEY = re.compile(
    r"secret|password|passwd|token|api_?key|authorization|credential|signature", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a person, an API token, the system (jobs, cron) or a webhook sender."""

    type: ActorType
    id: str | None = None
    label: str = ""
    ip: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(type="system", label=label)

    @classmethod
    def webhook(cls, source: str) -> Actor:
        return cls(type="webhook", label=source)


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_KEY.search(str(key)) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Changed fields only, as {field: {"from": old, "to": new}}."""
    return {
        key: {"from": before.get(key), "to": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


async def record(
    actor: Actor,
    *,
    organisation_id: int | None,
    action: str,
    entity_type: str,
    entity_id: int | str,
    changes: dict[str, Any] | None = None,
) -> None:
    await AuditLog.insert(
        AuditLog(
            organisation=organisation_id,
            actor_type=actor.type,
            actor_id=actor.id,
            actor_label=actor.label[:255],
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            changes=redact(changes or {}),
            ip=actor.ip,
        )
    )
