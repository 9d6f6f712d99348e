"""What Mailchimp answers, as typed structs; fields we do not use are ignored on decode.

Timestamps stay the ISO 8601 strings Mailchimp sends (it uses "" for "never"), so an odd value
cannot break a sync; parse them where a date is needed.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import msgspec

from app.mailchimp.errors import MemberOutcome, classify_member_error

MemberStatus = Literal[
    "subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived"
]


class Ping(msgspec.Struct):
    health_status: str = ""


class AccountContact(msgspec.Struct):
    company: str | None = None
    city: str | None = None
    country: str | None = None


class Account(msgspec.Struct):
    """The API root: who the key or token belongs to."""

    account_id: str = ""
    account_name: str | None = None
    email: str | None = None
    login_id: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    role: str | None = None
    avatar_url: str | None = None
    member_since: str | None = None
    pricing_plan_type: str | None = None
    account_timezone: str | None = None
    account_industry: str | None = None
    pro_enabled: bool | None = None
    last_login: str | None = None
    total_subscribers: int | None = None
    contact: AccountContact | None = None


class AudienceStats(msgspec.Struct):
    member_count: int = 0
    total_contacts: int | None = None
    unsubscribe_count: int = 0
    cleaned_count: int = 0
    campaign_count: int | None = None
    merge_field_count: int | None = None
    open_rate: float | None = None
    click_rate: float | None = None
    last_sub_date: str | None = None
    last_unsub_date: str | None = None


class CampaignDefaults(msgspec.Struct):
    from_name: str | None = None
    from_email: str | None = None
    subject: str | None = None
    language: str | None = None


class Audience(msgspec.Struct):
    """A Mailchimp list ("audience" in Mailchimp's own UI)."""

    id: str
    name: str = ""
    web_id: int | None = None
    double_optin: bool = False
    date_created: str | None = None
    permission_reminder: str | None = None
    email_type_option: bool | None = None
    visibility: str | None = None
    list_rating: float | None = None
    subscribe_url_short: str | None = None
    campaign_defaults: CampaignDefaults | None = None
    stats: AudienceStats = msgspec.field(default_factory=AudienceStats)


class MergeFieldOptions(msgspec.Struct):
    date_format: str | None = None
    choices: list[str] | None = None
    default_country: int | None = None
    phone_format: str | None = None
    size: int | None = None


class MergeField(msgspec.Struct):
    tag: str
    name: str = ""
    type: str = "text"
    required: bool = False
    merge_id: int | None = None
    default_value: str | None = None
    public: bool | None = None
    display_order: int | None = None
    help_text: str | None = None
    list_id: str | None = None
    options: MergeFieldOptions = msgspec.field(default_factory=MergeFieldOptions)


class MemberTag(msgspec.Struct):
    name: str
    id: int | None = None
    date_added: str | None = None


class Member(msgspec.Struct):
    """One audience member (`ListMembers`); `id` is the subscriber hash."""

    id: str
    email_address: str
    status: str = "subscribed"
    unique_email_id: str | None = None
    contact_id: str | None = None
    full_name: str | None = None
    web_id: int | None = None
    email_type: str | None = None
    unsubscribe_reason: str | None = None
    merge_fields: dict[str, Any] = msgspec.field(default_factory=dict)
    interests: dict[str, bool] = msgspec.field(default_factory=dict)
    ip_signup: str | None = None
    timestamp_signup: str | None = None
    ip_opt: str | None = None
    timestamp_opt: str | None = None
    member_rating: int | None = None
    last_changed: str | None = None
    language: str | None = None
    vip: bool | None = None
    email_client: str | None = None
    source: str | None = None
    tags_count: int | None = None
    tags: list[MemberTag] = msgspec.field(default_factory=list)
    list_id: str | None = None


class MemberUpsert(msgspec.Struct, omit_defaults=True):
    """One member to add or update; unset fields are not sent, so they change nothing."""

    email_address: str
    status_if_new: MemberStatus | None = None
    status: MemberStatus | None = None
    merge_fields: dict[str, Any] | None = None
    tags: list[str] | None = None
    email_type: str | None = None
    interests: dict[str, bool] | None = None
    language: str | None = None
    vip: bool | None = None
    ip_signup: str | None = None
    timestamp_signup: str | None = None
    ip_opt: str | None = None
    timestamp_opt: str | None = None


class BatchMemberError(msgspec.Struct):
    """One member a batch subscribe refused; `index` points into the members we sent."""

    email_address: str = ""
    error: str = ""
    error_code: str | None = None
    field: str | None = None
    field_message: str | None = None
    index: int | None = None

    @property
    def outcome(self) -> MemberOutcome:
        return classify_member_error(self.error, self.error_code, self.field)


class BatchResult(msgspec.Struct):
    new_members: list[Member] = msgspec.field(default_factory=list)
    updated_members: list[Member] = msgspec.field(default_factory=list)
    errors: list[BatchMemberError] = msgspec.field(default_factory=list)
    total_created: int = 0
    total_updated: int = 0
    error_count: int = 0


class CampaignRecipients(msgspec.Struct):
    list_id: str | None = None
    list_name: str | None = None
    recipient_count: int | None = None
    segment_text: str | None = None


class CampaignSettings(msgspec.Struct):
    subject_line: str | None = None
    preview_text: str | None = None
    title: str | None = None
    from_name: str | None = None
    reply_to: str | None = None


class CampaignReportSummary(msgspec.Struct):
    opens: int | None = None
    unique_opens: int | None = None
    open_rate: float | None = None
    clicks: int | None = None
    subscriber_clicks: int | None = None
    click_rate: float | None = None


class Campaign(msgspec.Struct):
    id: str
    web_id: int | None = None
    type: str | None = None
    status: str | None = None
    create_time: str | None = None
    send_time: str | None = None
    emails_sent: int | None = None
    archive_url: str | None = None
    recipients: CampaignRecipients = msgspec.field(default_factory=CampaignRecipients)
    settings: CampaignSettings = msgspec.field(default_factory=CampaignSettings)
    report_summary: CampaignReportSummary | None = None


class ReportOpens(msgspec.Struct):
    opens_total: int = 0
    unique_opens: int = 0
    open_rate: float = 0.0
    last_open: str | None = None


class ReportClicks(msgspec.Struct):
    clicks_total: int = 0
    unique_clicks: int = 0
    unique_subscriber_clicks: int | None = None
    click_rate: float = 0.0
    last_click: str | None = None


class ReportBounces(msgspec.Struct):
    hard_bounces: int = 0
    soft_bounces: int = 0
    syntax_errors: int = 0


class CampaignReport(msgspec.Struct):
    id: str
    campaign_title: str | None = None
    type: str | None = None
    list_id: str | None = None
    list_name: str | None = None
    subject_line: str | None = None
    emails_sent: int = 0
    abuse_reports: int | None = None
    unsubscribed: int | None = None
    send_time: str | None = None
    bounces: ReportBounces = msgspec.field(default_factory=ReportBounces)
    opens: ReportOpens = msgspec.field(default_factory=ReportOpens)
    clicks: ReportClicks = msgspec.field(default_factory=ReportClicks)


class Webhook(msgspec.Struct):
    """An audience webhook; `signing_secret` is only present in the answer to its creation."""

    id: str
    url: str = ""
    list_id: str | None = None
    events: dict[str, bool] = msgspec.field(default_factory=dict)
    sources: dict[str, bool] = msgspec.field(default_factory=dict)
    signing_enabled: bool | None = None
    signing_secret: str | None = None

    def __repr__(self) -> str:
        secret = "[redacted]" if self.signing_secret else None
        return f"Webhook(id={self.id!r}, url=[redacted], list_id={self.list_id!r}, secret={secret})"


class OAuthLogin(msgspec.Struct):
    email: str | None = None
    login_id: int | str | None = None
    login_name: str | None = None
    login_email: str | None = None


class OAuthMetadata(msgspec.Struct):
    """What login.mailchimp.com says about a token: which data centre and account it opens."""

    dc: str
    api_endpoint: str
    accountname: str | None = None
    role: str | None = None
    user_id: int | str | None = None
    login_url: str | None = None
    login: OAuthLogin = msgspec.field(default_factory=OAuthLogin)

    @property
    def login_email(self) -> str | None:
        return self.login.login_email or self.login.email


class Page(msgspec.Struct):
    """One page of a collection; `items` is its list, whatever Mailchimp calls it."""

    items_field: ClassVar[str]
    total_items: int | None = None

    @property
    def items(self) -> list[Any]:
        return getattr(self, self.items_field)


class AudiencePage(Page):
    items_field = "lists"
    lists: list[Audience] = msgspec.field(default_factory=list)


class MemberPage(Page):
    items_field = "members"
    members: list[Member] = msgspec.field(default_factory=list)


class MergeFieldPage(Page):
    items_field = "merge_fields"
    merge_fields: list[MergeField] = msgspec.field(default_factory=list)


class MemberTagPage(Page):
    items_field = "tags"
    tags: list[MemberTag] = msgspec.field(default_factory=list)


class CampaignPage(Page):
    items_field = "campaigns"
    campaigns: list[Campaign] = msgspec.field(default_factory=list)


class WebhookPage(Page):
    items_field = "webhooks"
    webhooks: list[Webhook] = msgspec.field(default_factory=list)
