"""List webhooks: a validation GET, then signed form-encoded POSTs filtered by event and source."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qsl

import httpx
import pytest

from app.mailchimp.sandbox import Sandbox

HOOK_URL = "https://listbridge.test/inbound/mailchimp/k3y"
ALL_SOURCES = {"user": True, "admin": True, "api": True}


@pytest.fixture
def add_webhook(api, ids):
    async def add(**body) -> dict:
        response = await api.post(f"/lists/{ids.staff}/webhooks", json={"url": HOOK_URL, **body})
        assert response.status_code == 200, response.text
        return response.json()

    return add


def form(received) -> list[tuple[str, str]]:
    return parse_qsl(received.body.decode(), keep_blank_values=True, strict_parsing=True)


async def test_creating_a_webhook_validates_the_url_with_a_get_first(
    add_webhook, receiver, api, ids
):
    created = await add_webhook(sources=ALL_SOURCES)

    assert len(receiver.gets) == 1
    assert receiver.gets[0].path == "/inbound/mailchimp/k3y"
    assert receiver.gets[0].headers["user-agent"] == "MailChimp.com WebHook Validator"
    assert set(created) == {
        "id",
        "url",
        "events",
        "sources",
        "list_id",
        "signing_enabled",
        "signing_secret",
        "_links",
    }
    assert created["signing_enabled"] is True
    assert len(created["signing_secret"]) >= 32
    fetched = (await api.get(f"/lists/{ids.staff}/webhooks/{created['id']}")).json()
    assert "signing_secret" not in fetched  # shown once, on creation
    assert fetched["events"] == created["events"]
    assert set(created["events"]) == {
        "subscribe",
        "unsubscribe",
        "profile",
        "cleaned",
        "upemail",
        "campaign",
    }


async def test_a_url_that_does_not_answer_2xx_is_refused(receiver, api, ids):
    receiver.get_status = 404

    response = await api.post(f"/lists/{ids.staff}/webhooks", json={"url": HOOK_URL})

    assert response.status_code == 400
    assert response.json()["title"] == "Invalid Resource"
    assert "404" in response.json()["detail"]
    assert (await api.get(f"/lists/{ids.staff}/webhooks")).json()["total_items"] == 0


async def test_an_unreachable_url_is_refused(ids):
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sandbox = Sandbox(
        seed={
            "accounts": [
                {"api_key": ids.api_key, "audiences": [{"id": ids.staff, "name": "Staff"}]}
            ]
        },
        webhook_transport=httpx.MockTransport(unreachable),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.asgi_app),
        base_url="http://mailchimp.test/3.0",
        auth=("any", ids.api_key),
    ) as api:
        response = await api.post(f"/lists/{ids.staff}/webhooks", json={"url": HOOK_URL})
    await sandbox.aclose()

    assert response.status_code == 400
    assert "couldn't reach" in response.json()["detail"]
    assert sandbox.state.account_by_key(ids.api_key).audiences[ids.staff].webhooks == {}


async def test_api_changes_are_delivered_as_mailchimp_form_posts(
    add_webhook, put_member, receiver, sandbox, ids, clock
):
    hook = await add_webhook(sources=ALL_SOURCES)

    await put_member("una@fenwicktools.com", merge_fields={"FNAME": "Una", "LNAME": "Moss"})
    await sandbox.drain_webhooks()

    [delivery] = receiver.posts
    assert delivery.headers["user-agent"] == "MailChimp.com"
    assert delivery.headers["content-type"] == "application/x-www-form-urlencoded"
    fields = form(delivery)
    member = sandbox.state.account_by_key(ids.api_key).audiences[ids.staff].members
    [una] = member.values()
    assert fields == [
        ("type", "subscribe"),
        ("fired_at", clock.now.strftime("%Y-%m-%d %H:%M:%S")),
        ("data[id]", una.unique_email_id),
        ("data[list_id]", ids.staff),
        ("data[email]", "una@fenwicktools.com"),
        ("data[email_type]", "html"),
        ("data[web_id]", str(una.web_id)),
        ("data[merges][EMAIL]", "una@fenwicktools.com"),
        ("data[merges][FNAME]", "Una"),
        ("data[merges][LNAME]", "Moss"),
        ("data[merges][ADDRESS]", ""),
        ("data[merges][PHONE]", ""),
        ("data[ip_opt]", ""),
        ("data[ip_signup]", ""),
    ]
    assert b"data%5Bmerges%5D%5BFNAME%5D=Una" in delivery.body  # brackets percent-encoded
    signature = dict(p.split("=", 1) for p in delivery.headers["x-mailchimp-signature"].split(","))
    signed = f"{signature['t']}.".encode() + delivery.body
    expected = hmac.new(hook["signing_secret"].encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature["v1"], expected)
    assert (
        abs(int(signature["t"]) - time.time()) < 60
    )  # wall-clock time, for receivers' 5-min window


async def test_api_changes_do_not_reach_a_webhook_that_does_not_want_api_sources(
    add_webhook, put_member, receiver, sandbox
):
    await add_webhook(sources={"user": True, "admin": True, "api": False})

    await put_member("vic@fenwicktools.com")
    await sandbox.drain_webhooks()

    assert receiver.posts == []


async def test_a_subscriber_unsubscribing_reaches_a_user_source_webhook(
    add_webhook, put_member, receiver, sandbox, site, ids
):
    await add_webhook(sources={"user": True, "admin": False, "api": False})
    await put_member("wes@fenwicktools.com")

    await site.post(
        f"/_sandbox/api/accounts/{ids.api_key}/lists/{ids.staff}/members/wes@fenwicktools.com/changes",
        json={"action": "unsubscribe"},
    )
    await site.post(
        f"/_sandbox/api/accounts/{ids.api_key}/lists/{ids.staff}/members/wes@fenwicktools.com/changes",
        json={"action": "clean", "source": "admin"},
    )
    await sandbox.drain_webhooks()

    [delivery] = receiver.posts
    fields = dict(form(delivery))
    assert fields["type"] == "unsubscribe"
    assert (fields["data[action]"], fields["data[reason]"]) == ("unsub", "manual")
    assert fields["data[email]"] == "wes@fenwicktools.com"


@pytest.mark.parametrize(
    ("change", "event", "expected"),
    [
        (
            {"action": "edit_profile", "merge_fields": {"FNAME": "Xavi"}},
            "profile",
            {"data[merges][FNAME]": "Xavi", "data[email]": "xavi@fenwicktools.com"},
        ),
        (
            {"action": "change_email", "new_email": "x.new@fenwicktools.com"},
            "upemail",
            {
                "data[new_email]": "x.new@fenwicktools.com",
                "data[old_email]": "xavi@fenwicktools.com",
            },
        ),
        (
            {"action": "clean"},
            "cleaned",
            {"data[reason]": "hard", "data[email]": "xavi@fenwicktools.com"},
        ),
        ({"action": "unsubscribe", "source": "admin"}, "unsubscribe", {"data[action]": "unsub"}),
    ],
)
async def test_admin_changes_fire_their_event(
    add_webhook, put_member, receiver, sandbox, site, ids, change, event, expected
):
    await add_webhook(sources={"user": False, "admin": True, "api": False})
    await put_member("xavi@fenwicktools.com")

    response = await site.post(
        f"/_sandbox/api/accounts/{ids.api_key}/lists/{ids.staff}/members/xavi@fenwicktools.com/changes",
        json=change,
    )
    await sandbox.drain_webhooks()

    assert response.status_code == 200, response.text
    [delivery] = receiver.posts
    fields = dict(form(delivery))
    assert fields["type"] == event
    assert expected.items() <= fields.items()
    assert fields["data[list_id]"] == ids.staff


async def test_a_webhook_hears_only_the_events_it_asked_for(
    add_webhook, put_member, receiver, sandbox, api, ids
):
    await add_webhook(events={"subscribe": False, "unsubscribe": True}, sources=ALL_SOURCES)

    await put_member("yan@fenwicktools.com")
    await put_member("yan@fenwicktools.com", status="unsubscribed")
    await sandbox.drain_webhooks()

    assert [dict(form(p))["type"] for p in receiver.posts] == ["unsubscribe"]


async def test_sending_a_campaign_fires_campaign_webhooks_whatever_their_sources(
    add_webhook, receiver, sandbox, site, api, ids
):
    await add_webhook(
        events={"campaign": True}, sources={"user": False, "admin": False, "api": False}
    )
    campaign = (
        await api.post(
            "/campaigns",
            json={
                "type": "regular",
                "recipients": {"list_id": ids.staff},
                "settings": {"subject_line": "Hello team"},
            },
        )
    ).json()

    await site.post(f"/_sandbox/api/accounts/{ids.api_key}/campaigns/{campaign['id']}/send")
    await sandbox.drain_webhooks()

    [delivery] = receiver.posts
    assert form(delivery)[2:] == [
        ("data[id]", campaign["id"]),
        ("data[subject]", "Hello team"),
        ("data[status]", "sent"),
        ("data[reason]", ""),
        ("data[list_id]", ids.staff),
    ]


async def test_unsigned_webhooks_carry_no_signature(add_webhook, put_member, receiver, sandbox):
    hook = await add_webhook(sources=ALL_SOURCES, signing_enabled=False)

    await put_member("zed@fenwicktools.com")
    await sandbox.drain_webhooks()

    assert hook["signing_enabled"] is False
    assert "x-mailchimp-signature" not in receiver.posts[0].headers


async def test_failed_deliveries_are_retried_and_every_attempt_recorded(
    add_webhook, put_member, receiver, sandbox
):
    receiver.statuses = [500, 503, 200]
    await add_webhook(sources=ALL_SOURCES)

    await put_member("abe@fenwicktools.com")
    await sandbox.drain_webhooks()

    [delivery] = sandbox.state.webhook_deliveries
    assert [a.status for a in delivery.attempts] == [500, 503, 200]
    assert delivery.outcome == "delivered"
    assert len(receiver.posts) == 3
    assert len({p.body for p in receiver.posts}) == 1  # the same event each time


async def test_a_410_disables_the_webhook(add_webhook, put_member, receiver, sandbox):
    receiver.statuses = [410]
    await add_webhook(sources=ALL_SOURCES)

    await put_member("bea@fenwicktools.com")
    await sandbox.drain_webhooks()
    await put_member("cal@fenwicktools.com")
    await sandbox.drain_webhooks()

    assert len(receiver.posts) == 1
    assert sandbox.state.webhook_deliveries[0].outcome == "webhook_disabled"
    assert len(sandbox.state.webhook_deliveries) == 1


async def test_webhooks_can_be_updated_listed_and_deleted(add_webhook, api, ids, receiver):
    hook = await add_webhook()

    patched = await api.patch(
        f"/lists/{ids.staff}/webhooks/{hook['id']}",
        json={"url": HOOK_URL + "/v2", "events": {"profile": False}},
    )
    listing = (await api.get(f"/lists/{ids.staff}/webhooks")).json()
    deleted = await api.delete(f"/lists/{ids.staff}/webhooks/{hook['id']}")

    assert patched.json()["url"] == HOOK_URL + "/v2"
    assert patched.json()["events"]["profile"] is False
    assert patched.json()["events"]["subscribe"] is True
    assert len(receiver.gets) == 2  # the new URL was validated too
    assert listing["total_items"] == 1
    assert deleted.status_code == 204
    assert (await api.get(f"/lists/{ids.staff}/webhooks/{hook['id']}")).status_code == 404
