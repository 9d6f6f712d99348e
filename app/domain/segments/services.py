"""Segments: who belongs in which Mailchimp audience, with which fields and tags.

A segment is validated against the audience it targets (the audience exists in the connected
account, every merge tag it maps exists there, required merge fields are mapped) when saved.
One live segment feeds an audience, so the question "who should be in it" has one answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.connections import audiences
from app.domain.contacts import selection
from app.domain.segments.merge_values import CONTACT_FIELDS, MergeFieldSpec, source_problem
from app.domain.segments.tables import RemovalPolicy, Segment, SegmentStatus, SegmentType
from app.lib import audit
from app.lib.errors import InvalidInput, NotFound
from app.lib.pagination import Page, keyset_page

logger = logging.getLogger(__name__)

MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_TAGS = 50
MAX_TAG = 100
STATUSES_IF_NEW = ("subscribed", "pending")
_EDITABLE = (
    "name",
    "description",
    "segment_type",
    "list_id",
    "list_name",
    "filter_criteria",
    "field_mapping",
    "tags",
    "status_if_new",
    "removal_policy",
)


@dataclass(slots=True)
class SegmentInput:
    """What a person (form) or a program (API) asks a segment to be."""

    name: str = ""
    description: str = ""
    segment_type: str = SegmentType.employee.value
    list_id: str = ""
    filter_criteria: dict[str, list[str]] = field(default_factory=dict)
    field_mapping: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    status_if_new: str = "subscribed"
    removal_policy: str = RemovalPolicy.none.value


def criteria_of(
    segment: dict[str, Any] | Segment, only_ids: tuple[int, ...] | None = None
) -> selection.Criteria:
    data = segment if isinstance(segment, dict) else segment.to_dict()
    kind = data["segment_type"]
    types = () if kind == SegmentType.mixed else (kind,)
    wanted = data.get("filter_criteria") or {}
    values = {k: tuple(v) for k, v in wanted.items() if k in selection.CRITERIA_FIELDS and v}
    return selection.Criteria(entity_types=types, values=values, only_ids=only_ids)


def specs_from(fields: list[audiences.MergeFieldSummary]) -> list[MergeFieldSpec]:
    return [
        MergeFieldSpec(f.tag, f.name, f.type, f.required, f.date_format, tuple(f.choices))
        for f in fields
        if f.tag != "EMAIL"
    ]


def _clean_tags(tags: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for tag in tags:
        cleaned = " ".join(str(tag).split())
        if cleaned and cleaned.lower() not in seen:
            seen[cleaned.lower()] = cleaned
    return list(seen.values())


async def _validate(
    principal: Principal, data: SegmentInput, segment_id: int | None
) -> dict[str, Any]:
    """Check everything; return the row's values, or raise InvalidInput with every problem."""
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "Give the segment a name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Use at most {MAX_NAME} characters."
    if len(data.description) > MAX_DESCRIPTION:
        errors["description"] = f"Use at most {MAX_DESCRIPTION} characters."
    if data.segment_type not in SegmentType.__members__:
        errors["segment_type"] = "Choose employees, vendors or mixed."
    if data.status_if_new not in STATUSES_IF_NEW:
        errors["status_if_new"] = "Choose subscribed, or pending for double opt-in."
    if data.removal_policy not in RemovalPolicy.__members__:
        errors["removal_policy"] = "Choose what happens to people who leave the segment."
    criteria: dict[str, list[str]] = {}
    for key, values in (data.filter_criteria or {}).items():
        if key not in selection.CRITERIA_FIELDS:
            errors["filter_criteria"] = f"{key!r} is not something segments filter on."
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            errors["filter_criteria"] = f"{key} takes a list of values."
            continue
        if len(values) > 200:
            errors["filter_criteria"] = f"{key} lists too many values (at most 200)."
        if values:
            criteria[key] = sorted({v.strip() for v in values if v.strip()})
    tags = _clean_tags(data.tags)
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
        errors["tags"] = f"Use at most {MAX_TAGS} tags of up to {MAX_TAG} characters."
    list_name, mapping = "", {}
    if not data.list_id:
        errors["list_id"] = "Choose the Mailchimp audience this segment feeds."
    else:
        found = {a.id: a for a in await audiences.audiences(principal)}
        audience = found.get(data.list_id)
        if audience is None:
            errors["list_id"] = "That audience is not in the connected Mailchimp account."
        else:
            list_name = audience.name
            if other := await _segment_feeding(principal, data.list_id, segment_id):
                errors["list_id"] = (
                    f"The segment “{other}” already feeds {audience.name}; edit that one, or "
                    "choose another audience."
                )
            fields = await audiences.merge_fields(principal, data.list_id)
            mapping, problem = _check_mapping(data.field_mapping, specs_from(fields))
            if problem:
                errors["field_mapping"] = problem
    if errors:
        raise InvalidInput(errors)
    return {
        "name": name,
        "description": data.description.strip(),
        "segment_type": data.segment_type,
        "list_id": data.list_id,
        "list_name": list_name,
        "filter_criteria": criteria,
        "field_mapping": mapping,
        "tags": tags,
        "status_if_new": data.status_if_new,
        "removal_policy": data.removal_policy,
    }


