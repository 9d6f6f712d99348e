"""Filtering the audit log by who, what, about what and when — on the page (with or without
JavaScript, paging keeps the filters) and through `GET /api/v1/audit`."""

from __future__ import annotations

import datetime

from app.domain.audit.tables import AuditLog
from app.lib import audit
from app.lib.audit import Actor
from tests.factories import bearer, htmx, log_in, make_organisation, make_token, soup

DAY = datetime.datetime(2026, 3, 14, 12, 0, tzinfo=datetime.UTC)


async def _entries(owner):
    """A small log: who did what to which entity, on known days."""
    org = owner.organisation.id
    people = {
        "ana": Actor(type="user", id="1", label="ana@acme.test"),
        "bot": Actor(type="api_token", id="2", label="CRM sync"),
        "cron": Actor.system("daily sync"),
    }
    rows = [
        ("ana", "contact.created", "contact", 1, 0),
        ("ana", "contact.updated", "contact", 1, 1),
        ("bot", "preference.opted_out", "contact", 2, 2),
        ("cron", "segment.synced", "segment", 7, 3),
        ("ana", "segment.updated", "segment", 7, 10),
    ]
    for who, action, kind, entity_id, days in rows:
        await audit.record(
            people[who], organisation_id=org, action=action, entity_type=kind, entity_id=entity_id
        )
        await AuditLog.update({AuditLog.created_at: DAY + datetime.timedelta(days=days)}).where(
            (AuditLog.organisation == org) & (AuditLog.action == action)
        )


def _actions(response) -> list[str]:
    return [code.get_text() for code in soup(response).select("#audit-rows td code")]


async def test_each_filter_narrows_the_page(client):
    owner = await make_organisation()
    await _entries(owner)
    await log_in(client, owner)

    assert _actions(await client.get("/audit?actor_type=api_token")) == ["preference.opted_out"]
    assert _actions(await client.get("/audit?actor=ANA%40")) == [
        "segment.updated",
        "contact.updated",
        "contact.created",
    ]
    assert _actions(await client.get("/audit?action=contact.")) == [
        "contact.updated",
        "contact.created",
    ]
    assert _actions(await client.get("/audit?entity_type=segment&entity_id=7")) == [
        "segment.updated",
        "segment.synced",
    ]
    assert _actions(await client.get("/audit?since=2026-03-15&until=2026-03-17")) == [
        "segment.synced",
        "preference.opted_out",
        "contact.updated",
    ]
    assert _actions(await client.get("/audit?actor=ana&action=segment")) == ["segment.updated"]


async def test_the_form_shows_the_filters_and_links_an_entity_to_its_history(client):
    owner = await make_organisation()
    await _entries(owner)
    await log_in(client, owner)

    page = soup(await client.get("/audit?action=preference"))

    form = page.select_one("form.audit-filters")
    assert form["method"] == "get"
    for name in ("actor_type", "actor", "action", "entity_type", "entity_id", "since", "until"):
        field = form.select_one(f"[name={name}]")
        assert form.select_one(f"label[for={field['id']}]"), name
    assert form.select_one("[name=action]")["value"] == "preference"
    assert "segment.synced" in [o["value"] for o in page.select("#audit-actions option")]
    link = page.select_one("#audit-rows td a")
    assert link["href"] == "/audit?entity_type=contact&entity_id=2"


async def test_paging_keeps_the_filters(client):
    owner = await make_organisation()
    for n in range(55):
        await audit.record(
            Actor.system(),
            organisation_id=owner.organisation.id,
            action="thing.kept",
            entity_type="thing",
            entity_id=n,
        )
        await audit.record(
            Actor.system(),
            organisation_id=owner.organisation.id,
            action="other.noise",
            entity_type="thing",
            entity_id=n,
        )
    await log_in(client, owner)

    first = await client.get("/audit?action=thing")
    more = soup(first).select_one("#audit-more a")

    assert "action=thing" in more["href"]
    rest = await htmx(client, "GET", more["hx-get"])
    assert set(_actions(first)) | {c.get_text() for c in soup(rest).select("td code")} == {
        "thing.kept"
    }
    assert len(soup(rest).select("td code")) == 5


