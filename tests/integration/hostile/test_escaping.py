"""Names with HTML and script in them are valid input: they are stored as given, and every page
that shows them shows them as text. Asserted on the raw HTML, since a parser would hide it."""

from __future__ import annotations

import json

from app.domain.inbound.tables import InboundEvent
from tests.integration.inbound.product_helpers import send_signed
from tests.integration.segments.sync_helpers import AUDIENCE

from .corpus import HTML_NAME, SCRIPT, settle
from .world import build_world

ESCAPED = "&lt;script&gt;alert("
RAW_MARKUP = ("<script>alert(", "<img src=x onerror")


def _unescaped(html: str) -> list[str]:
    return [markup for markup in RAW_MARKUP if markup in html]


async def test_html_in_names_is_stored_and_shown_escaped_on_every_page(client, sandbox):
    world = await build_world(client, sandbox)
    api = world.api_headers
    contact = await client.post(
        "/api/v1/contacts",
        headers=api,
        json={
            "email": "script@bluefin-foods.com",
            "entity_type": "employee",
            "first_name": HTML_NAME,
            "last_name": SCRIPT,
            "department": HTML_NAME,
            "company": HTML_NAME,
            "attributes": {"note": HTML_NAME},
        },
    )
    segment = await client.patch(
        f"/api/v1/segments/{world.segment_id}",
        headers=api,
        json={
            "name": HTML_NAME,
            "description": HTML_NAME,
            "list_id": AUDIENCE,
            "tags": [HTML_NAME],
        },
    )
    trigger = await client.post(
        "/api/v1/triggers",
        headers=api,
        json={"event_name": HTML_NAME, "action": "tag", "list_id": AUDIENCE, "tags": [SCRIPT]},
    )
    event = await send_signed(
        client,
        world.event_path,
        world.event_secret,
        {"event": HTML_NAME, "email": "script@bluefin-foods.com", "id": HTML_NAME},
    )
    assert contact.status_code == 201, contact.text
    assert segment.status_code == 200, segment.text
    assert trigger.status_code == 201, trigger.text
    assert event.status_code == 202, event.text
    chosen = await client.post(
        f"/api/v1/preferences/employee/{contact.json()['id']}",
        headers=api,
        json={"status": "opted_in"},
    )
    assert chosen.status_code == 200, chosen.text
    await settle(sandbox)
    stored = (await client.get(f"/api/v1/contacts/{contact.json()['id']}", headers=api)).json()
    assert (stored["first_name"], stored["last_name"]) == (HTML_NAME, SCRIPT)  # kept as given

    contact_id, segment_id = contact.json()["id"], segment.json()["id"]
    event_row = await InboundEvent.objects().order_by(InboundEvent.id, ascending=False).first()
    shown_on = {  # each page must show the name (escaped), or the test would prove nothing
        "/": False,
        "/contacts": True,
        "/contacts?q=%3Cscript": False,
        f"/contacts/{contact_id}": True,
        f"/contacts/{contact_id}/edit": True,
        "/segments": True,
        f"/segments/{segment_id}": True,
        f"/segments/{segment_id}/edit": True,
        f"/segments/containing/{contact_id}": True,
        "/segments/preview?segment_type=employee&filter_department="
        + json.dumps(HTML_NAME)[1:-1]: False,
        "/audit": True,
        f"/audit?entity_type=contact&entity_id={contact_id}": True,
        "/preferences": True,
        f"/preferences/contacts/{contact_id}": True,
        f"/preferences/contacts/{contact_id}/erase": True,
        "/settings/triggers": True,
        f"/settings/triggers/{trigger.json()['id']}/edit": True,
        "/events": True,
        f"/events/{event_row.id}": True,
    }
    problems = []
    for url, shows_name in shown_on.items():
        for htmx in (False, True):
            response = await client.get(url, headers={"hx-request": "true"} if htmx else {})
            where = f"{url}{' (htmx)' if htmx else ''}"
            if response.status_code != 200:
                problems.append(f"{where}: {response.status_code}")
            elif found := _unescaped(response.text):
                problems.append(f"{where}: unescaped {found}")
            elif shows_name and not htmx and ESCAPED not in response.text:
                problems.append(f"{where}: does not show the name at all")
    assert not problems, "\n".join(problems)
