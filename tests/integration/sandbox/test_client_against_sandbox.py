"""The real `MailchimpClient` against the sandbox: every operation Listbridge uses, and every
error class raised by what the sandbox really does or by its fault injection."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.mailchimp.credentials import ApiKeyCredentials, OAuthCredentials
from app.mailchimp.errors import (
    FieldError,
    ForgottenEmailNotSubscribed,
    InvalidResource,
    MemberExists,
    MemberInComplianceState,
    MemberOutcome,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
)
from app.mailchimp.models import MemberUpsert
from app.mailchimp.sandbox.seed import apply_seed
from tests.integration.sandbox.conftest import OAUTH_CLIENT, SANDBOX_ROOT

ANA = "ana@fenwicktools.com"


def person(n: int, **fields) -> MemberUpsert:
    fields.setdefault("status_if_new", "subscribed")
    return MemberUpsert(email_address=f"person{n}@fenwicktools.com", **fields)


def sent(wire, method: str, path: str) -> list:
    """The exchanges of one method and path (query aside), in the order they happened."""
    return [x for x in wire.exchanges if x.method == method and x.path == f"/3.0{path}"]


# Operations


async def test_ping_and_the_api_root_name_the_account(mailchimp):
    assert (await mailchimp.ping()).health_status == "Everything's Chimpy!"
    account = await mailchimp.account()

    assert account.account_name == "Fenwick Tools"
    assert (account.email, account.first_name, account.last_name) == (
        "ops@fenwicktools.com",
        "Ida",
        "Fenwick",
    )
    assert account.account_id


async def test_every_list_is_read_across_pages(make_mailchimp, sandbox, wire):
    key = "1" * 32 + "-us19"
    audiences = [{"id": f"x{n:09d}", "name": f"Audience {n}"} for n in range(1001)]
    apply_seed(sandbox.state, {"accounts": [{"api_key": key, "audiences": audiences}]})

    async with make_mailchimp(ApiKeyCredentials(key)) as mailchimp:
        lists = await mailchimp.all_lists()

    assert sorted(a.id for a in lists) == [a["id"] for a in audiences]
    assert [x.query for x in sent(wire, "GET", "/lists")] == [
        "count=1000&offset=0",
        "count=1000&offset=1000",
    ]


async def test_one_list_and_its_merge_fields(mailchimp, ids):
    audience = await mailchimp.get_list(ids.partners)
    fields = {f.tag: f for f in await mailchimp.merge_fields(ids.partners)}

    assert (audience.id, audience.name) == (ids.partners, "Partners")
    assert {"FNAME", "LNAME", "ADDRESS", "PHONE", "DEPT"} <= set(fields)
    assert fields["DEPT"].type == "dropdown"
    assert fields["DEPT"].required is True
    assert fields["DEPT"].options.choices == ["Sales", "Support"]


async def test_batch_subscribe_sends_500_at_a_time_and_traces_errors_to_inputs(
    mailchimp, ids, wire
):
    await mailchimp.upsert_member(
        ids.staff, "person1000@fenwicktools.com", status_if_new="unsubscribed"
    )
    members = [person(n, status="subscribed") for n in range(1201)]
    for fake in (3, 700, 1150):
        members[fake] = MemberUpsert(email_address=f"fake{fake}@example.com", status="subscribed")

    result = await mailchimp.batch_subscribe_all(ids.staff, members)

    # ceil(1201 / 500) calls; the sandbox, like Mailchimp, refuses a batch of more than 500
    assert [x.status for x in sent(wire, "POST", f"/lists/{ids.staff}")] == [200, 200, 200]
    assert (result.total_created, result.total_updated, result.error_count) == (1197, 0, 4)
    assert [(e.index, e.outcome) for e in result.errors] == [
        (3, MemberOutcome.FAKE_EMAIL),
        (700, MemberOutcome.FAKE_EMAIL),
        (1000, MemberOutcome.COMPLIANCE_STATE),
        (1150, MemberOutcome.FAKE_EMAIL),
    ]
    assert (
        result.errors[0].error
        == "fake3@example.com looks fake or invalid, please enter a real email address."
    )
    with pytest.raises(ValueError, match="at most 500"):
        await mailchimp.batch_subscribe(ids.staff, members[:501])


async def test_batch_subscribe_without_update_existing_reports_members_that_exist(mailchimp, ids):
    await mailchimp.upsert_member(ids.staff, ANA, status_if_new="subscribed")

    result = await mailchimp.batch_subscribe(
        ids.staff,
        [{"email_address": ANA, "status": "subscribed"}, person(1)],
        update_existing=False,
    )

    assert [m.email_address for m in result.new_members] == ["person1@fenwicktools.com"]
    [error] = result.errors
    assert (error.index, error.error_code, error.outcome) == (
        0,
        "ERROR_CONTACT_EXISTS",
        MemberOutcome.MEMBER_EXISTS,
    )


async def test_upsert_applies_status_if_new_only_to_new_members(mailchimp, ids):
    created = await mailchimp.upsert_member(ids.staff, ANA, status_if_new="pending")
    updated = await mailchimp.upsert_member(
        ids.staff, ANA, status_if_new="subscribed", merge_fields={"FNAME": "Ana"}
    )
    fetched = await mailchimp.get_member(ids.staff, ANA)

    assert created.status == "pending"
    assert (updated.status, updated.merge_fields["FNAME"]) == ("pending", "Ana")
    assert (fetched.id, fetched.email_address, fetched.status) == (created.id, ANA, "pending")
    assert fetched.list_id == ids.staff


async def test_members_stream_page_by_page_and_since_last_changed(mailchimp, ids, wire, clock):
    await mailchimp.batch_subscribe_all(ids.staff, [person(n) for n in range(1001)])
    clock.advance(30)
    before_edits = clock.now  # after the batch, before the edits
    clock.advance(30)
    await mailchimp.upsert_member(
        ids.staff, "person5@fenwicktools.com", merge_fields={"FNAME": "E"}
    )
    await mailchimp.upsert_member(ids.staff, ANA, status_if_new="subscribed")

    members = mailchimp.iter_members(ids.staff)
    first = await anext(members)
    pages_when_first_arrived = len(sent(wire, "GET", f"/lists/{ids.staff}/members"))
    everyone = [first] + [member async for member in members]
    changed = [m async for m in mailchimp.iter_members(ids.staff, since_last_changed=before_edits)]

    assert pages_when_first_arrived == 1
    assert len({m.id for m in everyone}) == 1002
    assert sorted(m.email_address for m in changed) == [ANA, "person5@fenwicktools.com"]
    queries = [x.query for x in sent(wire, "GET", f"/lists/{ids.staff}/members")]
    assert queries[:2] == ["count=1000&offset=0", "count=1000&offset=1000"]
    assert queries[2] == "since_last_changed=2026-05-04T09%3A30%3A30%2B00%3A00&count=1000&offset=0"


async def test_members_can_be_read_with_only_the_fields_asked_for(mailchimp, ids, wire):
    await mailchimp.upsert_member(ids.staff, ANA, status_if_new="unsubscribed", tags=["VIP"])

    [member] = [m async for m in mailchimp.iter_members(ids.staff, fields=["status", "tags"])]

    assert (member.email_address, member.status, [t.name for t in member.tags]) == (
        ANA,
        "unsubscribed",
        ["VIP"],
    )
    [page] = sent(wire, "GET", f"/lists/{ids.staff}/members")
    answer = json.loads(page.body)
    assert set(answer) == {"members", "total_items"}
    assert set(answer["members"][0]) == {"id", "email_address", "status", "tags"}
    with pytest.raises(TypeError):
        mailchimp.iter_members(ids.staff, fields="status,tags")


async def test_tags_switch_on_and_off_only_through_the_tags_endpoint(mailchimp, ids, wire):
    await mailchimp.upsert_member(ids.staff, ANA, status_if_new="subscribed", tags=["Onboarding"])

    await mailchimp.update_member_tags(ids.staff, ANA, active=["VIP"], inactive=["Onboarding"])

    assert [t.name for t in await mailchimp.member_tags(ids.staff, ANA)] == ["VIP"]
    assert [t.name for t in (await mailchimp.get_member(ids.staff, ANA)).tags] == ["VIP"]
    [tags_post] = [x for x in wire.exchanges if x.method == "POST" and x.path.endswith("/tags")]
    assert (tags_post.status, tags_post.body) == (204, b"")


async def test_archive_keeps_the_member_as_archived(mailchimp, ids):
    await mailchimp.upsert_member(ids.staff, ANA, status_if_new="subscribed")

    await mailchimp.archive_member(ids.staff, ANA)

    assert (await mailchimp.get_member(ids.staff, ANA)).status == "archived"
    with pytest.raises(NotFound):
        await mailchimp.archive_member(ids.staff, "nobody@fenwicktools.com")


async def test_delete_permanent_forgets_the_address_for_good(mailchimp, ids):
    await mailchimp.upsert_member(ids.staff, ANA, status_if_new="subscribed")

    await mailchimp.delete_member_permanently(ids.staff, ANA)

    with pytest.raises(NotFound):
        await mailchimp.get_member(ids.staff, ANA)
    with pytest.raises(ForgottenEmailNotSubscribed) as refused:
        await mailchimp.upsert_member(ids.staff, ANA, status_if_new="subscribed")
    assert refused.value.title == "Forgotten Email Not Subscribed"
    assert refused.value.detail == (
        f"{ANA} was permanently deleted and cannot be re-imported. "
        "The contact must re-subscribe to get back on the list."
    )
    assert refused.value.outcome is MemberOutcome.FORGOTTEN_EMAIL


async def test_a_draft_campaign_is_created_read_and_reported_once_sent(mailchimp, site, ids):
    draft = await mailchimp.create_campaign(
        list_id=ids.staff,
        subject_line="Spring news",
        title="Spring",
        from_name="Fenwick Tools",
        reply_to="news@fenwicktools.com",
    )
    fetched = await mailchimp.get_campaign(draft.id)
    with pytest.raises(NotFound):
        await mailchimp.campaign_report(draft.id)  # a draft has no report yet
    control = f"/_sandbox/api/accounts/{ids.api_key}/campaigns/{draft.id}"
    await mailchimp.upsert_member(ids.staff, ANA, status_if_new="subscribed")
    assert (await site.post(f"{control}/send")).status_code == 200
    assert (await site.post(f"{control}/activity", json={"opens": 3, "clicks": 1})).is_success

    report = await mailchimp.campaign_report(draft.id)

    assert (draft.status, draft.type, draft.recipients.list_id) == ("save", "regular", ids.staff)
    assert (fetched.id, fetched.settings.subject_line) == (draft.id, "Spring news")
    assert (report.id, report.list_id, report.emails_sent) == (draft.id, ids.staff, 1)
    assert (report.opens.opens_total, report.clicks.clicks_total) == (3, 1)


async def test_webhooks_are_created_listed_and_deleted(mailchimp, ids, receiver):
    url = "https://listbridge.test/hooks/mailchimp/abc"

    created = await mailchimp.create_webhook(ids.staff, url, events=["unsubscribe", "cleaned"])
    listed = await mailchimp.webhooks(ids.staff)
    await mailchimp.delete_webhook(ids.staff, created.id)

    assert len(receiver.gets) == 1  # Mailchimp's validation GET
    assert (created.url, created.list_id, created.signing_secret is not None) == (
        url,
        ids.staff,
        True,
    )
    assert [e for e, on in created.events.items() if on] == ["unsubscribe", "cleaned"]
    assert created.sources == {"user": True, "admin": True, "api": False}
    assert [(w.id, w.signing_secret) for w in listed] == [(created.id, None)]
    assert await mailchimp.webhooks(ids.staff) == []
    with pytest.raises(NotFound):
        await mailchimp.delete_webhook(ids.staff, created.id)


async def test_an_oauth_code_becomes_a_token_whose_metadata_opens_the_account(
    mailchimp_oauth, approve, make_mailchimp
):
    code = await approve()

    token = await mailchimp_oauth.exchange_code(code, OAUTH_CLIENT["redirect_uri"])
    metadata = await mailchimp_oauth.metadata(token)
    async with make_mailchimp(OAuthCredentials(token, metadata.api_endpoint)) as mailchimp:
        account = await mailchimp.account()

    assert (metadata.dc, metadata.api_endpoint) == ("us19", SANDBOX_ROOT)
    assert metadata.login_email == "ops@fenwicktools.com"
    assert account.account_name == metadata.accountname == "Fenwick Tools"
    with pytest.raises(Unauthorized) as reused:
        await mailchimp_oauth.exchange_code(code, OAUTH_CLIENT["redirect_uri"])
    assert reused.value.title == "invalid_grant"
    with pytest.raises(Unauthorized) as bad_token:
        await mailchimp_oauth.metadata("not-a-token")
    assert bad_token.value.title == "invalid_token"


# Error classes, each with Mailchimp's own title and detail


async def test_a_revoked_key_is_unauthorized_and_not_retried(mailchimp, site, ids, wire):
    assert (await site.post(f"/_sandbox/api/accounts/{ids.api_key}/revoke")).status_code == 200

    with pytest.raises(Unauthorized) as refused:
        await mailchimp.ping()

    assert (refused.value.status, refused.value.title) == (401, "API Key Invalid")
    assert refused.value.detail == (
        "Your API key may be invalid, or you've attempted to access the wrong datacenter."
    )
    assert len(wire.exchanges) == 1


async def test_an_unknown_audience_is_not_found(mailchimp):
    with pytest.raises(NotFound) as missing:
        await mailchimp.get_list("0000000000")

    assert (missing.value.status, missing.value.title) == (404, "Resource Not Found")
    assert missing.value.detail == "The requested resource could not be found."
    assert missing.value.instance


async def test_429s_are_retried_after_retry_after_then_raised(mailchimp, set_faults, pauses, wire):
    await set_faults(rate_429=1.0, retry_after=7)

    with pytest.raises(RateLimited) as limited:
        await mailchimp.ping()

    assert (limited.value.status, limited.value.title) == (429, "Too Many Requests")
    assert limited.value.detail == "You have exceeded the limit of 10 simultaneous connections."
    assert limited.value.retry_after == 7
    assert pauses == [7, 7]
    assert [x.status for x in wire.exchanges] == [429, 429, 429]


async def test_the_clients_limiter_keeps_the_sandbox_from_refusing_a_crowd(
    mailchimp, set_faults, wire
):
    await set_faults(latency_ms=30)

    await asyncio.gather(*(mailchimp.ping() for _ in range(25)))

    assert [x.status for x in wire.exchanges] == [200] * 25


async def test_a_member_that_exists_is_refused_on_create(mailchimp, ids):
    await mailchimp.upsert_member(ids.staff, ANA, status_if_new="subscribed")
    # No client operation is create-only; this is the one request path they all share.
    create = {"email_address": ANA, "status": "subscribed"}

    with pytest.raises(MemberExists) as exists:
        await mailchimp._session.send("POST", f"/lists/{ids.staff}/members", json=create)

    assert (exists.value.status, exists.value.title) == (400, "Member Exists")
    assert exists.value.detail.startswith(f"{ANA} is already a list member.")


async def test_an_unsubscribed_member_cannot_be_resubscribed(mailchimp, ids, wire):
    await mailchimp.upsert_member(ids.staff, ANA, status_if_new="unsubscribed")

    with pytest.raises(MemberInComplianceState) as refused:
        await mailchimp.upsert_member(ids.staff, ANA, status="subscribed")

    assert (refused.value.status, refused.value.title) == (400, "Member In Compliance State")
    assert refused.value.detail == (
        f"{ANA} is in a compliance state due to unsubscribe, bounce, or compliance review "
        "and cannot be subscribed."
    )
    assert [x.status for x in wire.exchanges] == [200, 400]  # never retried
    assert (await mailchimp.upsert_member(ids.staff, ANA, status="pending")).status == "pending"


async def test_a_missing_required_merge_field_is_an_invalid_resource_naming_the_field(
    mailchimp, ids
):
    with pytest.raises(InvalidResource) as invalid:
        await mailchimp.upsert_member(ids.partners, ANA, status_if_new="subscribed")

    assert (invalid.value.status, invalid.value.title) == (400, "Invalid Resource")
    assert invalid.value.detail == "Your merge fields were invalid."
    assert invalid.value.field_errors == (FieldError("DEPT", "Please enter a value"),)
    assert (
        invalid.value.user_message == "Mailchimp rejected some fields — DEPT: Please enter a value"
    )


async def test_a_fake_looking_address_is_an_invalid_resource(mailchimp, ids):
    with pytest.raises(InvalidResource) as invalid:
        await mailchimp.upsert_member(ids.staff, "someone@example.com", status_if_new="subscribed")

    assert invalid.value.title == "Invalid Resource"
    assert invalid.value.detail == (
        "someone@example.com looks fake or invalid, please enter a real email address."
    )
    assert invalid.value.outcome is MemberOutcome.FAKE_EMAIL


async def test_500s_are_retried_then_raised_as_server_errors(mailchimp, set_faults, wire):
    await set_faults(rate_500=1.0)

    with pytest.raises(ServerError) as failed:
        await mailchimp.get_list("5ta77a4d1e")

    assert (failed.value.status, failed.value.title) == (500, "Internal Server Error")
    assert failed.value.detail
    assert [x.status for x in wire.exchanges] == [500, 500, 500]


async def test_a_timed_out_request_is_a_server_error_from_the_cdn_page(mailchimp, set_faults):
    await set_faults(rate_timeout=1.0, timeout_seconds=0.01)

    with pytest.raises(ServerError) as failed:
        await mailchimp.ping()

    assert failed.value.status == 502
    assert failed.value.detail == "Mailchimp answered HTTP 502 without a problem document."
