"""Trigger rules (Settings → Triggers): a product event's name → an action on an audience.

A rule also says where things sit in the event's JSON, as dot paths, because senders that
can't sign (a Customer.io campaign webhook action) post whatever body the marketer wrote:
where the email is (`data.email_address`), the event name (`metric`, `event`), an event id
that makes redelivery idempotent, and which values fill which contact fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.connections import audiences
from app.domain.inbound.payloads import at_path
from app.domain.inbound.tables import TriggerAction, TriggerRule
from app.domain.segments.merge_values import CONTACT_FIELDS, source_problem
from app.lib import audit
from app.lib.errors import InvalidInput, NotFound, UpstreamUnavailable

ENTITY = "trigger_rule"
MAX_EVENT_NAME = 200
MAX_TAGS = 50
MAX_TAG = 100
MAX_FIELDS = 30
PATH = re.compile(r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+){0,15}")
DEFAULT_EMAIL_PATH = "email"
DEFAULT_EVENT_PATH = "event"
# Names a product event goes by when no rule says where its name is (for the events list).
NAME_PATHS = ("event", "metric", "name", "type")
EMAIL_PATHS = ("email", "email_address", "data.email_address", "data.email")
ACTION_LABELS = {
    TriggerAction.upsert: "Add or update the contact and member",
    TriggerAction.tag: "Add tags",
    TriggerAction.untag: "Remove tags",
    TriggerAction.unsubscribe: "Unsubscribe",
}
# Contact fields an event may fill (not the type: events create contacts of type user).
FIELD_CHOICES = {k: v for k, v in CONTACT_FIELDS.items() if k != "entity_type"}


@dataclass(slots=True)
class TriggerInput:
    event_name: str = ""
    action: str = TriggerAction.tag.value
    list_id: str = ""
    tags: list[str] = field(default_factory=list)
    email_path: str = DEFAULT_EMAIL_PATH
    event_path: str = DEFAULT_EVENT_PATH
    event_id_path: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class RuleView:
    id: int
    event_name: str
    action: str
    list_id: str
    list_name: str
    tags: list[str]
    email_path: str
    event_path: str
    event_id_path: str
    fields: dict[str, str]
    enabled: bool
    created_at: datetime

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(TriggerAction(self.action), self.action)


def view(row: dict[str, Any]) -> RuleView:
    mapping = row["mapping"] or {}
    return RuleView(
        id=row["id"],
        event_name=row["event_name"],
        action=row["action"],
        list_id=row["list_id"],
        list_name=row["list_name"] or row["list_id"],
        tags=list(row["tags"] or []),
        email_path=mapping.get("email") or DEFAULT_EMAIL_PATH,
        event_path=mapping.get("event") or DEFAULT_EVENT_PATH,
        event_id_path=mapping.get("event_id") or "",
        fields=dict(mapping.get("fields") or {}),
        enabled=bool(row["enabled"]),
        created_at=row["created_at"],
    )


def _live(organisation_id: int):
    return (TriggerRule.organisation == organisation_id) & TriggerRule.soft_deleted_at.is_null()


async def rules(principal: Principal) -> list[RuleView]:
    rows = (
        await TriggerRule.select()
        .where(_live(principal.organisation_id))
        .order_by(TriggerRule.event_name)
        .order_by(TriggerRule.id)
        .output(load_json=True)
    )
    return [view(row) for row in rows]


async def rule(principal: Principal, rule_id: int) -> RuleView:
    row = (
        await TriggerRule.select()
        .where(_live(principal.organisation_id) & (TriggerRule.id == rule_id))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("There is no such trigger rule.")
    return view(row)


def _clean_tags(tags: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for tag in tags:
        cleaned = " ".join(str(tag).split())
        if cleaned and cleaned.lower() not in seen:
            seen[cleaned.lower()] = cleaned
    return list(seen.values())


def _path_problem(path: str) -> str | None:
    if not PATH.fullmatch(path) or len(path) > 200:
        return "Use a dot path of names, like data.email_address."
    return None


async def _validate(principal: Principal, data: TriggerInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = data.event_name.strip()
    if not name:
        errors["event_name"] = "Name the event this rule reacts to, e.g. trial_started."
    elif len(name) > MAX_EVENT_NAME:
        errors["event_name"] = f"Use at most {MAX_EVENT_NAME} characters."
    if data.action not in TriggerAction.__members__:
        errors["action"] = "Choose what the rule does."
    tags = _clean_tags(data.tags)
    if data.action in (TriggerAction.tag, TriggerAction.untag) and not tags:
        errors["tags"] = "Name at least one tag."
    elif len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
        errors["tags"] = f"Use at most {MAX_TAGS} tags of up to {MAX_TAG} characters."
    paths = {
        "email_path": data.email_path.strip() or DEFAULT_EMAIL_PATH,
        "event_path": data.event_path.strip() or DEFAULT_EVENT_PATH,
        "event_id_path": data.event_id_path.strip(),
    }
    for key, path in paths.items():
        if path and (problem := _path_problem(path)):
            errors[key] = problem
    fields: dict[str, str] = {}
    for target, path in (data.fields or {}).items():
        target, path = str(target).strip(), str(path).strip()
        if not path:
            continue
        if source_problem(target) or target == "entity_type":
            errors["fields"] = f"{target[:40]!r} is not a contact field or attribute:<name>."
        elif problem := _path_problem(path):
            errors["fields"] = f"{target}: {problem}"
        fields[target] = path
    if len(fields) > MAX_FIELDS:
        errors["fields"] = f"Map at most {MAX_FIELDS} fields."
    list_name = ""
    if not data.list_id:
        errors["list_id"] = "Choose the Mailchimp audience the rule acts on."
    else:
        try:
            found = {a.id: a for a in await audiences.audiences(principal)}
        except (NotFound, UpstreamUnavailable) as exc:
            raise InvalidInput({"list_id": exc.detail}) from None
        if data.list_id not in found:
            errors["list_id"] = "That audience is not in the connected Mailchimp account."
        else:
            list_name = found[data.list_id].name
    if errors:
        raise InvalidInput(errors)
    mapping = {"email": paths["email_path"], "event": paths["event_path"], "fields": fields}
    if paths["event_id_path"]:
        mapping["event_id"] = paths["event_id_path"]
    return {
        "event_name": name,
        "action": data.action,
        "list_id": data.list_id,
        "list_name": list_name,
        "tags": tags,
        "mapping": mapping,
        "enabled": bool(data.enabled),
    }


async def create(principal: Principal, data: TriggerInput) -> RuleView:
    principal.require_admin()
    values = await _validate(principal, data)
    async with transaction():
        row = TriggerRule(organisation=principal.organisation_id, **values)
        await row.save()
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="trigger_rule.created",
            entity_type=ENTITY,
            entity_id=row.id,
            changes=values,
        )
    return await rule(principal, row.id)


def as_input(current: RuleView) -> TriggerInput:
    return TriggerInput(
        event_name=current.event_name,
        action=current.action,
        list_id=current.list_id,
        tags=list(current.tags),
        email_path=current.email_path,
        event_path=current.event_path,
        event_id_path=current.event_id_path,
        fields=dict(current.fields),
        enabled=current.enabled,
    )


async def update(principal: Principal, rule_id: int, data: TriggerInput) -> RuleView:
    principal.require_admin()
    current = await rule(principal, rule_id)
    before = await _validate_stored(current)
    values = await _validate(principal, data)
    changes = audit.diff(before, values)
    if not changes:
        return current
    async with transaction():
        await TriggerRule.update(values).where(
            _live(principal.organisation_id) & (TriggerRule.id == rule_id)
        )
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="trigger_rule.updated",
            entity_type=ENTITY,
            entity_id=rule_id,
            changes=changes,
        )
    return await rule(principal, rule_id)


async def _validate_stored(current: RuleView) -> dict[str, Any]:
    mapping: dict[str, Any] = {
        "email": current.email_path,
        "event": current.event_path,
        "fields": current.fields,
    }
    if current.event_id_path:
        mapping["event_id"] = current.event_id_path
    return {
        "event_name": current.event_name,
        "action": current.action,
        "list_id": current.list_id,
        "list_name": current.list_name,
        "tags": current.tags,
        "mapping": mapping,
        "enabled": current.enabled,
    }


async def delete(principal: Principal, rule_id: int) -> RuleView:
    principal.require_admin()
    current = await rule(principal, rule_id)
    async with transaction():
        await TriggerRule.update({TriggerRule.soft_deleted_at: utcnow()}).where(
            _live(principal.organisation_id) & (TriggerRule.id == rule_id)
        )
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="trigger_rule.deleted",
            entity_type=ENTITY,
            entity_id=rule_id,
            changes={"event_name": current.event_name, "action": current.action},
        )
    return current


@dataclass(frozen=True, slots=True)
class Match:
    """What an event's body says, read through the rules it matched."""

    name: str
    email: str
    event_id: str
    rule_ids: list[int]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _first(event: dict[str, Any], paths: tuple[str, ...] | list[str]) -> str:
    return next((found for path in paths if (found := _text(at_path(event, path)))), "")


