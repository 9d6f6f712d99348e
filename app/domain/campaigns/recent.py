"""“Import recent campaigns”: the connected account's campaigns, newest first, to pick from.

Every page of Mailchimp's campaign list is read (the client pages 1,000 at a time), the answer
is cached for five minutes per connection (paging through the picker must not re-read the whole
account), and picked campaigns are tracked one by one through `services.track`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import msgspec

from app.domain.accounts.principal import Principal
from app.domain.campaigns import services
from app.domain.campaigns.figures import parse_time, status_label
from app.domain.connections import services as connections
from app.lib.errors import InvalidInput, ListbridgeError, NotFound, UpstreamUnavailable
from app.lib.redis import shared_client
from app.mailchimp.errors import MailchimpError, Unauthorized

CACHE_SECONDS = 300
PAGE_SIZE = 25
_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class RecentCampaign:
    id: str
    title: str
    subject: str
    status: str
    list_name: str
    emails_sent: int
    create_time: str
    send_time: str

    @property
    def name(self) -> str:
        return self.title or self.subject or f"Campaign {self.id}"

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def created(self) -> datetime | None:
        return parse_time(self.create_time)

    @property
    def sent(self) -> datetime | None:
        return parse_time(self.send_time)


@dataclass(frozen=True, slots=True)
class RecentPage:
    items: list[RecentCampaign]
    number: int
    pages: int
    total: int
    tracked: dict[str, int] = field(default_factory=dict)  # Mailchimp ID -> tracking row

    @property
    def pickable(self) -> int:
        """Campaigns on this page that aren't tracked yet."""
        return sum(1 for c in self.items if c.id not in self.tracked)

    @property
    def first(self) -> int:
        """The position of this page's first campaign in the whole list (from 1)."""
        return (self.number - 1) * PAGE_SIZE + 1


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    tracked: list[services.CampaignView] = field(default_factory=list)
    already_tracked: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (campaign ID, why)


async def _load(principal: Principal) -> list[dict[str, str | int]]:
    try:
        async with await connections.client_for(
            principal.organisation_id, interactive=True
        ) as client:
            found = [c async for c in client.campaigns(sort_field="create_time", sort_dir="DESC")]
    except Unauthorized:
        raise UpstreamUnavailable(
            connections.REJECTED_KEY, title="Mailchimp rejected the connection"
        ) from None
    except MailchimpError:
        raise UpstreamUnavailable(
            "We couldn't reach Mailchimp to list its campaigns. Try again in a minute."
        ) from None
    campaigns = [
        RecentCampaign(
            id=c.id,
            title=c.settings.title or "",
            subject=c.settings.subject_line or "",
            status=c.status or "",
            list_name=c.recipients.list_name or "",
            emails_sent=c.emails_sent or 0,
            create_time=c.create_time or "",
            send_time=c.send_time or "",
        )
        for c in found
    ]
    campaigns.sort(key=lambda c: c.created or _OLDEST, reverse=True)
    return [asdict(c) for c in campaigns]


async def recent_campaigns(principal: Principal, *, refresh: bool = False) -> list[RecentCampaign]:
    """Every campaign in the connected account, newest first (cached for five minutes)."""
    connection = await connections.current(principal)
    if connection is None:
        raise NotFound("Connect a Mailchimp account first (Settings → Mailchimp).")
    key = f"listbridge:cache:connection:{connection.id}:campaigns"
    redis = shared_client()
    if not refresh and (raw := await redis.get(key)) is not None:
        return [RecentCampaign(**item) for item in msgspec.json.decode(raw)]
    loaded = await _load(principal)
    await redis.set(key, msgspec.json.encode(loaded), ex=CACHE_SECONDS)
    return [RecentCampaign(**item) for item in loaded]


async def recent_page(
    principal: Principal, *, number: int = 1, refresh: bool = False
) -> RecentPage:
    found = await recent_campaigns(principal, refresh=refresh)
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    number = min(max(number, 1), pages)
    items = found[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    tracked = await services.tracked_ids(principal, [c.id for c in items])
    return RecentPage(items=items, number=number, pages=pages, total=len(found), tracked=tracked)


async def import_campaigns(principal: Principal, campaign_ids: list[str]) -> ImportOutcome:
    """Track each picked campaign; one that fails doesn't stop the others."""
    picked = list(dict.fromkeys(campaign_ids))  # in order, without repeats
    if not picked:
        raise InvalidInput({"campaign_id": "Pick at least one campaign to track."})
    if len(picked) > PAGE_SIZE:
        raise InvalidInput({"campaign_id": f"Pick at most {PAGE_SIZE} campaigns at a time."})
    outcome = ImportOutcome()
    for campaign_id in picked:
        try:
            outcome.tracked.append(await services.track(principal, campaign_id=campaign_id))
        except ListbridgeError as exc:
            if exc.status_code == 409:
                outcome.already_tracked.append(campaign_id)
            else:
                reason = next(iter(exc.errors.values()), exc.detail)
                outcome.failed.append((campaign_id, reason))
    return outcome
