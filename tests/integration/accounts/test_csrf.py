"""CSRF: every cookie-authenticated unsafe request must carry the token."""

from __future__ import annotations

from app.domain.accounts.tables import ApiToken
from tests.factories import bearer, csrf_token, log_in, make_organisation, make_token


async def test_a_form_post_without_the_token_is_refused_and_changes_nothing(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await client.post("/settings/tokens", data={"name": "sneaky"})

    assert response.status_code == 403
    assert await ApiToken.count() == 0


async def test_a_forged_token_is_refused(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await client.post(
        "/settings/tokens", data={"name": "sneaky", "_csrf_token": "0" * 128}
    )

    assert response.status_code == 403
    assert await ApiToken.count() == 0


async def test_htmx_requests_send_the_token_as_a_header(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await client.post(
        "/settings/tokens",
        data={"name": "via htmx"},
        headers={"x-csrftoken": await csrf_token(client)},
    )

    assert response.status_code == 201
    assert await ApiToken.count() == 1


async def test_login_itself_needs_the_token(client):
    owner = await make_organisation()
    response = await client.post("/login", data={"email": owner.email, "password": owner.password})
    assert response.status_code == 403


async def test_a_bearer_authenticated_request_needs_no_csrf_token(client):
    # Browsers never attach an Authorization header on their own, so it cannot be forged.
    owner = await make_organisation()
    token = await make_token(owner)

    response = await client.post(
        "/settings/tokens", data={"name": "by token"}, headers=bearer(token)
    )

    assert response.status_code == 201
    assert await ApiToken.count() == 2


async def test_a_bad_bearer_token_is_not_a_way_around_csrf(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await client.post(
        "/settings/tokens", data={"name": "sneaky"}, headers=bearer("lb_not_a_real_token_at_all")
    )

    # Refused as unauthenticated (a page sends people to log in): the cookie is not consulted.
    assert response.status_code == 302
    assert response.headers["location"].startswith("/login")
    assert await ApiToken.count() == 0
