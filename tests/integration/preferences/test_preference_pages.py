"""The pages: the contact page's preferences card (live per audience), opting in and out with
and without JavaScript, the bulk opt-out from the contacts list, and the preferences list."""

from __future__ import annotations

from app.domain.preferences import services
from app.domain.preferences.tables import EmailPreference, PreferenceChange
from tests.contact_factories import make_contact
from tests.factories import htmx, log_in, make_organisation, post_form, soup
from tests.fixtures.app import wait_until
from tests.integration.preferences.helpers import EMPLOYEES, synced_world


async def test_the_contact_page_loads_the_preferences_card_and_opts_out_in_place(client, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner, first_name="Ada", last_name="Byron")
    await world.sync_all()
    await log_in(client, world.owner)

    page = soup(await client.get(f"/contacts/{person['id']}"))
    card = page.select_one("#contact-preferences")
    panel_url = card["hx-get"]
    assert card.select_one(f"a[href='/preferences/contacts/{person['id']}']")  # without JS
    panel = soup(await htmx(client, "GET", panel_url))
    assert "No choice recorded" in panel.get_text()
    opt_out = panel.select_one("form input[name=status][value=opted_out]").find_parent("form")

    answer = await htmx(client, "POST", opt_out["hx-post"], data={"status": "opted_out"})

    assert answer.status_code == 200
    card = soup(answer).select_one("#contact-preferences")
    assert card.select_one(".badge-opted_out").get_text(strip=True) == "Opted out"
    assert "Ada Byron is opted out." in card.get_text()
    audiences = [li.get_text(" ", strip=True) for li in card.select(".audience-outcomes li")]
    assert [a.split()[0] for a in audiences] == ["Employees", "Everyone"]

    async def all_done():
        html = soup(await htmx(client, "GET", panel_url))
        items = html.select(".audience-outcomes li")
        texts = [li.get_text(" ", strip=True) for li in items]
        return html if texts and all("✓ done" in t for t in texts) else None

    done = await wait_until(all_done, timeout=20)
    assert "Unsubscribed." in done.get_text()
    assert done.select_one("#contact-preferences").get("hx-trigger") is None  # stops polling
    assert world.member(EMPLOYEES, person["email"]).status == "unsubscribed"


async def test_without_javascript_the_form_posts_and_comes_back_with_a_message(client, sandbox):
    owner = await make_organisation()
    person = await make_contact(owner, first_name="Grace", last_name="Hopper")
    await log_in(client, owner)

    response = await post_form(
        client, f"/preferences/contacts/{person['id']}", {"status": "opted_in"}
    )

    assert response.status_code in (302, 303)
    assert response.headers["location"] == f"/preferences/contacts/{person['id']}"
    page = soup(await client.get(response.headers["location"]))
    assert "Grace Hopper is opted in." in page.get_text()
    row = page.select_one(".consent-table tbody tr")
    assert "Opted in" in row.get_text()
    assert "In Listbridge" in row.get_text()
    assert owner.email in row.get_text()
    assert "203.0.113.7" in row.get_text()  # from where


async def test_a_status_that_is_not_one_is_refused_inline(client):
    owner = await make_organisation()
    person = await make_contact(owner)
    await log_in(client, owner)

    answer = await htmx(
        client, "POST", f"/preferences/contacts/{person['id']}", data={"status": "maybe"}
    )

    assert answer.status_code == 400
    assert "Choose opted_in or opted_out" in soup(answer).select_one("[role=alert]").get_text()
    assert await EmailPreference.count() == 0


async def test_the_contacts_list_opts_several_out_after_naming_them(client, other_client):
    owner = await make_organisation()
    first = await make_contact(owner, first_name="Alan", last_name="Turing")
    second = await make_contact(owner, first_name="Joan", last_name="Clarke")
    keep = await make_contact(owner, first_name="Kept", last_name="In")
    stranger_org = await make_organisation()
    stranger = await make_contact(stranger_org)
    await log_in(client, owner)

    listing = soup(await client.get("/contacts"))
    boxes = listing.select("input[type=checkbox][form=bulk-opt-out]")
    assert len(boxes) == 3
    assert listing.select_one("form#bulk-opt-out button").get_text(strip=True) == "Opt out selected"
    chosen = [first["id"], second["id"], stranger["id"]]
    confirm = await post_form(
        client, "/preferences/opt-out", {"contact_id": chosen, "next": "/contacts"}
    )
    page = soup(confirm)
    assert page.select_one("h1").get_text(strip=True) == "Opt out 2 contacts?"
    names = [li.get_text(" ", strip=True) for li in page.select(".person-list li")]
    assert [n.split(" person")[0] for n in names] == ["Alan Turing", "Joan Clarke"]
    assert await EmailPreference.count() == 0  # nothing happens before the confirmation

    done = await post_form(
        client,
        "/preferences/opt-out",
        {"contact_id": chosen, "confirm": "yes", "next": "/contacts"},
    )

    assert done.headers["location"] == "/contacts"
    opted = {row["contact_id"] for row in await EmailPreference.select()}
    assert opted == {first["id"], second["id"]}
    assert keep["id"] not in opted
    page = soup(await client.get("/contacts"))
    assert "2 opted out; 1 could not be found." in page.get_text()


async def test_the_preferences_page_filters_by_status_source_and_date(client):
    owner = await make_organisation()
    out = await make_contact(owner, first_name="Out", last_name="Person")
    inside = await make_contact(owner, first_name="In", last_name="Person")
    await services.set_preference(owner.principal, out["id"], status="opted_out", source="ui")
    await services.set_preference(owner.principal, inside["id"], status="opted_in", source="api")
    await log_in(client, owner)

    def names(response):
        return [
            a.get_text(strip=True) for a in soup(response).select("#preference-rows a.contact-name")
        ]

    assert sorted(names(await client.get("/preferences"))) == ["In Person", "Out Person"]
    assert names(await client.get("/preferences?status=opted_out")) == ["Out Person"]
    assert names(await client.get("/preferences?source=api")) == ["In Person"]
    assert names(await client.get("/preferences?since=2001-01-01&until=2001-12-31")) == []
    assert len(names(await client.get("/preferences?since=2001-01-01"))) == 2
    page = soup(await client.get("/preferences"))
    assert [s.get_text(" ", strip=True) for s in page.select(".stat")] == [
        "1 opted in",
        "1 opted out",
    ]


async def test_a_bad_date_filter_is_an_inline_error_not_a_crash(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await client.get("/preferences?since=yesterday")

    assert response.status_code == 400
    assert soup(response).select_one("#error-since").get_text() == "Use a date like 2026-01-31."


async def test_the_per_contact_view_lists_every_change_with_its_audiences(client, sandbox):
    world = await synced_world(sandbox)
    person = await make_contact(world.owner)
    await world.sync_all()
    await services.set_preference(
        world.owner.principal, person["id"], status="opted_out", source="ui"
    )
    await services.set_preference(
        world.owner.principal, person["id"], status="opted_in", source="api"
    )
    await log_in(client, world.owner)

    page = soup(await client.get(f"/preferences/contacts/{person['id']}"))

    rows = page.select(".consent-table tbody tr")
    assert len(rows) == 2
    assert "Opted out → Opted in" in rows[0].get_text(" ", strip=True)
    assert "API" in rows[0].get_text()
    assert {li.select_one("strong").get_text() for li in rows[1].select("li")} == {
        "Employees",
        "Everyone",
    }
    actions = [code.get_text() for code in page.select(".history code")]
    assert {"preference.opted_in", "preference.opted_out"} <= set(actions)
    assert await PreferenceChange.count() == 2
