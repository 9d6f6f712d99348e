"""What a segment would send, before anything is sent: who matches, and who would fail.

The count and sample answer as filters change (debounced, on every keystroke's pause); the
merge-field check reads every matching contact, a page at a time, so it is loaded on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.accounts.principal import Principal
from app.domain.connections import audiences
from app.domain.contacts import selection
from app.domain.segments.merge_values import Problem, merge_values
from app.domain.segments.services import specs_from

SAMPLE_SIZE = 8
SHOWN_PROBLEMS = 50
# Larger segments are checked when someone asks: reading 100,000 contacts takes seconds.
AUTO_CHECK_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Matches:
    count: int
    sample: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class FailingRow:
    contact: dict[str, Any]
    problems: list[Problem]


@dataclass(frozen=True, slots=True)
class MergeFieldCheck:
    checked: int
    failing: int
    shown: list[FailingRow]


async def matches(principal: Principal, criteria: selection.Criteria) -> Matches:
    count = await selection.count(principal.organisation_id, criteria)
    sample = await selection.sample(principal.organisation_id, criteria, limit=SAMPLE_SIZE)
    return Matches(count=count, sample=sample)


async def merge_field_check(
    principal: Principal, criteria: selection.Criteria, *, list_id: str, mapping: dict[str, str]
) -> MergeFieldCheck:
    """Every matching contact checked against the audience's merge-field rules."""
    specs = specs_from(await audiences.merge_fields(principal, list_id))
    checked = failing = 0
    shown: list[FailingRow] = []
    async for page in selection.pages(principal.organisation_id, criteria):
        for contact in page:
            checked += 1
            _, problems = merge_values(contact, mapping, specs)
            if problems:
                failing += 1
                if len(shown) < SHOWN_PROBLEMS:
                    shown.append(FailingRow(contact, problems))
    return MergeFieldCheck(checked=checked, failing=failing, shown=shown)
