"""The sandbox's in-memory Mailchimp: accounts, audiences, members, campaigns, webhooks, OAuth.

Plain dataclasses mutated synchronously from the event loop, so every API operation is atomic.
Tests may read and change them directly (`sandbox.state.account_by_key(...)`).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.mailchimp.sandbox.identity import dc_of, new_id, subscriber_hash, utc_now

MEMBER_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
WEBHOOK_EVENTS = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
WEBHOOK_SOURCES = ("user", "admin", "api")
HISTORY_LIMIT = 10_000  # request log and delivery record keep the latest entries (benchmarks)
_web_ids = itertools.count(100_000_001)
# Set by the gate while a request runs whose answer an injected timeout will withhold.
answer_withheld: ContextVar[bool] = ContextVar("answer_withheld", default=False)


def remember(history: list, entry: object) -> None:
    history.append(entry)
    if len(history) > HISTORY_LIMIT:
        del history[: len(history) - HISTORY_LIMIT]


def next_web_id() -> int:
    return next(_web_ids)


@dataclass
class MergeField:
    merge_id: int
    tag: str
    name: str
    type: str
    required: bool = False
    default_value: str = ""
    public: bool = False
    display_order: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    help_text: str = ""


@dataclass
class Member:
    email_address: str
    status: str
    merge_fields: dict[str, Any]
    last_changed: datetime
    timestamp_opt: datetime | None = None
    tags: dict[str, datetime] = field(default_factory=dict)  # tag name -> date added
    unique_email_id: str = field(default_factory=new_id)
    contact_id: str = field(default_factory=lambda: new_id(32))
    web_id: int = field(default_factory=next_web_id)
    email_type: str = "html"
    language: str = ""
    vip: bool = False
    ip_signup: str = ""
    timestamp_signup: str = ""
    ip_opt: str = ""
    source: str = "API - Generic"
    unsubscribe_reason: str = ""
    # Archiving hides the status; compliance (unsubscribed, cleaned) survives it.
    status_before_archive: str | None = None

    @property
    def subscriber_hash(self) -> str:
        return subscriber_hash(self.email_address)


@dataclass
class Webhook:
    id: str
    list_id: str
    url: str
    events: dict[str, bool]
    sources: dict[str, bool]
    signing_enabled: bool = True
    signing_secret: str = ""
    disabled: bool = False  # set when the receiver answers 410 Gone, as Mailchimp does


@dataclass
class Audience:
    id: str
    name: str
    contact: dict[str, str]
    permission_reminder: str
    campaign_defaults: dict[str, str]
    email_type_option: bool
    date_created: datetime
    double_optin: bool = False
    web_id: int = field(default_factory=next_web_id)
    use_archive_bar: bool = True
    notify_on_subscribe: str = ""
    notify_on_unsubscribe: str = ""
    visibility: str = "pub"
    merge_fields: list[MergeField] = field(default_factory=list)
    members: dict[str, Member] = field(default_factory=dict)  # subscriber_hash -> member
    forgotten: set[str] = field(default_factory=set)  # hashes deleted permanently
    tag_ids: dict[str, int] = field(default_factory=dict)
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    last_sub_date: datetime | None = None
    last_unsub_date: datetime | None = None

    def merge_field(self, tag: str) -> MergeField | None:
        return next((f for f in self.merge_fields if f.tag == tag), None)

    def tag_id(self, name: str) -> int:
        if name not in self.tag_ids:
            self.tag_ids[name] = 1000 + len(self.tag_ids) + 1
        return self.tag_ids[name]


@dataclass
class Campaign:
    id: str
    list_id: str
    type: str
    create_time: datetime
    settings: dict[str, Any]
    status: str = "save"
    web_id: int = field(default_factory=next_web_id)
    emails_sent: int = 0
    send_time: datetime | None = None
    opens_total: int = 0
    unique_opens: int = 0
    clicks_total: int = 0
    unique_clicks: int = 0
    unique_subscriber_clicks: int = 0
    last_open: datetime | None = None
    last_click: datetime | None = None
    unsubscribed: int = 0


@dataclass
class Faults:
    """Per-account misbehaviour: added latency and injected failures, drawn from a seeded RNG."""

    latency_ms: int = 0
    rate_429: float = 0.0
    retry_after: int = 1
    rate_500: float = 0.0
    rate_timeout: float = 0.0
    timeout_seconds: float = 130.0  # longer than Mailchimp's own 120 s and any sane client timeout
    # A timeout strikes before the operation, or (True) after it: the write happens, its answer
    # never arrives, as when Mailchimp's edge gives up on a backend that finished the work.
    timeout_after_write: bool = False
    seed: int | None = None


@dataclass
class RequestLogEntry:
    at: datetime
    method: str
    path: str
    query: str
    status: int | None = None
    fault: str | None = None  # "concurrency", "429", "500" or "timeout" when the sandbox refused


@dataclass
class WriteCount:
    email_address: str
    created: int = 0
    updated: int = 0
    answered: list[bool] = field(default_factory=list)  # per write, in order: False = withheld


@dataclass
class Account:
    account_id: str
    account_name: str
    login_email: str
    first_name: str
    last_name: str
    dc: str
    role: str = "owner"
    user_id: int = field(default_factory=next_web_id)
    member_since: datetime = field(default_factory=utc_now)
    audiences: dict[str, Audience] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=random.Random)
    in_flight: int = 0
    request_log: list[RequestLogEntry] = field(default_factory=list)
    requests_total: int = 0  # every request ever, while the log keeps only the latest
    write_counts: dict[tuple[str, str], WriteCount] = field(default_factory=dict)

    @property
    def username(self) -> str:
        return self.login_email.split("@", 1)[0]

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self.rng = random.Random(faults.seed)  # noqa: S311 - reproducible test faults, not security

    def count_write(self, list_id: str, member: Member, *, created: bool) -> None:
        count = self.write_counts.setdefault(
            (list_id, member.subscriber_hash), WriteCount(member.email_address)
        )
        count.email_address = member.email_address
        if created:
            count.created += 1
        else:
            count.updated += 1
        count.answered.append(not answer_withheld.get())


@dataclass
class ApiKey:
    key: str
    account_id: str
    revoked: bool = False


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uri: str
    name: str = "Sandbox OAuth app"


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    account_id: str
    issued_at: datetime


@dataclass
class DeliveryAttempt:
    at: datetime
    status: int | None
    error: str | None = None


@dataclass
class WebhookDelivery:
    id: str
    account_id: str
    list_id: str
    webhook_id: str
    url: str
    event_type: str
    source: str
    body: str
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    outcome: str = "pending"  # pending | delivered | failed | webhook_disabled


@dataclass
class SandboxState:
    """Everything the sandbox knows. `clock` is injectable so tests can move time."""

    clock: Callable[[], datetime] = utc_now
    oauth_code_ttl_seconds: float = 30.0
    accounts: dict[str, Account] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    oauth_clients: dict[str, OAuthClient] = field(default_factory=dict)
    auth_codes: dict[str, AuthCode] = field(default_factory=dict)
    access_tokens: dict[str, str] = field(default_factory=dict)  # token -> account_id
    webhook_deliveries: list[WebhookDelivery] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    def clear(self) -> None:
        for name in ("accounts", "api_keys", "oauth_clients", "auth_codes", "access_tokens"):
            getattr(self, name).clear()
        self.webhook_deliveries.clear()

    def create_account(
        self,
        *,
        api_key: str,
        account_name: str | None = None,
        login_email: str | None = None,
        first_name: str = "Sandbox",
        last_name: str = "User",
        role: str = "owner",
        account_id: str | None = None,
        revoked: bool = False,
    ) -> Account:
        dc = dc_of(api_key)
        if dc is None:
            raise ValueError(f"not a Mailchimp API key (32 hex digits, '-us<N>'): {api_key!r}")
        if api_key in self.api_keys:
            raise ValueError(f"API key already belongs to an account: {api_key[-8:]}")
        account = Account(
            account_id=account_id or new_id(25),
            account_name=account_name or f"Sandbox account {api_key[:6]}",
            login_email=login_email or f"owner-{api_key[:6]}@listbridge.dev",
            first_name=first_name,
            last_name=last_name,
            dc=dc,
            role=role,
            member_since=self.now(),
        )
        self.accounts[account.account_id] = account
        self.api_keys[api_key] = ApiKey(api_key, account.account_id, revoked)
        return account

    def account_by_key(self, api_key: str) -> Account | None:
        entry = self.api_keys.get(api_key)
        return self.accounts.get(entry.account_id) if entry else None

    def keys_of(self, account: Account) -> list[ApiKey]:
        return [k for k in self.api_keys.values() if k.account_id == account.account_id]

    def authenticate(self, credential: str) -> Account | None:
        """An API key or OAuth token -> its account; any well-formed new key opens an empty one."""
        if credential in self.access_tokens:
            return self.accounts.get(self.access_tokens[credential])
        entry = self.api_keys.get(credential)
        if entry is not None:
            return None if entry.revoked else self.accounts.get(entry.account_id)
        if dc_of(credential) is None:
            return None
        return self.create_account(api_key=credential)

    def find_account(self, ref: str) -> Account | None:
        """Control endpoints name an account by its id or by one of its API keys."""
        return self.accounts.get(ref) or self.account_by_key(ref)
