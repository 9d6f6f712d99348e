"""Product events: signed, Customer.io-signed or bearer deliveries, matched by trigger rules,
applied to contacts and to the Mailchimp audience (the sandbox) in real time."""

from __future__ import annotations

import time

import pytest

from app.domain.contacts import services as contacts
from app.domain.contacts.tables import Contact
from app.domain.inbound.tables import InboundEvent
from tests.integration.inbound.helpers import member_status, settled, synced_audience
from tests.integration.inbound.product_helpers import (
    event_hook,
    rule,
    send_bearer,
    send_customerio,
    send_signed,
)
from tests.integration.segments.sync_helpers import AUDIENCE, audience


async def test_a_signed_product_event_tags_the_member_in_mailchimp(client, sandbox):
    owner, _key, account, people, _ = await synced_audience(sandbox, people=1)
    path, secret = await event_hook(owner)
    await rule(owner, "trial_started", "tag", tags=["Trial", "Behaviour: active"])
    email = people[0]["email"]

    response = await send_signed(client, path, secret, {"event": "trial_started", "email": email})

    assert response.status_code == 202, response.text
    assert response.json()["status"] == "received"
    events = await settled(sandbox, expected=1)
    assert events[0]["status"] == "processed", events[0]["error"]
    assert events[0]["source"] == "generic"
    assert events[0]["type"] == "trial_started"
    assert set(audience(account)[email].tags) >= {"Trial", "Behaviour: active"}


async def test_a_product_event_untags_the_member_in_mailchimp(client, sandbox):
    owner, _key, account, people, _ = await synced_audience(
        sandbox, people=2, tags=["staff", "Trial"]
    )
    path, secret = await event_hook(owner)
    await rule(owner, "trial_ended", "untag", tags=["Trial"])
    ended, still_trying = people[0]["email"], people[1]["email"]
    assert set(audience(account)[ended].tags) == {"staff", "Trial"}

    response = await send_signed(client, path, secret, {"event": "trial_ended", "email": ended})

    assert response.status_code == 202, response.text
    events = await settled(sandbox, expected=1)
    assert events[0]["status"] == "processed", events[0]["error"]
    assert events[0]["outcome"] == f"{ended} untagged Trial in Staff."
    assert set(audience(account)[ended].tags) == {"staff"}
    assert set(audience(account)[still_trying].tags) == {"staff", "Trial"}
    assert audience(account)[ended].status == "subscribed"


async def test_customerio_reporting_webhooks_are_verified_and_mapped(client, sandbox):
    owner, _key, account, people, _ = await synced_audience(sandbox, people=1)
    path, secret = await event_hook(owner)
    await rule(
        owner, "unsubscribed", "unsubscribe", email_path="data.email_address", event_path="metric"
    )
    email = people[0]["email"]
    event = {
        "event_id": "01E4C4CT6YDC7Y5M7FE1GWWPQK",
        "object_type": "customer",
        "metric": "unsubscribed",
        "timestamp": 1613063089,
        "data": {"customer_id": "42", "email_address": email},
    }

    response = await send_customerio(client, path, secret, event)

    assert response.status_code == 202, response.text
    events = await settled(sandbox, expected=1)
    assert (events[0]["source"], events[0]["status"]) == ("customerio", "processed")
    assert audience(account)[email].status == "unsubscribed"
    assert await member_status(email) == "unsubscribed"
    from app.domain.preferences import services as preferences

    preference = await preferences.get_preference(owner.principal, people[0]["id"])
    assert (preference["status"], preference["consent_source"]) == ("opted_out", "product_event")


