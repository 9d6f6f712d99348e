"""The contacts list: name order, keyset paging, search as you type, filters."""

from __future__ import annotations

import pytest

from app.domain.contacts.demo import insert_contacts
from app.domain.contacts.fields import name_keys
from tests.factories import htmx, log_in, make_organisation, soup
from tests.integration.contacts.helpers import make_contact

PEOPLE = [
    # first, last, email, type, department, location, employment type, status
    (
        "Ada",
        "Lovelace",
        "ada@northwind.co",
        "employee",
        "Engineering",
        "London",
        "full_time",
        "active",
    ),
    (
        "Alan",
        "Turing",
        "alan.t@northwind.co",
        "employee",
        "Engineering",
        "Berlin",
        "contractor",
        "active",
    ),
    (
        "Grace",
        "Hopper",
        "g.hopper@northwind.co",
        "employee",
        "Support",
        "Lisbon",
        "part_time",
        "on_leave",
    ),
    ("Jean", "Bartik", "jb@harbor-logistics.co", "vendor", "", "", "", "active"),
    (
        "Kathleen",
        "Booth",
        "kbooth@northwind.co",
        "user",
        "Sales",
        "Remote",
        "full_time",
        "terminated",
    ),
]


async def _people(member) -> None:
    for first, last, email, kind, department, location, employment, status in PEOPLE:
        await make_contact(
            member,
            first_name=first,
            last_name=last,
            email=email,
            entity_type=kind,
            department=department,
            location=location,
            employment_type=employment,
            employment_status=status,
        )


def _names(response) -> list[str]:
    return [a.get_text(strip=True) for a in soup(response).select("#contact-rows .contact-name")]


async def test_the_list_is_in_last_name_order(client):
    owner = await make_organisation()
    await _people(owner)
    await log_in(client, owner)

    names = _names(await client.get("/contacts"))

    assert names == ["Jean Bartik", "Kathleen Booth", "Grace Hopper", "Ada Lovelace", "Alan Turing"]


async def test_load_more_fetches_the_next_page_by_cursor_until_the_end(client):
    owner = await make_organisation()
    rows = [
        {
            "email": f"person{n:03}@northwind.co",
            "entity_type": "employee",
            **name_keys("", "", f"person{n:03}@northwind.co"),
        }
        for n in range(120)
    ]
    await insert_contacts(owner.principal, iter(rows))
    await log_in(client, owner)

    first = soup(await client.get("/contacts"))
    assert len(first.select("#contact-rows tr:not(#contacts-more)")) == 50
    more = first.select_one("#contacts-more a")
    assert "cursor=" in more["href"]

    second = await htmx(client, "GET", more["hx-get"])
    second_rows = soup(second).select("tr:not(#contacts-more)")
    assert len(second_rows) == 50
    assert soup(second).select_one("table") is None  # just rows, appended in place
    third = await htmx(client, "GET", soup(second).select_one("#contacts-more a")["hx-get"])
    emails = [a.get_text() for a in soup(third).select(".contact-name")]
    assert emails[-1] == "person119@northwind.co"
    assert len(emails) == 20
    assert soup(third).select_one("#contacts-more") is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ada", ["Ada Lovelace"]),  # first name
        ("HOPPER", ["Grace Hopper"]),  # last name, any case
        ("lovelace, a", ["Ada Lovelace"]),  # "last, first"
        ("alan tur", ["Alan Turing"]),  # "first last"
        ("g.hop", ["Grace Hopper"]),  # the start of an email
        ("al", ["Alan Turing"]),  # ada@… does not start with "al"
        ("zebra", []),
    ],
)
async def test_search_matches_the_start_of_a_name_in_either_order_or_of_an_email(
    client, typed, expected
):
    owner = await make_organisation()
    await _people(owner)
    await log_in(client, owner)

    response = await client.get("/contacts", params={"q": typed})

    assert _names(response) == expected


async def test_a_search_as_you_type_returns_just_the_results(client):
    owner = await make_organisation()
    await _people(owner)
    await log_in(client, owner)

    response = await htmx(client, "GET", "/contacts?q=boo")

    html = soup(response)
    assert html.select_one("form#contact-filters") is None
    assert html.select_one("h1") is None
    assert _names(response) == ["Kathleen Booth"]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("entity_type", "vendor", ["Jean Bartik"]),
        ("department", "Engineering", ["Ada Lovelace", "Alan Turing"]),
        ("location", "Lisbon", ["Grace Hopper"]),
        ("employment_type", "full_time", ["Kathleen Booth", "Ada Lovelace"]),
        ("employment_status", "on_leave", ["Grace Hopper"]),
    ],
)
async def test_each_filter_narrows_the_list(client, name, value, expected):
    owner = await make_organisation()
    await _people(owner)
    await log_in(client, owner)

    response = await client.get("/contacts", params={name: value})

    assert _names(response) == expected
    selected = soup(response).select_one(f"#filter-{name} option[selected]")
    assert selected["value"] == value  # the page shows the filter that is on


async def test_filters_and_search_combine(client):
    owner = await make_organisation()
    await _people(owner)
    await log_in(client, owner)

    response = await client.get("/contacts", params={"department": "Engineering", "q": "tur"})

    assert _names(response) == ["Alan Turing"]


async def test_the_filter_menus_offer_the_values_present_among_live_contacts(client):
    owner = await make_organisation()
    await _people(owner)
    gone = await make_contact(owner, email="gone@northwind.co", department="Legal")
    from app.domain.contacts import services

    await services.delete_contact(owner.principal, gone["id"])
    await log_in(client, owner)

    html = soup(await client.get("/contacts"))

    departments = [o["value"] for o in html.select("#filter-department option") if o["value"]]
    assert departments == ["Engineering", "Sales", "Support"]
    types = [o.get_text() for o in html.select("#filter-entity_type option")]
    assert types == ["All", "Employees", "App users", "Vendors"]


async def test_the_filters_form_works_without_javascript_and_updates_the_address(client):
    owner = await make_organisation()
    await log_in(client, owner)

    form = soup(await client.get("/contacts")).select_one("form#contact-filters")

    assert form["method"] == "get"
    assert form["action"] == "/contacts"
    assert form["hx-push-url"] == "true"
    search = form.select_one("input[type=search][name=q]")
    assert search["hx-trigger"] == "input changed delay:300ms, search"
    assert form.select_one("label[for=contact-search]") is not None
    assert form.select_one("button[type=submit]") is not None


async def test_going_back_in_history_gets_the_whole_page_not_a_fragment(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await htmx(
        client, "GET", "/contacts?q=a", headers={"hx-history-restore-request": "true"}
    )

    assert soup(response).select_one("form#contact-filters") is not None


async def test_a_broken_cursor_is_a_clear_error_not_a_crash(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await client.get("/contacts", params={"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert "not valid any more" in response.text


async def test_an_empty_list_invites_to_add_or_import(client):
    owner = await make_organisation()
    await log_in(client, owner)

    html = soup(await client.get("/contacts"))

    links = [a["href"] for a in html.select(".empty-state a")]
    assert links == ["/contacts/new", "/contacts/import"]


async def test_the_main_navigation_links_to_contacts(client):
    owner = await make_organisation()
    await log_in(client, owner)

    nav = soup(await client.get("/contacts")).select_one("nav[aria-label=Main]")

    link = nav.find("a", string="Contacts")
    assert link["href"] == "/contacts"
    assert link["aria-current"] == "page"