async def test_bad_filters_are_inline_errors_on_the_page_and_problems_in_the_api(client):
    owner = await make_organisation()
    await log_in(client, owner)
    auth = bearer(await make_token(owner))

    page = await client.get("/audit?since=2026-13-01&actor_type=robot")
    api = await client.get("/api/v1/audit?until=tomorrow", headers=auth)

    assert page.status_code == 400
    assert soup(page).select_one("#error-since").get_text() == "Use a date like 2026-01-31."
    assert soup(page).select_one("#error-actor_type")
    assert api.status_code == 400
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["errors"][0]["field"] == "until"


async def test_the_api_answers_the_same_filters_for_its_own_organisation_only(client):
    owner = await make_organisation()
    other = await make_organisation()
    await _entries(owner)
    await _entries(other)
    auth = bearer(await make_token(owner, name="auditor"))

    body = (await client.get("/api/v1/audit?entity_type=segment&limit=1", headers=auth)).json()
    rest = (
        await client.get(
            f"/api/v1/audit?entity_type=segment&limit=1&cursor={body['next_cursor']}", headers=auth
        )
    ).json()
    everything = (await client.get("/api/v1/audit?limit=200", headers=auth)).json()

    assert [i["action"] for i in body["items"] + rest["items"]] == [
        "segment.updated",
        "segment.synced",
    ]
    assert rest["next_cursor"] is None
    assert body["items"][0]["entity_id"] == "7"
    ids = {
        row["id"]
        for row in await AuditLog.select(AuditLog.id).where(
            AuditLog.organisation == other.organisation.id
        )
    }
    assert ids.isdisjoint(item["id"] for item in everything["items"])


async def test_a_detail_page_shows_its_entitys_history(client, sandbox):
    from tests.integration.segments.sync_helpers import connected, make_segment

    owner, _, _ = await connected(sandbox)
    segment = await make_segment(owner, name="Sales")
    await log_in(client, owner)

    page = soup(await client.get(f"/segments/{segment.id}"))
    loader = page.select_one(".entity-history [hx-get]")
    history = soup(await htmx(client, "GET", loader["hx-get"]))

    assert [c.get_text() for c in history.select("code")] == ["segment.created"]
    assert history.select_one("a")["href"] == f"/audit?entity_type=segment&entity_id={segment.id}"


async def test_campaign_event_and_rule_pages_load_their_history_too(client, sandbox):
    from app.domain.inbound.tables import InboundEvent, TriggerRule
    from tests.integration.campaigns.sandbox_campaigns import tracking_row
    from tests.mailchimp_factories import connect

    owner = await make_organisation()
    await connect(owner, sandbox)
    campaign = await tracking_row(owner)
    event = InboundEvent(organisation=owner.organisation.id, source="generic", type="signed_up")
    await event.save()
    rule = TriggerRule(
        organisation=owner.organisation.id, event_name="signed_up", action="tag", list_id="x"
    )
    await rule.save()
    await log_in(client, owner)

    for path, kind, entity_id in (
        (f"/campaigns/{campaign.id}", "campaign_tracking", campaign.id),
        (f"/events/{event.id}", "inbound_event", event.id),
        (f"/settings/triggers/{rule.id}/edit", "trigger_rule", rule.id),
    ):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        loader = soup(response).select_one(".entity-history [hx-get]")
        assert loader is not None, path
        assert loader["hx-get"] == f"/audit/history?entity_type={kind}&entity_id={entity_id}", path


async def test_an_entitys_history_never_shows_another_organisations_entries(client):
    owner = await make_organisation()
    other = await make_organisation()
    await _entries(other)
    await log_in(client, owner)

    history = soup(await htmx(client, "GET", "/audit/history?entity_type=segment&entity_id=7"))

    assert history.select("code") == []
    assert "No changes recorded yet." in history.get_text()
