"""Which contacts a segment selects: counted, sampled, or streamed page by page for a sync.

Other domains (segments, sync) reach contacts only through these functions. Pages are keyset
pages on the primary key, so streaming a million contacts holds one page in memory at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.domain.contacts.search import distinct_values
from app.domain.contacts.tables import Contact

CRITERIA_FIELDS = ("department", "location", "employment_type", "employment_status")
STREAM_PAGE = 1000

_COLUMNS = (
    Contact.id,
    Contact.entity_type,
    Contact.external_id,
    Contact.email,
    Contact.first_name,
    Contact.last_name,
    Contact.department,
    Contact.location,
    Contact.employment_type,
    Contact.employment_status,
    Contact.company,
    Contact.phone,
    Contact.attributes,
)


@dataclass(frozen=True, slots=True)
class Criteria:
    """Contacts of these types whose fields take one of the listed values (empty = any)."""

    entity_types: tuple[str, ...] = ()
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    only_ids: tuple[int, ...] | None = None  # "retry rejected": just these contacts


def _where(organisation_id: int, criteria: Criteria):
    condition = (Contact.organisation == organisation_id) & Contact.soft_deleted_at.is_null()
    if criteria.entity_types:
        condition &= Contact.entity_type.is_in(list(criteria.entity_types))
    for name in CRITERIA_FIELDS:
        wanted = criteria.values.get(name)
        if wanted:
            condition &= getattr(Contact, name).is_in(list(wanted))
    if criteria.only_ids is not None:
        condition &= Contact.id.is_in(list(criteria.only_ids) or [-1])
    return condition


def matches(contact: dict[str, Any], criteria: Criteria) -> bool:
    """The same rule as the queries above, for one contact already in hand."""
    if criteria.entity_types and contact.get("entity_type") not in criteria.entity_types:
        return False
    return all(
        not wanted or contact.get(name) in wanted for name, wanted in criteria.values.items()
    )


async def count(organisation_id: int, criteria: Criteria) -> int:
    return await Contact.count().where(_where(organisation_id, criteria))


async def sample(
    organisation_id: int, criteria: Criteria, *, limit: int = 10
) -> list[dict[str, Any]]:
    return (
        await Contact.select(*_COLUMNS)
        .where(_where(organisation_id, criteria))
        .order_by(Contact.sort_name, Contact.id)
        .limit(limit)
        .output(load_json=True)
    )


async def pages(
    organisation_id: int, criteria: Criteria, *, page_size: int = STREAM_PAGE
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every selected contact, in id order, one page at a time."""
    last_id = 0
    while True:
        rows = (
            await Contact.select(*_COLUMNS)
            .where(_where(organisation_id, criteria) & (Contact.id > last_id))
            .order_by(Contact.id)
            .limit(page_size)
            .output(load_json=True)
        )
        if not rows:
            return
        yield rows
        last_id = rows[-1]["id"]
        if len(rows) < page_size:
            return


async def filter_values(organisation_id: int) -> dict[str, list[str]]:
    """The values present in the organisation's contacts, for each criteria field."""
    found = await distinct_values(organisation_id, CRITERIA_FIELDS)
    return {name: [v for v in found.get(name, []) if v] for name in CRITERIA_FIELDS}


async def by_ids(organisation_id: int, contact_ids: Sequence[int]) -> list[dict[str, Any]]:
    if not contact_ids:
        return []
    return (
        await Contact.select(*_COLUMNS)
        .where(
            (Contact.organisation == organisation_id)
            & Contact.soft_deleted_at.is_null()
            & Contact.id.is_in(list(contact_ids))
        )
        .output(load_json=True)
    )
