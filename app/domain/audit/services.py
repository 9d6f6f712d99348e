"""Reading the audit trail (writing it is `app.lib.audit.record`), and redacting personal data
from it when a person is erased.

Every filter is a range or an equality that one of the audit_log indexes answers in the page's
own order (organisation, <filter>, created_at, id), so a filtered page costs what an unfiltered
one does.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from piccolo.columns.combination import WhereRaw

from app.db import is_sqlite
from app.domain.accounts.principal import Principal
from app.domain.audit.tables import AuditLog
from app.lib.errors import InvalidInput
from app.lib.like import contains
from app.lib.pagination import Page, keyset_page

ACTOR_TYPES = ("user", "api_token", "system", "webhook")
REDACTION = {"redacted": "Personal data removed when this person was erased."}
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
# Enough for a suggestion list; more distinct values than this are typed, not picked.
MAX_SUGGESTIONS = 200


def _successor(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _date(name: str, value: str | None, errors: dict[str, str]) -> datetime.date | None:
    if not value or not value.strip():
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = "Use a date like 2026-01-31."
        return None


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """Who (actor type, the start of the actor's name), what (the start of the action, e.g.
    `contact.` or `contact.created`), about what (entity type, entity id) and when (UTC dates,
    both included)."""

    actor_type: str = ""
    actor: str = ""
    action: str = ""
    entity_type: str = ""
    entity_id: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None

    @classmethod
    def of(
        cls,
        *,
        actor_type: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> AuditFilters:
        """Filters from query parameters; bad values are an InvalidInput naming the field."""
        errors: dict[str, str] = {}
        kind = (actor_type or "").strip()
        if kind and kind not in ACTOR_TYPES:
            errors["actor_type"] = "Choose user, api_token, system or webhook."
        start, end = _date("since", since, errors), _date("until", until, errors)
        if start and end and end < start:
            errors["until"] = "The end date is before the start date."
        if errors:
            raise InvalidInput(errors)
        return cls(
            actor_type=kind,
            actor=" ".join((actor or "").lower().split())[:100],
            action=(action or "").strip().lower()[:100],
            entity_type=(entity_type or "").strip()[:50],
            entity_id=(entity_id or "").strip()[:64],
            since=start,
            until=end,
        )

    @property
    def active(self) -> bool:
        return any(self.as_params().values())

    def as_params(self) -> dict[str, str]:
        return {
            "actor_type": self.actor_type,
            "actor": self.actor,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }

    def query_string(self, **extra: str) -> str:
        """These filters as a URL query (for "Show older entries" links)."""
        return urlencode({k: v for k, v in {**self.as_params(), **extra}.items() if v})


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def _prefix(expression: str, prefix: str) -> WhereRaw:
    """`expression` starts with `prefix`, as a range an index can answer (byte order)."""
    collate = "" if is_sqlite() else ' COLLATE "C"'
    return WhereRaw(
        f"{expression}{collate} >= {{}} AND {expression}{collate} < {{}}",
        prefix,
        _successor(prefix),
    )


def _filtered(query: Any, filters: AuditFilters) -> Any:
    if filters.actor_type:
        query = query.where(AuditLog.actor_type == filters.actor_type)
    if filters.actor:
        query = query.where(_prefix('lower("audit_log"."actor_label")', filters.actor))
    if filters.action:
        query = query.where(_prefix('"audit_log"."action"', filters.action))
    if filters.entity_type:
        query = query.where(AuditLog.entity_type == filters.entity_type)
    if filters.entity_id:
        query = query.where(AuditLog.entity_id == filters.entity_id)
    if filters.since:
        query = query.where(AuditLog.created_at >= _midnight(filters.since))
    if filters.until:
        query = query.where(
            AuditLog.created_at < _midnight(filters.until + datetime.timedelta(days=1))
        )
    return query


async def entries(
    principal: Principal,
    filters: AuditFilters | None = None,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[dict]:
    """The organisation's audit rows matching `filters`, newest first."""
    query = (
        AuditLog.select(*_COLUMNS)
        .where(AuditLog.organisation == principal.organisation_id)
        .output(load_json=True)
    )
    return await keyset_page(
        _filtered(query, filters or AuditFilters()),
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


async def suggestions(principal: Principal) -> dict[str, list[str]]:
    """The actions and entity types present in the organisation's log, for the filter form.
    A "loose index scan": one index seek per distinct value instead of reading every row."""
    found: dict[str, list[str]] = {}
    for column in ("action", "entity_type"):
        # Only constant column names go into the SQL text; the organisation is bound.
        step = (
            f"SELECT {column} FROM audit_log WHERE organisation = {{}} "  # noqa: S608
            f"AND {column} > {{prev}} ORDER BY {column} LIMIT 1"
        )
        first, following = step.replace("{prev}", "''"), step.replace("{prev}", "found.value")
        rows = await AuditLog.raw(
            f"WITH RECURSIVE found(value, n) AS (SELECT ({first}), 1 "  # noqa: S608
            f"UNION ALL SELECT ({following}), found.n + 1 FROM found "
            f"WHERE found.value IS NOT NULL AND found.n < {MAX_SUGGESTIONS}) "
            "SELECT value FROM found WHERE value IS NOT NULL",
            principal.organisation_id,
            principal.organisation_id,
        )
        found[column] = [row["value"] for row in rows]
    return found


async def redact_person(
    organisation_id: int,
    *,
    entity_type: str,
    entity_ids: Sequence[int | str],
    mentions: Sequence[str],
    keep_actions: Sequence[str],
) -> None:
    """An erased person's entries keep their action, time and actor; their details (which
    held the person's data) are replaced. So are other entries whose details quote one of
    `mentions` (the person's addresses). Entries with `keep_actions` hold no personal data
    and prove the erasure, so they stay as written."""
    about = AuditLog.entity_type == entity_type
    about &= AuditLog.entity_id.is_in([str(i) for i in entity_ids] or [""])
    for text in mentions:
        about |= contains("CAST(changes AS TEXT)", text)
    await AuditLog.update({AuditLog.changes: REDACTION}).where(
        (AuditLog.organisation == organisation_id)
        & about
        & AuditLog.action.not_in(list(keep_actions) or [""])
    )
