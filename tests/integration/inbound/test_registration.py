"""Registering our webhook: one per audience and organisation, reset to our settings, kept
when registration fails (with a Re-register button), removed on disconnect."""

from __future__ import annotations

from app.domain.audit.tables import AuditLog
from app.domain.inbound import mailchimp_webhooks
from app.domain.inbound.tables import AudienceWebhook
from app.domain.segments.tables import Segment
from app.settings import get_settings
from tests.factories import htmx, log_in, make_organisation, soup
from tests.fixtures.secrets import remember_secret
from tests.integration.segments.sync_helpers import AUDIENCE, connected, make_segment
from tests.mailchimp_factories import connect

OUR_EVENTS = {"subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign"}


def _hooks(account, list_id: str = AUDIENCE):
    return list(account.audiences[list_id].webhooks.values())


def _on(flags: dict[str, bool]) -> set[str]:
    return {name for name, on in flags.items() if on}


async def test_saving_a_segment_registers_one_webhook_with_our_settings(db, sandbox):
    owner, _key, account = await connected(sandbox)
    await make_segment(owner)

    (hook,) = _hooks(account)
    row = await AudienceWebhook.objects().first()
    remember_secret(row.url_secret)
    assert hook.url == mailchimp_webhooks.url_for(row)
    assert hook.url.startswith(f"{get_settings().app.base_url}/hooks/mailchimp/{row.id}/")
    assert hook.url.rsplit("/", 1)[1] == row.url_secret
    assert len(row.url_secret) >= 40
    assert _on(hook.events) == OUR_EVENTS
    assert _on(hook.sources) == {"user", "admin"}  # never "api": our own writes would echo
    assert (row.status, row.webhook_id, row.last_error) == ("registered", hook.id, "")
    assert row.signing_secret
    assert hook.signing_secret not in row.signing_secret
    remember_secret(hook.signing_secret)


async def test_registering_again_resets_ours_and_never_adds_a_second(db, sandbox):
    owner, _key, account = await connected(sandbox)
    await make_segment(owner)
    (hook,) = _hooks(account)
    hook.events = {name: name == "subscribe" for name in hook.events}  # someone edited it
    hook.sources = {"user": False, "admin": False, "api": True}

    view = await mailchimp_webhooks.ensure_audience_webhook(owner.principal, AUDIENCE)
    await mailchimp_webhooks.ensure_audience_webhook(owner.principal, AUDIENCE)

    (again,) = _hooks(account)
    assert again.id == hook.id
    assert view.status == "registered"
    assert _on(again.events) == OUR_EVENTS
    assert _on(again.sources) == {"user", "admin"}
    assert await AudienceWebhook.count().where(AudienceWebhook.soft_deleted_at.is_null()) == 1


async def test_a_stale_copy_of_ours_is_taken_over_not_duplicated(db, sandbox):
    owner, _key, account = await connected(sandbox)
    await make_segment(owner)
    row = await AudienceWebhook.objects().first()
    # Our record of it was lost (say, a restore), but Mailchimp still calls the old URL.
    await AudienceWebhook.delete().where(AudienceWebhook.id > 0)
    await AudienceWebhook.insert(
        AudienceWebhook(
            id=row.id,
            organisation=row.organisation,
            list_id=AUDIENCE,
            webhook_id="",
            url_secret=row.url_secret,
            soft_deleted_at=row.created_at,
        )
    )

    view = await mailchimp_webhooks.ensure_audience_webhook(owner.principal, AUDIENCE)

    (hook,) = _hooks(account)
    current = (
        await AudienceWebhook.objects().where(AudienceWebhook.soft_deleted_at.is_null()).first()
    )
    assert view.status == "registered"
    assert hook.url == mailchimp_webhooks.url_for(current)
    assert current.id != row.id


async def test_another_organisation_on_the_same_account_keeps_its_own_webhook(db, sandbox):
    owner, key, account = await connected(sandbox)
    await make_segment(owner)
    other = await make_organisation()
    from app.domain.connections import services as connections

    await connections.connect_api_key(other.principal, api_key=key)
    await make_segment(other)
    assert len(_hooks(account)) == 2

    await mailchimp_webhooks.ensure_audience_webhook(owner.principal, AUDIENCE)
    await mailchimp_webhooks.ensure_audience_webhook(other.principal, AUDIENCE)

    assert len(_hooks(account)) == 2
    urls = {h.url for h in _hooks(account)}
    rows = await AudienceWebhook.objects()
    assert urls == {mailchimp_webhooks.url_for(r) for r in rows}


async def test_a_failed_registration_keeps_the_segment_and_offers_re_register(client, sandbox):
    owner, _key, account = await connected(sandbox)
    from app.domain.connections import audiences

    await audiences.audiences(owner.principal)  # cached, as the segment form just loaded them
    await audiences.merge_fields(owner.principal, AUDIENCE)
    for api_key in sandbox.state.keys_of(account):
        api_key.revoked = True

    segment = await make_segment(owner)

    assert await Segment.count() == 1
    assert segment.name == "All staff"
    row = await AudienceWebhook.objects().first()
    assert row.status == "failed"
    assert "rejected" in row.last_error
    assert _hooks(account) == []
    assert await AuditLog.count().where(AuditLog.action == "mailchimp.webhook_failed") == 1

    await log_in(client, owner)
    segment_page = soup(await client.get(f"/segments/{segment.id}"))
    assert segment_page.select_one(f"[hx-get='/events/webhooks/{AUDIENCE}']") is not None
    partial = soup(await htmx(client, "GET", f"/events/webhooks/{AUDIENCE}"))
    assert "not registered" in partial.select_one(".badge").get_text()
    assert partial.select_one(f"form[action='/events/webhooks/{AUDIENCE}/register'] button")

    for api_key in sandbox.state.keys_of(account):
        api_key.revoked = False
    again = soup(await htmx(client, "POST", f"/events/webhooks/{AUDIENCE}/register"))

    assert again.select_one(".badge").get_text() == "listening"
    assert len(_hooks(account)) == 1
    assert (await AudienceWebhook.objects().first()).status == "registered"


async def test_only_audiences_a_segment_feeds_can_be_registered(client, sandbox):
    owner, _key, _account = await connected(sandbox)
    await log_in(client, owner)
    response = await htmx(client, "POST", "/events/webhooks/b000000001/register")
    assert response.status_code == 404
    assert await AudienceWebhook.count() == 0


async def test_disconnecting_removes_the_registered_webhook(client, sandbox):
    owner, _key, account = await connected(sandbox)
    await make_segment(owner)
    assert len(_hooks(account)) == 1
    await log_in(client, owner)

    await htmx(client, "POST", "/settings/mailchimp/disconnect")

    assert _hooks(account) == []
    row = await AudienceWebhook.objects().first()
    assert row.soft_deleted_at is not None
    assert row.signing_secret == ""


async def test_changing_a_segment_s_audience_registers_on_the_new_one(db, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    first, second = list(account.audiences)
    from app.domain.segments import services
    from app.domain.segments.services import SegmentInput

    segment = await services.create(
        owner.principal, SegmentInput(name="Staff", list_id=first, field_mapping={})
    )
    await services.update(
        owner.principal, segment.id, SegmentInput(name="Staff", list_id=second, field_mapping={})
    )

    assert len(_hooks(account, first)) == 1
    assert len(_hooks(account, second)) == 1
