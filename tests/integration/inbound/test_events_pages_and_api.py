"""The events log, Settings → Triggers, the status dashboard and their JSON API — and one
organisation never seeing or touching another's."""

from __future__ import annotations

from app.domain.audit.tables import AuditLog
from app.domain.inbound.tables import EventHook, InboundEvent, TriggerRule
from tests.factories import bearer, htmx, log_in, make_organisation, make_token, post_form, soup
from tests.integration.inbound.helpers import change, settled, synced_audience
from tests.integration.inbound.product_helpers import event_hook, rule, send_signed
from tests.integration.segments.sync_helpers import AUDIENCE


async def _with_a_failed_event(client, sandbox):
    owner, key, account, people, _ = await synced_audience(sandbox, people=1)
    path, secret = await event_hook(owner)
    await rule(owner, "trial_started", "tag", tags=["Trial"])
    stranger = "later.member@bluefin-foods.com"
    await send_signed(client, path, secret, {"event": "trial_started", "email": stranger})
    await change(sandbox, key, people[0]["email"], "unsubscribe", source="user")
    events = await settled(sandbox, expected=2)
    return owner, key, account, events, stranger


async def test_the_events_page_lists_filters_and_shows_a_payload(client, sandbox):
    owner, _, _, events, _ = await _with_a_failed_event(client, sandbox)
    await log_in(client, owner)

    page = soup(await client.get("/events"))
    rows = page.select("tr.event-row")
    assert len(rows) == 2
    assert {r.select_one(".badge").get_text() for r in rows} == {"failed", "processed"}
    failed = soup(await client.get("/events?status=failed")).select("tr.event-row")
    assert len(failed) == 1
    assert "not a member" in failed[0].get_text()
    mailchimp = soup(await client.get("/events?source=mailchimp")).select("tr.event-row")
    assert [r.select_one("code").get_text() for r in mailchimp] == ["unsubscribe"]
    assert (await client.get("/events?status=bogus")).status_code == 400

    detail = soup(await client.get(f"/events/{events[1]['id']}"))
    payload = detail.select_one("pre.payload").get_text()
    assert '"type": "unsubscribe"' in payload
    assert '"list_id": "' + AUDIENCE in payload


async def test_a_payload_is_shown_escaped(client, sandbox):
    owner, *_ = await synced_audience(sandbox, people=1)
    path, secret = await event_hook(owner)
    await send_signed(client, path, secret, {"event": "<script>alert(1)</script>", "x": "<b>"})
    await log_in(client, owner)
    event = await InboundEvent.objects().first()

    response = await client.get(f"/events/{event.id}")

    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


async def test_retrying_a_failed_event_applies_it_once_it_can_succeed(client, sandbox):
    owner, key, account, events, stranger = await _with_a_failed_event(client, sandbox)
    failed = next(e for e in events if e["status"] == "failed")
    await log_in(client, owner)
    await change_signup(sandbox, key, stranger)

    response = await htmx(client, "POST", f"/events/{failed['id']}/retry")

    assert soup(response).select_one(".badge").get_text() == "processed"
    assert "Trial" in account.audiences[AUDIENCE].members[_hash(stranger)].tags
    entry = await AuditLog.objects().where(AuditLog.action == "inbound_event.retried").first()
    assert entry.entity_id == str(failed["id"])
    again = await htmx(client, "POST", f"/events/{failed['id']}/retry")
    assert again.status_code in (302, 303)  # only failed events are retried


async def change_signup(sandbox, key: str, email: str) -> None:
    import httpx

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.asgi_app), base_url="http://sandbox"
    ) as control:
        response = await control.post(
            f"/_sandbox/api/accounts/{key}/lists/{AUDIENCE}/signups", json={"email_address": email}
        )
    assert response.status_code == 200
    await sandbox.drain_webhooks()


def _hash(email: str) -> str:
    from app.mailchimp.paths import subscriber_hash

    return subscriber_hash(email)


