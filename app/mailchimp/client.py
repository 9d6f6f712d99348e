"""The only code in Listbridge that speaks HTTP to Mailchimp's Marketing API 3.0.

Built from explicit credentials (never from app settings); `base_url` points it at the offline
sandbox and `transport` lets tests run that sandbox in process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx

from app.mailchimp.batch import (
    BATCH_LIMIT,
    MemberInput,
    member_payloads,
    point_errors_at_inputs,
    subscribe_in_chunks,
)
from app.mailchimp.credentials import Credentials
from app.mailchimp.limiter import ConcurrencyLimiter, LocalConcurrencyLimiter
from app.mailchimp.models import (
    Account,
    Audience,
    AudiencePage,
    BatchResult,
    Campaign,
    CampaignPage,
    CampaignReport,
    Member,
    MemberPage,
    MemberStatus,
    MemberTag,
    MemberTagPage,
    MemberUpsert,
    MergeField,
    MergeFieldPage,
    Page,
    Ping,
    Webhook,
    WebhookPage,
)
from app.mailchimp.paths import member_path, resource_path, subscriber_hash
from app.mailchimp.retry import RetryPolicy
from app.mailchimp.session import ApiSession, Sleep, decode

# Mailchimp's own limit is 120 s per call; connecting should never take long.
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0, pool=10.0)
# Mailchimp's largest page; its default of 10 silently loses data when nobody pages.
PAGE_SIZE = 1000
WEBHOOK_EVENTS = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
WEBHOOK_SOURCES = ("user", "admin", "api")


def _flags(chosen: Collection[str], known: tuple[str, ...], what: str) -> dict[str, bool]:
    unknown = set(chosen) - set(known)
    if unknown:
        raise ValueError(f"Unknown webhook {what}: {', '.join(sorted(unknown))}")
    return {name: name in chosen for name in known}


class MailchimpClient:
    """Async Mailchimp client: `async with MailchimpClient(ApiKeyCredentials(key)) as mc: ...`.

    `limiter` caps requests in flight per `account_key` (default: an in-process semaphore of
    10; pass a RedisConcurrencyLimiter when several processes talk to one account).
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: ConcurrencyLimiter | None = None,
        account_key: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        lease = getattr(limiter, "lease_seconds", None)
        if lease is not None and timeout.read is not None and lease <= timeout.read:
            raise ValueError("The limiter's lease_seconds must exceed the read timeout.")
        self.base_url = (base_url or credentials.base_url).rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=credentials.http_auth(),
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": "Listbridge"},
        )
        self._session = ApiSession(
            http=self._http,
            limiter=limiter or LocalConcurrencyLimiter(),
            account_key=account_key or credentials.fingerprint,
            retry=retry or RetryPolicy(),
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"MailchimpClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(
        self, path: str, into: type[Any], params: Mapping[str, Any] | None = None
    ) -> Any:
        return decode(await self._session.send("GET", path, params=params), into)

    async def _each(
        self, path: str, into: type[Page], params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Any]:
        """Yield every item of a collection, fetching PAGE_SIZE at a time and keeping one page."""
        offset = 0
        while True:
            query = {**(params or {}), "count": PAGE_SIZE, "offset": offset}
            page: Page = await self._get(path, into, query)
            for item in page.items:
                yield item
            offset += PAGE_SIZE
            if len(page.items) < PAGE_SIZE or (
                page.total_items is not None and offset >= page.total_items
            ):
                return

    # Account

    async def ping(self) -> Ping:
        return await self._get("/ping", Ping)

    async def account(self) -> Account:
        return await self._get("/", Account)

    # Audiences

    def lists(self) -> AsyncIterator[Audience]:
        """Every audience of the account, across as many pages as it takes."""
        return self._each("/lists", AudiencePage)

    async def all_lists(self) -> list[Audience]:
        return [audience async for audience in self.lists()]

    async def get_list(self, list_id: str) -> Audience:
        return await self._get(resource_path("lists", list_id), Audience)

    async def merge_fields(self, list_id: str) -> list[MergeField]:
        path = resource_path("lists", list_id, "merge-fields")
        return [merge_field async for merge_field in self._each(path, MergeFieldPage)]

    # Members

    async def batch_subscribe(
        self,
        list_id: str,
        members: Sequence[MemberInput],
        *,
        update_existing: bool = True,
        sync_tags: bool = False,
        skip_merge_validation: bool = False,
    ) -> BatchResult:
        """Add or update up to 500 members in one call; refused members come back in `errors`.

        Each error's `index` is the position of its member in `members`.
        """
        if len(members) > BATCH_LIMIT:
            raise ValueError(f"Mailchimp takes at most {BATCH_LIMIT} members per batch.")
        body: dict[str, Any] = {
            "members": member_payloads(members),
            "update_existing": update_existing,
        }
        if sync_tags:
            body["sync_tags"] = True
        params = {"skip_merge_validation": True} if skip_merge_validation else None
        response = await self._session.send(
            "POST", resource_path("lists", list_id), params=params, json=body
        )
        result = decode(response, BatchResult)
        point_errors_at_inputs(result.errors, members)
        return result

    async def batch_subscribe_all(
        self,
        list_id: str,
        members: Sequence[MemberInput],
        *,
        concurrency: int = 10,
        update_existing: bool = True,
        sync_tags: bool = False,
        skip_merge_validation: bool = False,
    ) -> BatchResult:
        """Any number of members, 500 per call, a few calls at once; one merged result.

        Error indexes point into `members`. If a call fails outright the others are cancelled and
        its exception is raised: upserts are safe to send again.
        """

        async def send(chunk: Sequence[MemberInput]) -> BatchResult:
            return await self.batch_subscribe(
                list_id,
                chunk,
                update_existing=update_existing,
                sync_tags=sync_tags,
                skip_merge_validation=skip_merge_validation,
            )

        return await subscribe_in_chunks(send, members, concurrency=concurrency)

    async def upsert_member(
        self,
        list_id: str,
        email: str,
        *,
        status_if_new: MemberStatus | None = None,
        status: MemberStatus | None = None,
        merge_fields: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        interests: Mapping[str, bool] | None = None,
        language: str | None = None,
        skip_merge_validation: bool = False,
    ) -> Member:
        """Add or update one member (PUT); only the fields given are sent."""
        body = MemberUpsert(
            email_address=email.strip(),
            status_if_new=status_if_new,
            status=status,
            merge_fields=dict(merge_fields) if merge_fields is not None else None,
            tags=list(tags) if tags is not None else None,
            interests=dict(interests) if interests is not None else None,
            language=language,
        )
        params = {"skip_merge_validation": True} if skip_merge_validation else None
        path = member_path(list_id, subscriber_hash(email))
        response = await self._session.send("PUT", path, params=params, json=body)
        return decode(response, Member)

    async def get_member(self, list_id: str, email_or_hash: str) -> Member:
        path = member_path(list_id, email_or_hash)
        return await self._get(path, Member)

    def iter_members(
        self,
        list_id: str,
        *,
        since_last_changed: datetime | None = None,
        status: MemberStatus | None = None,
        fields: Sequence[str] | None = None,
    ) -> AsyncIterator[Member]:
        """Stream every member, a page of 1000 at a time; `fields` names member fields."""
        params: dict[str, Any] = {}
        if since_last_changed is not None:
            if since_last_changed.tzinfo is None:
                raise ValueError("since_last_changed needs a time zone.")
            params["since_last_changed"] = since_last_changed.isoformat(timespec="seconds")
        if status is not None:
            params["status"] = status
        if isinstance(fields, str):
            # A string is a sequence too: it would be sent letter by letter.
            raise TypeError("fields takes member field names, e.g. ('status', 'tags').")
        if fields is not None:
            # id and email_address are needed to build a Member, total_items to page.
            wanted = dict.fromkeys(["id", "email_address", *fields])
            params["fields"] = ",".join(["total_items", *(f"members.{f}" for f in wanted)])
        return self._each(resource_path("lists", list_id, "members"), MemberPage, params)

    async def member_tags(self, list_id: str, email_or_hash: str) -> list[MemberTag]:
        path = member_path(list_id, email_or_hash, "tags")
        return [tag async for tag in self._each(path, MemberTagPage)]

    async def update_member_tags(
        self,
        list_id: str,
        email_or_hash: str,
        *,
        active: Collection[str] = (),
        inactive: Collection[str] = (),
        is_syncing: bool = False,
    ) -> None:
        """Switch tags on and off; tags not named are left alone, unknown active ones created."""
        tags = [{"name": name, "status": "active"} for name in active]
        tags += [{"name": name, "status": "inactive"} for name in inactive]
        if not tags:
            return
        body: dict[str, Any] = {"tags": tags}
        if is_syncing:
            body["is_syncing"] = True
        path = member_path(list_id, email_or_hash, "tags")
        await self._session.send("POST", path, json=body)

    async def archive_member(self, list_id: str, email_or_hash: str) -> None:
        path = member_path(list_id, email_or_hash)
        await self._session.send("DELETE", path)

    async def delete_member_permanently(self, list_id: str, email_or_hash: str) -> None:
        """Erase the member's personal data; Mailchimp will refuse to re-import the address."""
        path = member_path(list_id, email_or_hash, "actions", "delete-permanent")
        await self._session.send("POST", path)

    # Campaigns

    async def get_campaign(self, campaign_id: str) -> Campaign:
        return await self._get(resource_path("campaigns", campaign_id), Campaign)

    def campaigns(
        self,
        *,
        status: str | None = None,
        list_id: str | None = None,
        since_send_time: datetime | None = None,
        sort_field: str | None = None,
        sort_dir: str | None = None,
    ) -> AsyncIterator[Campaign]:
        given = {
            "status": status,
            "list_id": list_id,
            "since_send_time": since_send_time.isoformat() if since_send_time else None,
            "sort_field": sort_field,
            "sort_dir": sort_dir,
        }
        params = {name: value for name, value in given.items() if value is not None}
        return self._each("/campaigns", CampaignPage, params)

    async def create_campaign(
        self,
        *,
        list_id: str,
        subject_line: str,
        title: str,
        from_name: str,
        reply_to: str,
        type: str = "regular",
    ) -> Campaign:
        """Create a draft campaign (used to seed demo and test data)."""
        body = {
            "type": type,
            "recipients": {"list_id": list_id},
            "settings": {
                "subject_line": subject_line,
                "title": title,
                "from_name": from_name,
                "reply_to": reply_to,
            },
        }
        response = await self._session.send("POST", "/campaigns", json=body, idempotent=False)
        return decode(response, Campaign)

    async def campaign_report(self, campaign_id: str) -> CampaignReport:
        return await self._get(resource_path("reports", campaign_id), CampaignReport)

    # Audience webhooks

    async def create_webhook(
        self,
        list_id: str,
        url: str,
        *,
        events: Collection[str] = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail"),
        sources: Collection[str] = ("user", "admin"),
    ) -> Webhook:
        """Register a webhook; keep the returned `signing_secret`, Mailchimp shows it only once.

        The default sources leave out "api" so our own changes do not echo back to us.
        """
        body = {
            "url": url,
            "events": _flags(events, WEBHOOK_EVENTS, "events"),
            "sources": _flags(sources, WEBHOOK_SOURCES, "sources"),
        }
        path = resource_path("lists", list_id, "webhooks")
        response = await self._session.send("POST", path, json=body, idempotent=False)
        return decode(response, Webhook)

    async def webhooks(self, list_id: str) -> list[Webhook]:
        page = await self._get(resource_path("lists", list_id, "webhooks"), WebhookPage)
        return page.webhooks

    async def update_webhook(
        self,
        list_id: str,
        webhook_id: str,
        *,
        url: str | None = None,
        events: Collection[str] | None = None,
        sources: Collection[str] | None = None,
    ) -> Webhook:
        body: dict[str, Any] = {}
        if url is not None:
            body["url"] = url
        if events is not None:
            body["events"] = _flags(events, WEBHOOK_EVENTS, "events")
        if sources is not None:
            body["sources"] = _flags(sources, WEBHOOK_SOURCES, "sources")
        path = resource_path("lists", list_id, "webhooks", webhook_id)
        return decode(await self._session.send("PATCH", path, json=body), Webhook)

    async def delete_webhook(self, list_id: str, webhook_id: str) -> None:
        await self._session.send("DELETE", resource_path("lists", list_id, "webhooks", webhook_id))