async def test_a_customerio_webhook_action_with_a_bearer_secret_upserts_a_new_contact(
    client, sandbox
):
    owner, _key, account, _, _ = await synced_audience(sandbox, people=1)
    path, secret = await event_hook(owner)
    await rule(
        owner,
        "signed_up",
        "upsert",
        tags=["Signed up"],
        email_path="person.email",
        event_path="what",
        fields={"first_name": "person.first", "attribute:plan": "person.plan"},
    )
    body = {
        "what": "signed_up",
        "person": {"email": "new.user@bluefin-foods.com", "first": "Noor", "plan": "pro"},
    }

    response = await send_bearer(client, path, secret, body)

    assert response.status_code == 202, response.text
    events = await settled(sandbox, expected=1)
    assert events[0]["status"] == "processed", events[0]["error"]
    found = await contacts.find_live(
        owner.principal, email="new.user@bluefin-foods.com", external_id=None, exclude_id=None
    )
    assert found[0]["first_name"] == "Noor"
    assert found[0]["attributes"] == {"plan": "pro"}
    assert found[0]["entity_type"] == "user"
    member = audience(account)["new.user@bluefin-foods.com"]
    assert member.status == "subscribed"
    assert "Signed up" in member.tags
    assert member.merge_fields.get("FNAME") == "Noor"


async def test_an_upsert_never_resubscribes_someone_who_opted_out(client, sandbox):
    owner, _key, account, people, _ = await synced_audience(sandbox, people=1)
    email = people[0]["email"]
    account.audiences[AUDIENCE].members[
        next(h for h, m in account.audiences[AUDIENCE].members.items() if m.email_address == email)
    ].status = "unsubscribed"
    path, secret = await event_hook(owner)
    await rule(owner, "logged_in", "upsert")

    await send_signed(client, path, secret, {"event": "logged_in", "email": email})
    events = await settled(sandbox, expected=1)

    assert events[0]["status"] == "processed", events[0]["error"]
    assert audience(account)[email].status == "unsubscribed"


@pytest.mark.parametrize(
    "sender",
    [
        lambda c, p, s, e: send_signed(c, p, s, e, timestamp=int(time.time()) - 301),
        lambda c, p, s, e: send_signed(c, p, "lbhook_wrong", e),
        lambda c, p, s, e: send_customerio(c, p, s, e, timestamp=int(time.time()) + 400),
        lambda c, p, s, e: send_customerio(c, p, "wrong-key", e),
        lambda c, p, s, e: send_bearer(c, p, "lbhook_wrong", e),
        lambda c, p, s, e: c.post(p, json=e),
    ],
    ids=["expired", "wrong-key", "cio-future", "cio-wrong-key", "wrong-bearer", "unsigned"],
)
async def test_bad_or_expired_signatures_are_401_and_nothing_is_processed(client, sandbox, sender):
    owner, _key, account, people, _ = await synced_audience(sandbox, people=1)
    path, secret = await event_hook(owner)
    await rule(owner, "trial_started", "tag", tags=["Trial"])
    email = people[0]["email"]

    response = await sender(client, path, secret, {"event": "trial_started", "email": email})

    assert response.status_code == 401
    assert await InboundEvent.count() == 0
    assert "Trial" not in audience(account)[email].tags


async def test_an_unknown_hook_is_404(client, sandbox):
    owner, *_ = await synced_audience(sandbox, people=1)
    _, secret = await event_hook(owner)
    response = await send_bearer(client, "/hooks/events/not-a-hook", secret, {"event": "x"})
    assert response.status_code == 404
    assert await InboundEvent.count() == 0


async def test_an_event_id_makes_redelivery_idempotent(client, sandbox):
    owner, _key, _account, people, _ = await synced_audience(sandbox, people=1)
    path, secret = await event_hook(owner)
    await rule(owner, "trial_started", "tag", tags=["Trial"], event_id_path="meta.id")
    event = {"event": "trial_started", "email": people[0]["email"], "meta": {"id": "evt-1"}}

    first = await send_signed(client, path, secret, event)
    again = await send_signed(client, path, secret, event)
    by_header = await send_bearer(
        client, path, secret, {**event, "meta": {}}, **{"x-listbridge-event-id": "hdr-1"}
    )
    header_again = await send_bearer(
        client, path, secret, {**event, "meta": {}}, **{"x-listbridge-event-id": "hdr-1"}
    )

    assert [r.status_code for r in (first, again, by_header, header_again)] == [202, 200, 202, 200]
    assert again.json()["status"] == "duplicate"
    events = await settled(sandbox, expected=2)
    assert len(events) == 2