async def test_the_events_api_filters_and_retries(client, sandbox):
    owner, key, _, _events, stranger = await _with_a_failed_event(client, sandbox)
    auth = bearer(await make_token(owner))

    listed = (await client.get("/api/v1/events", headers=auth)).json()
    assert [e["status"] for e in listed["items"]] == ["processed", "failed"]
    failed = (await client.get("/api/v1/events?status=failed", headers=auth)).json()["items"]
    assert [e["type"] for e in failed] == ["trial_started"]
    assert failed[0]["error"]
    assert (await client.get("/api/v1/events?source=mailchimp", headers=auth)).json()["items"][0][
        "type"
    ] == "unsubscribe"
    bad = await client.get("/api/v1/events?source=nowhere", headers=auth)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "source"

    await change_signup(sandbox, key, stranger)
    retried = await client.post(f"/api/v1/events/{failed[0]['id']}/retry", headers=auth)
    assert retried.status_code == 200
    assert retried.json()["status"] == "processed"
    conflict = await client.post(f"/api/v1/events/{failed[0]['id']}/retry", headers=auth)
    assert conflict.status_code == 409


async def test_the_triggers_api_creates_updates_and_deletes_rules(client, sandbox):
    owner, *_ = await synced_audience(sandbox, people=1)
    auth = bearer(await make_token(owner))

    created = await client.post(
        "/api/v1/triggers",
        json={
            "event_name": "trial_started",
            "action": "tag",
            "list_id": AUDIENCE,
            "tags": ["Trial"],
        },
        headers=auth,
    )
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    assert created.json()["list_name"] == "Staff"
    invalid = await client.post(
        "/api/v1/triggers",
        json={"event_name": "", "action": "tag", "list_id": "nope", "tags": []},
        headers=auth,
    )
    assert invalid.status_code == 400
    assert {e["field"] for e in invalid.json()["errors"]} == {"event_name", "list_id", "tags"}
    patched = await client.patch(
        f"/api/v1/triggers/{rule_id}",
        json={"action": "untag", "email_path": "user.email"},
        headers=auth,
    )
    assert patched.status_code == 200
    assert (patched.json()["action"], patched.json()["email_path"]) == ("untag", "user.email")
    assert (await client.get("/api/v1/triggers", headers=auth)).json()["items"][0]["id"] == rule_id
    assert (await client.delete(f"/api/v1/triggers/{rule_id}", headers=auth)).status_code == 204
    assert (await client.get("/api/v1/triggers", headers=auth)).json()["items"] == []


async def test_status_counts_and_the_dashboard_follow_mailchimp(client, sandbox):
    owner, key, _, people, _ = await synced_audience(sandbox, people=3)
    await change(sandbox, key, people[0]["email"], "unsubscribe", source="user")
    await change(sandbox, key, people[1]["email"], "clean", source="admin")
    await settled(sandbox, expected=2)
    auth = bearer(await make_token(owner))

    counts = (await client.get(f"/api/v1/audiences/{AUDIENCE}/status-counts", headers=auth)).json()
    assert counts == {
        "list_id": AUDIENCE,
        "subscribed": 1,
        "unsubscribed": 1,
        "cleaned": 1,
        "pending": 0,
        "archived": 0,
        "total": 3,
    }

    await log_in(client, owner)
    page = soup(await client.get("/"))
    chart = page.select_one(f"figure.status-chart[data-list-id='{AUDIENCE}']")
    assert chart.select_one("svg title").get_text() == "Members of Staff by status"
    assert "1 unsubscribed" in chart.select_one("svg desc").get_text()
    cells = {td["data-status"]: td.get_text() for td in chart.select("td[data-status]")}
    assert cells == {
        "subscribed": "1",
        "unsubscribed": "1",
        "cleaned": "1",
        "pending": "0",
        "archived": "0",
    }
    stats = [s.get_text(" ", strip=True) for s in page.select("#subscriber-status .stat")]
    assert stats == ["2 reachable contacts", "1 unreachable (cleaned by Mailchimp)"]


