"""Connecting through OAuth 2: the consent URL, the code swap, and the token's metadata."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from app.mailchimp.errors import MailchimpUnavailable, ServerError, Unauthorized
from app.mailchimp.oauth import MailchimpOAuth
from tests.unit.mailchimp.mailchimp_client_fakes import RecordedSleep

LOGIN = "https://login.mailchimp.com"
CLIENT_SECRET = "c9b1e0f3a2d54e6f8a7b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e"
TOKEN = "5c2d0ffee1234567890abcdef1234567"
REDIRECT = "https://listbridge.example.org/connections/oauth/callback"
METADATA = {
    "dc": "us19",
    "role": "owner",
    "accountname": "Freddie's Jokes",
    "user_id": 8675309,
    "login": {
        "email": "owner@example.org",
        "avatar": None,
        "login_id": 8675309,
        "login_name": "freddie",
        "login_email": "owner@example.org",
    },
    "login_url": "https://login.mailchimp.com",
    "api_endpoint": "https://us19.api.mailchimp.com",
}


@pytest.fixture
def login() -> respx.MockRouter:
    with respx.mock(base_url=LOGIN, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def oauth(login: respx.MockRouter, sleep: RecordedSleep) -> AsyncIterator[MailchimpOAuth]:
    async with MailchimpOAuth("123456789", CLIENT_SECRET, sleep=sleep) as client:
        yield client


def test_authorize_url_asks_for_a_code_with_our_state(oauth: MailchimpOAuth):
    url = urlsplit(oauth.authorize_url(REDIRECT, state="st-42&x"))
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "login.mailchimp.com",
        "/oauth2/authorize",
    )
    assert parse_qs(url.query) == {
        "response_type": ["code"],
        "client_id": ["123456789"],
        "redirect_uri": [REDIRECT],
        "state": ["st-42&x"],
    }


async def test_exchange_code_posts_the_form_and_returns_the_token(
    login: respx.MockRouter, oauth: MailchimpOAuth
):
    route = login.post("/oauth2/token").respond(
        json={"access_token": TOKEN, "expires_in": 0, "scope": None}
    )
    assert await oauth.exchange_code("code-1", REDIRECT) == TOKEN
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["authorization_code"],
        "client_id": ["123456789"],
        "client_secret": [CLIENT_SECRET],
        "redirect_uri": [REDIRECT],
        "code": ["code-1"],
    }


async def test_an_expired_code_is_unauthorized_with_a_clear_message(
    login: respx.MockRouter, oauth: MailchimpOAuth
):
    route = login.post("/oauth2/token").respond(
        400, json={"error": "invalid_grant", "error_description": "Invalid authorization code"}
    )
    with pytest.raises(Unauthorized) as caught:
        await oauth.exchange_code("stale", REDIRECT)
    assert caught.value.detail == "Invalid authorization code"
    assert "connect again" in caught.value.user_message
    assert route.call_count == 1


async def test_a_code_swap_is_not_repeated_after_a_server_error(
    login: respx.MockRouter, oauth: MailchimpOAuth
):
    route = login.post("/oauth2/token").respond(503, text="<html>unavailable</html>")
    with pytest.raises(ServerError, match="503"):
        await oauth.exchange_code("code-1", REDIRECT)
    assert route.call_count == 1


async def test_metadata_names_the_data_centre_and_login(
    login: respx.MockRouter, oauth: MailchimpOAuth
):
    route = login.get("/oauth2/metadata").respond(json=METADATA)
    metadata = await oauth.metadata(TOKEN)
    assert (metadata.dc, metadata.api_endpoint) == ("us19", "https://us19.api.mailchimp.com")
    assert metadata.accountname == "Freddie's Jokes"
    assert metadata.login_email == "owner@example.org"
    assert route.calls.last.request.headers["Authorization"] == f"OAuth {TOKEN}"


async def test_metadata_200_with_invalid_token_is_unauthorized(
    login: respx.MockRouter, oauth: MailchimpOAuth
):
    login.get("/oauth2/metadata").respond(json={"error": "invalid_token"})
    with pytest.raises(Unauthorized) as caught:
        await oauth.metadata("revoked")
    assert "revoked" in caught.value.user_message


async def test_metadata_is_retried_when_login_is_unreachable(
    login: respx.MockRouter, oauth: MailchimpOAuth, sleep: RecordedSleep
):
    route = login.get("/oauth2/metadata").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(MailchimpUnavailable):
        await oauth.metadata(TOKEN)
    assert route.call_count == 3
    assert sum(sleep.delays) <= 5


async def test_the_client_secret_and_token_never_show(
    login: respx.MockRouter, oauth: MailchimpOAuth, caplog: pytest.LogCaptureFixture
):
    login.post("/oauth2/token").respond(401, json={"error": "invalid_client"})
    login.get("/oauth2/metadata").respond(json=METADATA)
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(Unauthorized) as caught:
            await oauth.exchange_code("code-1", REDIRECT)
        await oauth.metadata(TOKEN)
    for surface in (caplog.text, str(caught.value), repr(caught.value), repr(oauth)):
        assert CLIENT_SECRET not in surface
        assert TOKEN not in surface
    assert "OAuth settings" in caught.value.user_message
