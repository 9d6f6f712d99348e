"""Subscriber status: per audience, how many members are subscribed, unsubscribed, cleaned,
pending or archived (from `audience_members`, which Mailchimp's webhooks keep current), how
many contacts can still be reached, and each contact's status in each audience.

Only geometry is computed here; `templates/dashboard/_status_chart.html` draws the SVG, so all
text goes through Jinja's autoescape.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.accounts.principal import Principal
from app.domain.connections.audiences import audiences as connected_audiences
from app.domain.contacts import services as contacts
from app.domain.segments import audience_status
from app.domain.segments.audience_status import STATUSES
from app.lib.errors import ListbridgeError, NotFound

STATUS_LABELS = {
    "subscribed": "Subscribed",
    "unsubscribed": "Unsubscribed",
    "cleaned": "Cleaned",
    "pending": "Pending",
    "archived": "Archived",
}
# Chart geometry (SVG user units; the chart scales to its container).
WIDTH, LABEL_WIDTH, VALUE_WIDTH = 360, 100, 50
BAR_HEIGHT, GAP, TOP = 22, 8, 6


@dataclass(frozen=True, slots=True)
class Bar:
    status: str
    label: str
    count: int
    y: float
    width: float


@dataclass(frozen=True, slots=True)
class AudienceStatus:
    list_id: str
    name: str
    counts: dict[str, int]
    total: int
    bars: tuple[Bar, ...]
    width: int = WIDTH
    height: int = 0
    bar_left: int = LABEL_WIDTH
    bar_right: int = WIDTH - VALUE_WIDTH

    @property
    def summary(self) -> str:
        parts = [f"{self.counts[s]:,} {STATUS_LABELS[s].lower()}" for s in STATUSES]
        return f"{self.name}: {self.total:,} members — " + ", ".join(parts) + "."


def _chart(list_id: str, name: str, counts: dict[str, int]) -> AudienceStatus:
    largest = max([*counts.values(), 1])
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = tuple(
        Bar(
            status=status,
            label=STATUS_LABELS[status],
            count=counts[status],
            y=TOP + index * (BAR_HEIGHT + GAP),
            # A non-zero count always shows a sliver, so it never reads as none.
            width=max(span * counts[status] / largest, 2.0 if counts[status] else 0.0),
        )
        for index, status in enumerate(STATUSES)
    )
    return AudienceStatus(
        list_id=list_id,
        name=name,
        counts=counts,
        total=sum(counts.values()),
        bars=bars,
        height=int(TOP * 2 + len(STATUSES) * (BAR_HEIGHT + GAP) - GAP),
    )


def _counts(raw: dict[str, int]) -> dict[str, int]:
    return {status: int(raw.get(status, 0)) for status in STATUSES}


async def audience_names(principal: Principal) -> dict[str, str]:
    """Audience names by list id: the connected account's (cached briefly), else the names
    our segments recorded; an id stands in when neither knows it."""
    names = await audience_status.audience_names(principal.organisation_id)
    # Not connected, or Mailchimp unreachable: the page still shows, with what we know.
    with contextlib.suppress(ListbridgeError):
        names.update({a.id: a.name for a in await connected_audiences(principal)})
    return names


async def audiences(principal: Principal) -> list[AudienceStatus]:
    """Every audience we know members of (and every audience a segment feeds, even empty)."""
    names = await audience_names(principal)
    counts = await audience_status.status_counts(principal.organisation_id)
    list_ids = sorted(set(names) | set(counts), key=lambda i: (names.get(i, i).lower(), i))
    return [_chart(i, names.get(i, i), _counts(counts.get(i, {}))) for i in list_ids]


async def audience_counts(principal: Principal, list_id: str) -> dict[str, int]:
    organisation_id = principal.organisation_id
    counts = await audience_status.status_counts(organisation_id, list_id)
    # An audience we hold no members of and no segment feeds is not this organisation's.
    if list_id not in counts and list_id not in await audience_status.targeted_audiences(
        organisation_id
    ):
        raise NotFound("No segment of this organisation feeds that audience.")
    return _counts(counts.get(list_id, {}))


async def reachability(principal: Principal) -> contacts.Reachability:
    return await contacts.reachability(principal)


@dataclass(frozen=True, slots=True)
class Membership:
    list_id: str
    name: str
    email: str
    status: str
    tags: list[str]
    last_changed: datetime | None

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status or "Unknown")


async def contact_audiences(principal: Principal, contact: dict[str, Any]) -> dict[str, Any]:
    """For a contact's page: its status in each audience, and whether it can be reached."""
    rows = await audience_status.memberships(
        principal.organisation_id, contact["id"], contact["email"]
    )
    names = await audience_names(principal) if rows else {}
    unreachable = await contacts.unreachable_since(principal, contact["id"])
    return {
        "memberships": [
            Membership(
                list_id=row["list_id"],
                name=names.get(row["list_id"], row["list_id"]),
                email=row["email"],
                status=row["status"] or "subscribed",
                tags=list(row["tags"] or []),
                last_changed=row["last_changed"],
            )
            for row in rows
        ],
        "unreachable": unreachable,
    }