async def test_settings_triggers_creates_the_hook_once_and_adds_rules(client, sandbox):
    owner, *_ = await synced_audience(sandbox, people=1)
    await log_in(client, owner)

    page = soup(await client.get("/settings/triggers"))
    assert page.select_one(".subnav a[aria-current=page]").get_text() == "Triggers"
    created = soup(await post_form(client, "/settings/triggers/hook"))
    secret = created.select_one("#hook-secret")["value"]
    assert secret.startswith("lbhook_")
    hook = await EventHook.objects().first()
    assert secret not in hook.secret  # stored encrypted
    assert secret not in (await client.get("/settings/triggers")).text  # shown once
    entry = await AuditLog.objects().where(AuditLog.action == "event_hook.created").first()
    assert secret not in str(entry.changes)

    bad = await post_form(
        client,
        "/settings/triggers",
        {"event_name": "", "action": "tag", "list_id": AUDIENCE, "tags": ""},
    )
    assert bad.status_code == 400
    assert soup(bad).select_one("#error-tags") is not None
    added = await post_form(
        client,
        "/settings/triggers",
        {
            "event_name": "signed_up",
            "action": "upsert",
            "list_id": AUDIENCE,
            "tags": "New, Trial",
            "email_path": "person.email",
            "event_path": "what",
            "fields": "first_name = person.first\nattribute:plan = person.plan",
            "enabled": "on",
        },
    )
    assert added.status_code == 302
    row = await TriggerRule.objects().output(load_json=True).first()
    assert (row.event_name, row.action, row.tags) == ("signed_up", "upsert", ["New", "Trial"])
    assert row.mapping["fields"] == {"first_name": "person.first", "attribute:plan": "person.plan"}
    listing = soup(await client.get("/settings/triggers"))
    assert len(listing.select("tr.rule-row")) == 1


async def test_another_organisation_sees_and_touches_none_of_it(client, sandbox):
    _owner, _key, _, events, _ = await _with_a_failed_event(client, sandbox)
    owner_rule = await TriggerRule.objects().first()
    stranger = await make_organisation("Stranger")
    auth = bearer(await make_token(stranger))
    failed = next(e for e in events if e["status"] == "failed")

    assert (await client.get("/api/v1/events", headers=auth)).json()["items"] == []
    assert (await client.get(f"/api/v1/events/{failed['id']}", headers=auth)).status_code == 404
    assert (
        await client.post(f"/api/v1/events/{failed['id']}/retry", headers=auth)
    ).status_code == 404
    assert (await client.get("/api/v1/triggers", headers=auth)).json()["items"] == []
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(
            method,
            f"/api/v1/triggers/{owner_rule.id}",
            headers=auth,
            json={} if method == "PATCH" else None,
        )
        assert response.status_code == 404, method
    counts = await client.get(f"/api/v1/audiences/{AUDIENCE}/status-counts", headers=auth)
    assert counts.status_code == 404

    await log_in(client, stranger)
    assert soup(await client.get("/events")).select("tr.event-row") == []
    assert (await client.get(f"/events/{failed['id']}")).status_code == 404
    assert (await post_form(client, f"/events/{failed['id']}/retry")).status_code == 404
    assert (await client.get(f"/settings/triggers/{owner_rule.id}/edit")).status_code == 404
    assert (
        await post_form(client, f"/settings/triggers/{owner_rule.id}/delete")
    ).status_code == 404
    assert soup(await client.get("/settings/triggers")).select("tr.rule-row") == []
    assert (await htmx(client, "POST", f"/events/webhooks/{AUDIENCE}/register")).status_code == 404
    assert soup(await client.get("/")).select("figure.status-chart") == []
    assert (await TriggerRule.objects().first()).soft_deleted_at is None
    assert (
        await InboundEvent.objects().where(InboundEvent.id == failed["id"]).first()
    ).status == "failed"


async def test_members_may_read_but_not_change_triggers(client, sandbox):
    from tests.factories import add_person

    owner, *_ = await synced_audience(sandbox, people=1)
    await rule(owner, "trial_started", "tag", tags=["Trial"])
    member = await add_person(owner, role="member")
    await log_in(client, member)

    page = soup(await client.get("/settings/triggers"))
    assert len(page.select("tr.rule-row")) == 1
    assert page.select_one("form[action='/settings/triggers']") is None
    assert (await post_form(client, "/settings/triggers/hook")).status_code == 403
    assert await EventHook.count() == 0
