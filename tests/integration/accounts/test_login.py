"""Logging in and out, and what a wrong password or a flood of attempts gets."""

from __future__ import annotations

from app.domain.audit.tables import AuditLog
from tests.factories import log_in, make_organisation, post_form, soup


async def test_login_with_the_right_password_lands_on_the_dashboard(client):
    owner = await make_organisation("Acme Ltd")

    response = await log_in(client, owner)
    assert response.headers["location"] == "/"

    dashboard = await client.get("/")
    assert dashboard.status_code == 200
    page = soup(dashboard)
    assert page.select_one("h1").get_text(strip=True) == "Acme Ltd"
    assert page.select_one(".user-label").get_text(strip=True) == owner.email


async def test_session_cookie_is_httponly_and_samesite_lax(client):
    owner = await make_organisation()
    response = await log_in(client, owner)
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("listbridge_session")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


async def test_wrong_password_shows_an_inline_error_and_opens_no_session(client):
    owner = await make_organisation()

    response = await post_form(
        client, "/login", {"email": owner.email, "password": "not it at all"}
    )

    assert response.status_code == 400
    alert = soup(response).select_one("[role=alert]")
    assert alert is not None
    assert "don't match" in alert.get_text()
    assert soup(response).select_one("#login-email")["value"] == owner.email
    assert "listbridge_session" not in response.headers.get("set-cookie", "")
    assert (await client.get("/")).status_code == 302


async def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client):
    response = await post_form(
        client, "/login", {"email": "nobody@acme.test", "password": "whatever12"}
    )
    assert response.status_code == 400
    assert "don't match" in soup(response).select_one("[role=alert]").get_text()


async def test_repeated_failures_are_rate_limited_even_with_the_right_password(client):
    owner = await make_organisation()
    for _ in range(10):
        await post_form(client, "/login", {"email": owner.email, "password": "wrong password"})

    response = await post_form(client, "/login", {"email": owner.email, "password": owner.password})

    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Too many failed attempts" in soup(response).select_one("[role=alert]").get_text()


async def test_pages_behind_login_redirect_to_the_login_page(client):
    response = await client.get("/audit")
    assert response.status_code == 302
    assert response.headers["location"] == "/login?next=/audit"


async def test_login_returns_to_the_page_that_asked_but_never_off_site(client):
    owner = await make_organisation()
    response = await post_form(
        client, "/login", {"email": owner.email, "password": owner.password, "next": "/audit"}
    )
    assert response.headers["location"] == "/audit"

    await post_form(client, "/logout")
    response = await post_form(
        client,
        "/login",
        {"email": owner.email, "password": owner.password, "next": "//evil.test/x"},
    )
    assert response.headers["location"] == "/"


async def test_logout_ends_the_session(client):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await post_form(client, "/logout")

    assert response.status_code == 302
    assert (await client.get("/")).status_code == 302


async def test_signup_creates_the_organisation_its_owner_and_an_audit_entry(client):
    response = await post_form(
        client,
        "/signup",
        {
            "organisation_name": "Globex",
            "name": "Hank Scorpio",
            "email": "Hank@Globex.test",
            "password": "volcano lair 123",
        },
    )
    assert response.status_code == 302

    dashboard = soup(await client.get("/"))
    assert dashboard.select_one("h1").get_text(strip=True) == "Globex"
    entry = await AuditLog.objects().where(AuditLog.action == "organisation.created").first()
    assert entry.actor_type == "user"
    assert entry.actor_label == "hank@globex.test"
    assert "volcano" not in str(entry.changes)


async def test_signup_with_bad_fields_shows_each_error_inline_and_creates_nothing(client):
    response = await post_form(
        client, "/signup", {"organisation_name": "", "email": "not-an-email", "password": "short"}
    )
    assert response.status_code == 400
    page = soup(response)
    assert page.select_one("#error-organisation_name") is not None
    assert page.select_one("#error-email") is not None
    assert page.select_one("#error-password") is not None
    assert page.select_one("#field-email")["aria-invalid"] == "true"
    assert await AuditLog.count() == 0
