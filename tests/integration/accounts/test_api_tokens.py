"""API tokens: created in the UI, shown once, stored hashed, revocable."""

from __future__ import annotations

import hashlib

from app.domain.accounts.tables import ApiToken
from app.domain.audit.tables import AuditLog
from tests.factories import bearer, log_in, make_organisation, make_token, post_form, soup


async def test_a_token_is_shown_once_and_only_its_hash_is_stored(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await post_form(client, "/settings/tokens", {"name": "HR export"})

    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    plaintext = soup(response).select_one("#new-token")["value"]
    assert plaintext.startswith("lb_")
    row = await ApiToken.objects().first()
    assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in str(await ApiToken.select())

    listing = await client.get("/settings/tokens")
    assert plaintext not in listing.text
    assert row.prefix in listing.text


async def test_me_answers_for_the_token_s_organisation(client):
    owner = await make_organisation("Initech")
    token = await make_token(owner, "reporting")

    response = await client.get("/api/v1/me", headers=bearer(token))

    assert response.status_code == 200
    body = response.json()
    assert body["organisation"] == {"id": owner.organisation.id, "name": "Initech"}
    assert body["actor"]["type"] == "api_token"
    assert body["actor"]["label"] == "reporting"


async def test_me_works_with_a_session_too(client):
    owner = await make_organisation("Initech")
    await log_in(client, owner)
    response = await client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["actor"] == {
        "type": "user",
        "id": str(owner.user.id),
        "label": owner.email,
    }


async def test_a_revoked_token_gets_401_problem_json(client):
    owner = await make_organisation()
    token = await make_token(owner)
    await log_in(client, owner)
    token_id = (await ApiToken.objects().first()).id

    revoke = await post_form(client, f"/settings/tokens/{token_id}/revoke")
    assert revoke.status_code == 302

    response = await client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 401
    assert problem["title"] == "Unauthorized"
    assert "revoked" in problem["detail"]
    assert await AuditLog.exists().where(AuditLog.action == "api_token.revoked")


async def test_a_made_up_token_gets_401_and_never_falls_back_to_the_session(client):
    owner = await make_organisation()
    await log_in(client, owner)
    response = await client.get("/api/v1/me", headers=bearer("lb_madeup"))
    assert response.status_code == 401


async def test_no_credentials_gets_401_problem_json(client):
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


async def test_members_cannot_create_tokens(client):
    from tests.factories import add_person

    owner = await make_organisation()
    member = await add_person(owner, role="member")
    await log_in(client, member)

    response = await post_form(client, "/settings/tokens", {"name": "mine"})

    assert response.status_code == 403
    assert await ApiToken.count() == 0
