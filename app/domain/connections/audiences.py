"""The connected account's audiences and their merge fields, cached briefly per connection.

Pages open the audience picker often; Mailchimp's answer changes rarely. Five minutes of
cache in Redis keeps pages fast and spares the account's 10 connections; "refresh" bypasses it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import msgspec

from app.domain.accounts.principal import Principal
from app.domain.connections import services
from app.domain.connections.tables import MailchimpConnection
from app.lib.errors import NotFound, UpstreamUnavailable
from app.lib.redis import shared_client
from app.mailchimp.errors import MailchimpError, Unauthorized
from app.mailchimp.errors import NotFound as MailchimpNotFound

CACHE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class AudienceSummary:
    id: str
    name: str
    member_count: int
    double_optin: bool


@dataclass(frozen=True, slots=True)
class MergeFieldSummary:
    tag: str
    name: str
    type: str
    required: bool
    date_format: str | None = None
    choices: tuple[str, ...] = ()


async def _connection(principal: Principal) -> MailchimpConnection:
    row = await services.live_connection(principal.organisation_id)
    if row is None:
        raise NotFound("Connect a Mailchimp account first (Settings → Mailchimp).")
    return row


def _key(row: MailchimpConnection, what: str) -> str:
    return f"listbridge:cache:connection:{row.id}:{what}"


async def _cached(key: str, refresh: bool, load):
    redis = shared_client()
    if not refresh and (raw := await redis.get(key)) is not None:
        return msgspec.json.decode(raw)
    value = await load()
    await redis.set(key, msgspec.json.encode(value), ex=CACHE_SECONDS)
    return value


def _upstream(error: MailchimpError) -> Exception:
    if isinstance(error, Unauthorized):
        return UpstreamUnavailable(services.REJECTED_KEY, title="Mailchimp rejected the connection")
    return UpstreamUnavailable(services.UNREACHABLE.replace(", so nothing was saved", ""))


async def audiences(principal: Principal, *, refresh: bool = False) -> list[AudienceSummary]:
    row = await _connection(principal)

    async def load() -> list[dict]:
        try:
            async with services.client_for_row(row, interactive=True) as client:
                found = await client.all_lists()
        except MailchimpError as exc:
            raise _upstream(exc) from None
        return [
            asdict(AudienceSummary(a.id, a.name, a.stats.member_count, a.double_optin))
            for a in sorted(found, key=lambda a: a.name.lower())
        ]

    return [
        AudienceSummary(**item) for item in await _cached(_key(row, "audiences"), refresh, load)
    ]


async def merge_fields(
    principal: Principal, list_id: str, *, refresh: bool = False
) -> list[MergeFieldSummary]:
    row = await _connection(principal)

    async def load() -> list[dict]:
        try:
            async with services.client_for_row(row, interactive=True) as client:
                fields = await client.merge_fields(list_id)
        except MailchimpNotFound:
            raise NotFound(
                "That audience doesn't exist in the connected Mailchimp account."
            ) from None
        except MailchimpError as exc:
            raise _upstream(exc) from None
        ordered = sorted(fields, key=lambda f: (f.display_order or 0, f.tag))
        return [
            asdict(
                MergeFieldSummary(
                    tag=f.tag,
                    name=f.name,
                    type=f.type,
                    required=f.required,
                    date_format=f.options.date_format,
                    choices=tuple(f.options.choices or ()),
                )
            )
            for f in ordered
        ]

    cached = await _cached(_key(row, f"merge-fields:{list_id}"), refresh, load)
    return [MergeFieldSummary(**{**item, "choices": tuple(item["choices"])}) for item in cached]