async def test_an_event_no_rule_matches_is_logged_as_ignored(client, sandbox):
    owner, _key, _account, _people, _ = await synced_audience(sandbox, people=1)
    path, secret = await event_hook(owner)
    await rule(owner, "trial_started", "tag", tags=["Trial"])

    response = await send_signed(client, path, secret, {"event": "page_viewed", "email": "a@b.co"})

    assert response.json()["status"] == "ignored"
    row = await InboundEvent.objects().first()
    assert (row.type, row.status) == ("page_viewed", "ignored")
    assert "No trigger rule" in row.outcome


async def test_tagging_someone_not_in_the_audience_fails_with_a_reason(client, sandbox):
    owner, *_ = await synced_audience(sandbox, people=1)
    path, secret = await event_hook(owner)
    await rule(owner, "trial_started", "tag", tags=["Trial"])

    await send_signed(
        client, path, secret, {"event": "trial_started", "email": "stranger@bluefin-foods.com"}
    )
    events = await settled(sandbox, expected=1)

    assert events[0]["status"] == "failed"
    assert "not a member" in events[0]["error"]
    assert await Contact.count() == 1  # a tag rule creates no contact


def _deep(depth: int) -> bytes:
    return b'{"event": ' + b"[" * depth + b"]" * depth + b"}"


MALFORMED_JSON = [
    pytest.param("text/plain", b'{"event": "x"}', 415, id="wrong-content-type"),
    pytest.param("application/x-www-form-urlencoded", b"event=x", 415, id="form-encoded"),
    pytest.param("application/json", b'{"event": "\xff\xfe"}', 400, id="invalid-utf8"),
    pytest.param("application/json", b'{"event": ', 400, id="truncated"),
    pytest.param("application/json", b"", 400, id="empty"),
    pytest.param("application/json", b"[1, 2]", 400, id="not-an-object"),
    pytest.param("application/json", b'{"n": NaN}', 400, id="nan"),
    pytest.param("application/json", _deep(40), 400, id="deep"),
    pytest.param("application/json", _deep(200_000), 413, id="deep-and-huge"),
    pytest.param("application/json", b'{"n": ' + b"9" * 5000 + b"}", 400, id="huge-number"),
    pytest.param("application/json", b'{"x": "' + b"a" * 300_000 + b'"}', 413, id="huge-body"),
]


@pytest.mark.parametrize(("content_type", "body", "expected"), MALFORMED_JSON)
async def test_malformed_product_events_are_refused_never_a_500(
    client, sandbox, content_type, body, expected
):
    owner, *_ = await synced_audience(sandbox, people=1)
    path, secret = await event_hook(owner)
    contacts_before = await Contact.count()

    response = await client.post(
        path,
        content=body,
        headers={"content-type": content_type, "authorization": f"Bearer {secret}"},
    )

    assert response.status_code == expected, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await InboundEvent.count() == 0
    assert await Contact.count() == contacts_before


async def test_an_event_name_with_a_nul_character_is_refused_or_recorded_never_failed(
    client, sandbox
):
    # Postgres text cannot hold NUL: there the delivery is refused whole (400, nothing stored);
    # SQLite stores it, and its outcome, which quotes the name, must still be saved.
    owner, _key, _account, people, _ = await synced_audience(sandbox, people=1)
    path, secret = await event_hook(owner)
    event = {"event": "trial\u0000started", "email": people[0]["email"]}

    response = await send_signed(client, path, secret, event)

    if response.status_code == 400:
        assert "cannot be stored" in response.json()["detail"]
        assert await InboundEvent.count() == 0
        return
    assert response.status_code == 202, response.text
    events = await settled(sandbox, expected=1)
    assert events[0]["status"] == "ignored", events[0]["error"]