async def match(organisation_id: int, event: dict[str, Any]) -> Match:
    """The enabled rules this event matches, and its name, email and id as they read them."""
    rows = (
        await TriggerRule.select(TriggerRule.id, TriggerRule.event_name, TriggerRule.mapping)
        .where(_live(organisation_id) & (TriggerRule.enabled == True))  # noqa: E712
        .output(load_json=True)
    )
    matched: list[dict[str, Any]] = []
    for row in rows:
        mapping = row["mapping"] if isinstance(row["mapping"], dict) else {}
        name = _text(at_path(event, mapping.get("event") or DEFAULT_EVENT_PATH))
        if name and name == row["event_name"]:
            matched.append({**row, "mapping": mapping})
    first = matched[0]["mapping"] if matched else {}
    name = matched[0]["event_name"] if matched else _first(event, NAME_PATHS)
    email = _first(event, [first.get("email", DEFAULT_EMAIL_PATH)] if first else EMAIL_PATHS)
    id_paths = [first["event_id"]] if first.get("event_id") else ["event_id"]
    return Match(
        name=name[:100],
        email=email[:254],
        event_id=_first(event, id_paths)[:200],
        rule_ids=sorted(row["id"] for row in matched),
    )


async def live_rules(organisation_id: int, rule_ids: list[int]) -> list[RuleView]:
    """These rules, if they still exist and are enabled (processing re-reads them)."""
    if not rule_ids:
        return []
    rows = (
        await TriggerRule.select()
        .where(
            _live(organisation_id)
            & TriggerRule.id.is_in(list(rule_ids))
            & (TriggerRule.enabled == True)  # noqa: E712
        )
        .order_by(TriggerRule.id)
        .output(load_json=True)
    )
    return [view(row) for row in rows]
