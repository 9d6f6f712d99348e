"""The audit log page: newest first, a page at a time, secrets redacted."""

from __future__ import annotations

from app.lib import audit
from app.lib.audit import Actor
from tests.factories import htmx, log_in, make_organisation, soup


async def test_entries_are_listed_newest_first_and_page_with_a_cursor(client):
    owner = await make_organisation()
    actor = Actor(type="system", label="importer")
    for n in range(60):
        await audit.record(
            actor,
            organisation_id=owner.organisation.id,
            action=f"thing.step_{n:02d}",
            entity_type="thing",
            entity_id=n,
        )
    await log_in(client, owner)

    first = soup(await client.get("/audit"))
    actions = [c.get_text() for c in first.select("#audit-rows td code")]
    assert len(actions) == 50
    assert actions[0] == "thing.step_59"

    more = first.select_one("#audit-more a")["hx-get"]
    second = soup(await htmx(client, "GET", more))
    rest = [c.get_text() for c in second.select("td code")]
    assert rest[0] == "thing.step_09"
    assert len(rest) == 11  # 10 remaining steps + the organisation's creation
    assert set(actions).isdisjoint(rest)
    assert second.select_one("#audit-more") is None


async def test_secrets_in_changes_are_redacted_before_they_are_stored(client):
    owner = await make_organisation()
    await audit.record(
        Actor.system(),
        organisation_id=owner.organisation.id,
        action="connection.created",
        entity_type="connection",
        entity_id=1,
        changes={
            "api_key": "0123456789abcdef0123456789abcdef-us6",
            "nested": {"client_secret": "s3"},
        },
    )
    await log_in(client, owner)

    page = await client.get("/audit")

    assert "0123456789abcdef0123456789abcdef-us6" not in page.text
    assert "[redacted]" in page.text


async def test_a_cursor_that_was_tampered_with_is_a_clear_error_not_a_crash(client):
    owner = await make_organisation()
    await log_in(client, owner)
    response = await client.get("/audit?cursor=not-a-cursor")
    assert response.status_code == 400
    assert "page link" in response.text