def _check_mapping(
    wanted: dict[str, str], specs: list[MergeFieldSpec]
) -> tuple[dict[str, str], str | None]:
    by_tag = {s.tag: s for s in specs}
    mapping = {
        tag: source.strip() for tag, source in (wanted or {}).items() if source and source.strip()
    }
    unknown = sorted(set(mapping) - set(by_tag))
    if unknown:
        return mapping, f"The audience has no merge field {', '.join(unknown)}."
    for tag, source in mapping.items():
        if problem := source_problem(source):
            return mapping, f"{tag}: {problem}"
    unmapped = [f"{s.tag} ({s.name})" for s in specs if s.required and s.tag not in mapping]
    if unmapped:
        return mapping, f"The audience requires {', '.join(unmapped)}: map a contact field to it."
    return mapping, None


async def _segment_feeding(principal: Principal, list_id: str, except_id: int | None) -> str | None:
    query = Segment.select(Segment.name).where(
        (Segment.organisation == principal.organisation_id)
        & (Segment.list_id == list_id)
        & Segment.soft_deleted_at.is_null()
    )
    if except_id is not None:
        query = query.where(Segment.id != except_id)
    row = await query.first()
    return row["name"] if row else None


def _live(principal: Principal):
    return (Segment.organisation == principal.organisation_id) & Segment.soft_deleted_at.is_null()


async def get(principal: Principal, segment_id: int) -> Segment:
    segment = (
        await Segment.objects()
        .where(_live(principal) & (Segment.id == segment_id))
        .output(load_json=True)
        .first()
    )
    if segment is None:
        raise NotFound("There is no such segment.")
    return segment


async def list_segments(
    principal: Principal, *, cursor: str | None = None, limit: int | None = None
) -> Page[dict]:
    query = Segment.select().where(_live(principal)).output(load_json=True)
    return await keyset_page(
        query, sort=Segment.name, id_column=Segment.id, descending=False, cursor=cursor, limit=limit
    )


async def status_summary(principal: Principal) -> dict[str, Any]:
    """Live segments by sync status, and when the latest of them last synced."""
    rows = await Segment.select(Segment.status, Segment.last_synced_at).where(_live(principal))
    counts = {status.value: 0 for status in SegmentStatus}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    synced = [row["last_synced_at"] for row in rows if row["last_synced_at"] is not None]
    return {"total": len(rows), "counts": counts, "last_synced_at": max(synced, default=None)}


async def create(principal: Principal, data: SegmentInput) -> Segment:
    values = await _validate(principal, data, None)
    async with transaction():
        segment = Segment(
            organisation=principal.organisation_id, status=SegmentStatus.pending, **values
        )
        await segment.save()
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="segment.created",
            entity_type="segment",
            entity_id=segment.id,
            changes=values,
        )
    await _listen_to(principal, segment.list_id)
    return await get(principal, segment.id)


async def update(principal: Principal, segment_id: int, data: SegmentInput) -> Segment:
    segment = await get(principal, segment_id)
    before = {name: getattr(segment, name) for name in _EDITABLE}
    values = await _validate(principal, data, segment_id)
    changes = audit.diff(before, values)
    if not changes:
        return segment
    async with transaction():
        for name, value in values.items():
            setattr(segment, name, value)
        # A new audience starts from scratch: nothing is known to be there yet.
        if values["list_id"] != before["list_id"]:
            segment.members_refreshed_at = None
        await segment.save()
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="segment.updated",
            entity_type="segment",
            entity_id=segment.id,
            changes=changes,
        )
    if "list_id" in changes:
        await _listen_to(principal, segment.list_id)
    return await get(principal, segment_id)


async def _listen_to(principal: Principal, list_id: str) -> None:
    """Mailchimp's changes to the audience flow back through our webhook on it. A failed
    registration is recorded on the webhook (the segment page offers Re-register); the
    segment is saved either way."""
    from app.domain.inbound import mailchimp_webhooks

    try:
        await mailchimp_webhooks.audience_targeted(principal, list_id)
    except Exception:  # the segment is saved; the Events page shows the webhook's state
        logger.exception("registering the audience webhook failed", extra={"list_id": list_id})


async def delete(principal: Principal, segment_id: int) -> None:
    """Soft delete: the segment stops syncing; Mailchimp's audience is left as it is."""
    segment = await get(principal, segment_id)
    async with transaction():
        segment.soft_deleted_at = utcnow()
        await segment.save([Segment.soft_deleted_at])
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="segment.deleted",
            entity_type="segment",
            entity_id=segment.id,
            changes={"name": segment.name},
        )


async def containing(principal: Principal, contact_id: int) -> list[dict[str, Any]]:
    """The live segments a contact currently falls in (for its page)."""
    found = await selection.by_ids(principal.organisation_id, [contact_id])
    if not found:
        raise NotFound("There is no such contact.")
    contact = found[0]
    rows = (
        await Segment.select().where(_live(principal)).order_by(Segment.name).output(load_json=True)
    )
    return [row for row in rows if selection.matches(contact, criteria_of(row))]


def mapping_choices() -> list[tuple[str, str]]:
    return list(CONTACT_FIELDS.items())
