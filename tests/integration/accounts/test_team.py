"""Owners add people; roles decide who may change what; an organisation keeps an owner."""

from __future__ import annotations

from app.domain.accounts.tables import Membership
from tests.factories import PASSWORD, add_person, log_in, make_organisation, post_form, soup


async def test_an_owner_adds_a_new_person_who_can_then_log_in(client, other_client):
    owner = await make_organisation("Acme")
    await log_in(client, owner)

    response = await post_form(
        client,
        "/settings/team",
        {"email": "new.hire@acme.test", "name": "New Hire", "role": "member", "password": PASSWORD},
    )
    assert response.status_code == 302

    login = await post_form(
        other_client, "/login", {"email": "new.hire@acme.test", "password": PASSWORD}
    )
    assert login.status_code == 302
    page = soup(await other_client.get("/"))
    assert page.select_one("h1").get_text(strip=True) == "Acme"


async def test_adding_someone_new_without_a_password_is_an_inline_error(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await post_form(client, "/settings/team", {"email": "x@acme.test", "role": "member"})

    assert response.status_code == 400
    assert soup(response).select_one("#error-password") is not None
    assert await Membership.count() == 1


async def test_members_cannot_add_people(client):
    owner = await make_organisation()
    member = await add_person(owner, role="member")
    await log_in(client, member)

    response = await post_form(
        client, "/settings/team", {"email": "y@acme.test", "role": "admin", "password": PASSWORD}
    )

    assert response.status_code == 403
    assert await Membership.count() == 2


async def test_the_last_owner_cannot_be_removed_or_demoted(client):
    owner = await make_organisation()
    admin = await add_person(owner, role="owner")
    await log_in(client, admin)
    await post_form(client, f"/settings/team/{owner.user.id}/remove")

    response = await post_form(client, f"/settings/team/{admin.user.id}/role", {"role": "member"})
    page = soup(await client.get("/settings"))

    assert response.status_code == 302
    assert "at least one owner" in page.select_one(".flashes").get_text()
    owners = await Membership.count().where(
        (Membership.role == "owner") & Membership.soft_deleted_at.is_null()
    )
    assert owners == 1


async def test_a_person_in_two_organisations_switches_between_them(client):
    first = await make_organisation("First Org")
    second = await make_organisation("Second Org")
    await add_person(second, role="member", email=first.email)
    await log_in(client, first)

    page = soup(await client.get("/"))
    options = [o.get_text(strip=True) for o in page.select("#org-switch option")]
    assert options == ["First Org", "Second Org"]

    await post_form(
        client, "/session/organisation", {"organisation_id": str(second.organisation.id)}
    )
    assert soup(await client.get("/")).select_one("h1").get_text(strip=True) == "Second Org"


async def test_switching_to_an_organisation_you_do_not_belong_to_does_nothing(client):
    mine = await make_organisation("Mine")
    theirs = await make_organisation("Theirs")
    await log_in(client, mine)

    await post_form(
        client, "/session/organisation", {"organisation_id": str(theirs.organisation.id)}
    )

    assert soup(await client.get("/")).select_one("h1").get_text(strip=True) == "Mine"


async def test_a_removed_member_loses_access_at_once(client, other_client):
    owner = await make_organisation()
    member = await add_person(owner)
    await log_in(other_client, member)
    assert (await other_client.get("/")).status_code == 200

    await log_in(client, owner)
    await post_form(client, f"/settings/team/{member.user.id}/remove")

    assert (await other_client.get("/")).status_code == 302
