"""Who may deliver, and what we refuse: wrong secrets, bad signatures, malformed bodies."""

from __future__ import annotations

import time

import pytest

from app.domain.inbound.signatures import sign_t_v1
from app.domain.inbound.tables import AudienceWebhook, InboundEvent
from tests.integration.inbound.helpers import (
    deliver,
    hook_path,
    member_status,
    settled,
    signing_secret,
    synced_audience,
    unsubscribe_body,
)


async def _ready(sandbox):
    owner, _key, _account, people, _segment = await synced_audience(sandbox, people=1)
    webhook = await AudienceWebhook.objects().first()
    return owner, webhook, people[0]


async def test_mailchimp_s_validation_get_is_answered(client, sandbox):
    _, webhook, _ = await _ready(sandbox)
    response = await client.get(
        hook_path(webhook), headers={"user-agent": "MailChimp.com WebHook Validator"}
    )
    assert response.status_code == 200


async def test_a_wrong_secret_or_unknown_webhook_is_404_and_nothing_is_stored(client, sandbox):
    _, webhook, person = await _ready(sandbox)
    body = unsubscribe_body(person["email"])

    wrong = await deliver(client, webhook, body, secret="x" * len(webhook.url_secret))
    unknown = await client.post(
        f"/hooks/mailchimp/{webhook.id + 99}/{webhook.url_secret}",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    validation = await client.get(hook_path(webhook, "nope"))

    assert (wrong.status_code, unknown.status_code, validation.status_code) == (404, 404, 404)
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert await InboundEvent.count() == 0
    assert await member_status(person["email"]) == "subscribed"


@pytest.mark.parametrize(
    "signature",
    [
        "",  # missing
        "t=1718000000,v1=" + "0" * 64,  # wrong and expired
        "garbage",
        "t=notatime,v1=abc",
    ],
)
async def test_a_bad_signature_is_401_and_nothing_is_processed(client, sandbox, signature):
    _, webhook, person = await _ready(sandbox)
    assert webhook.signing_secret  # the sandbox signs deliveries, as Mailchimp can

    body = unsubscribe_body(person["email"])
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if signature:
        headers["x-mailchimp-signature"] = signature
    response = await client.post(hook_path(webhook), content=body, headers=headers)

    assert response.status_code == 401
    assert await InboundEvent.count() == 0
    assert await member_status(person["email"]) == "subscribed"


async def test_a_correct_signature_older_than_five_minutes_is_refused(client, sandbox):
    _, webhook, person = await _ready(sandbox)
    body = unsubscribe_body(person["email"]).encode()
    stale = sign_t_v1(signing_secret(webhook), body, int(time.time()) - 301)
    fresh = sign_t_v1(signing_secret(webhook), body, int(time.time()) - 240)

    assert (await deliver(client, webhook, body, signature=stale)).status_code == 401
    assert await InboundEvent.count() == 0
    assert (await deliver(client, webhook, body, signature=fresh)).status_code == 200
    await settled(sandbox, expected=1)
    assert await member_status(person["email"]) == "unsubscribed"


async def test_a_duplicate_delivery_is_stored_once_and_changes_nothing_twice(client, sandbox):
    _, webhook, person = await _ready(sandbox)
    body = unsubscribe_body(person["email"])

    first = await deliver(client, webhook, body)
    again = await deliver(client, webhook, body)

    assert (first.status_code, first.json()["status"]) == (200, "received")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    events = await settled(sandbox, expected=1)
    assert len(events) == 1
    assert events[0]["status"] == "processed"


async def test_an_older_status_arriving_late_does_not_undo_a_newer_one(client, sandbox):
    _, webhook, person = await _ready(sandbox)
    email = person["email"]
    newer = (
        unsubscribe_body(email, fired_at="2030-01-01 10:00:05")
        .replace("type=unsubscribe", "type=subscribe")
        .replace("data%5Baction%5D=unsub&data%5Breason%5D=manual&", "")
    )
    older = unsubscribe_body(email, fired_at="2030-01-01 10:00:00")

    assert (await deliver(client, webhook, newer)).status_code == 200
    await settled(sandbox, expected=1)
    assert (await deliver(client, webhook, older)).status_code == 200
    events = await settled(sandbox, expected=2)

    assert [e["status"] for e in events] == ["processed", "ignored"]
    assert await member_status(email) == "subscribed"


async def test_a_removed_webhook_answers_410_so_mailchimp_stops(client, sandbox):
    from app.domain.connections import services as connections

    owner, webhook, person = await _ready(sandbox)
    await connections.disconnect(owner.principal)

    response = await deliver(client, webhook, unsubscribe_body(person["email"]))
    validation = await client.get(hook_path(webhook))

    assert (response.status_code, validation.status_code) == (410, 410)
    assert await InboundEvent.count() == 0


def _nested(depth: int) -> str:
    return "type=subscribe&" + "data" + "[a]" * depth + "=x"


MALFORMED_FORMS = [
    pytest.param("application/json", b'{"type": "unsubscribe"}', 415, id="json-content-type"),
    pytest.param("text/plain", b"type=unsubscribe", 415, id="text-content-type"),
    pytest.param(None, b"\xff\xfe\x00type=unsubscribe", 400, id="invalid-utf8"),
    pytest.param(None, b"", 400, id="empty"),
    pytest.param(
        None, b"fired_at=2026-01-01+00%3A00%3A00&data%5Bemail%5D=a%40b.co", 400, id="no-type"
    ),
    pytest.param(None, b"type=unsubscribe&fired_at=2026-01-01+00%3A00%3A00", 400, id="no-data"),
    pytest.param(
        None, b"type=unsubscribe&fired_at=yesterday&data%5Bemail%5D=a%40b.co", 400, id="bad-time"
    ),
    pytest.param(
        None,
        b"type=unsubscribe&fired_at=2026-01-01+00%3A00%3A00&data%5Blist_id%5D=x",
        400,
        id="no-email",
    ),
    pytest.param(None, _nested(40).encode(), 400, id="deep-brackets"),
    pytest.param(None, b"type=subscribe&data=1&data%5Bx%5D=2", 400, id="conflicting-keys"),
    pytest.param(None, b"%%%===&&&", 400, id="not-a-form"),
    pytest.param(None, b"type=x&" + b"a=1&" * 20_000, 413, id="huge-body"),
]


@pytest.mark.parametrize(("content_type", "body", "expected"), MALFORMED_FORMS)
async def test_malformed_mailchimp_bodies_are_refused_never_a_500(
    client, sandbox, content_type, body, expected
):
    _, webhook, _person = await _ready(sandbox)
    response = await deliver(
        client,
        webhook,
        body,
        content_type=content_type or "application/x-www-form-urlencoded",
    )
    assert response.status_code == expected, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await InboundEvent.count() == 0
