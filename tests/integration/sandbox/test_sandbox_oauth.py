"""OAuth 2 as at login.mailchimp.com: authorize page, single-use 30-second codes, metadata."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

CLIENT = {
    "client_id": "listbridge-test",
    "client_secret": "s3cret-for-tests",
    "redirect_uri": "http://listbridge.test/connections/mailchimp/callback",
}


@pytest.fixture
def authorize(site):
    """Open the authorize page, pick the account, press a button; return the redirect."""

    async def run(decision: str = "allow", account_name: str = "Fenwick Tools") -> httpx.Response:
        page = await site.get(
            "/oauth2/authorize",
            params={
                "response_type": "code",
                "client_id": CLIENT["client_id"],
                "redirect_uri": CLIENT["redirect_uri"],
                "state": "st4te",
            },
        )
        assert page.status_code == 200
        form = BeautifulSoup(page.text, "html.parser").find("form")
        data = {
            field["name"]: field.get("value", "") for field in form.find_all("input", type="hidden")
        }
        label = next(label for label in form.find_all("label") if account_name in label.get_text())
        data["account_id"] = label.find("input", type="radio")["value"]
        data["decision"] = decision
        return await site.post(form["action"], data=data)

    return run


def query_of(response: httpx.Response) -> dict[str, str]:
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CLIENT["redirect_uri"]
    return {k: v[0] for k, v in parse_qs(location.query).items()}


async def exchange(site, code: str, **overrides) -> httpx.Response:
    return await site.post(
        "/oauth2/token",
        data={"grant_type": "authorization_code", **CLIENT, "code": code, **overrides},
    )


async def test_the_whole_flow_ends_in_a_token_that_works_on_the_api(authorize, site, sandbox):
    redirect = await authorize()

    assert redirect.status_code == 302
    returned = query_of(redirect)
    assert returned["state"] == "st4te"
    token = await exchange(site, returned["code"])
    assert token.status_code == 200
    assert set(token.json()) == {"access_token", "token_type", "scope"}
    assert (token.json()["token_type"], token.json()["scope"]) == ("bearer", None)
    access_token = token.json()["access_token"]

    metadata = (
        await site.get("/oauth2/metadata", headers={"Authorization": f"OAuth {access_token}"})
    ).json()

    assert metadata["dc"] == "us19"
    assert metadata["accountname"] == "Fenwick Tools"
    assert metadata["login"]["login_email"] == "ops@fenwicktools.com"
    assert set(metadata) >= {"role", "user_id", "login", "login_url", "api_endpoint"}
    assert metadata["api_endpoint"] == "http://mailchimp.test"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.asgi_app),
        base_url=f"{metadata['api_endpoint']}/3.0",
        headers={"Authorization": f"Bearer {access_token}"},
    ) as client:
        root = await client.get("/")
    assert root.json()["account_name"] == "Fenwick Tools"


async def test_a_code_works_once(authorize, site):
    code = query_of(await authorize())["code"]

    first = await exchange(site, code)
    replay = await exchange(site, code)

    assert first.status_code == 200
    assert replay.status_code == 400
    assert replay.json() == {"error": "invalid_grant"}


async def test_a_code_expires_after_thirty_seconds(authorize, site, clock):
    code = query_of(await authorize())["code"]

    clock.advance(31)
    late = await exchange(site, code)

    assert late.status_code == 400
    assert late.json() == {"error": "invalid_grant"}


async def test_a_code_used_within_thirty_seconds_is_honoured(authorize, site, clock):
    code = query_of(await authorize())["code"]

    clock.advance(29)

    assert (await exchange(site, code)).status_code == 200


async def test_denying_sends_the_person_back_with_access_denied(authorize):
    redirect = await authorize(decision="deny")

    assert query_of(redirect) == {"error": "access_denied", "state": "st4te"}


async def test_a_wrong_client_secret_or_redirect_uri_is_refused(authorize, site):
    code = query_of(await authorize())["code"]

    wrong_secret = await exchange(site, code, client_secret="guess")
    code = query_of(await authorize())["code"]
    wrong_redirect = await exchange(site, code, redirect_uri="http://evil.test/callback")

    assert (wrong_secret.status_code, wrong_secret.json()) == (401, {"error": "invalid_client"})
    assert (wrong_redirect.status_code, wrong_redirect.json()) == (400, {"error": "invalid_grant"})


async def test_an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(site):
    page = await site.get(
        "/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": CLIENT["client_id"],
            "redirect_uri": "http://evil.test/cb",
        },
    )

    assert page.status_code == 400
    assert "location" not in page.headers
    assert "redirect_uri" in BeautifulSoup(page.text, "html.parser").get_text()


async def test_metadata_with_a_bad_token_answers_invalid_token_with_200(site):
    response = await site.get(
        "/oauth2/metadata", headers={"Authorization": "OAuth 00000000000000000000000000000000"}
    )

    assert response.status_code == 200
    assert response.json() == {"error": "invalid_token"}


async def test_a_new_sandbox_account_can_be_created_while_authorizing(site, sandbox):
    page = await site.get(
        "/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": CLIENT["client_id"],
            "redirect_uri": CLIENT["redirect_uri"],
        },
    )
    form = BeautifulSoup(page.text, "html.parser").find("form")
    data = {
        field["name"]: field.get("value", "") for field in form.find_all("input", type="hidden")
    }

    redirect = await site.post(
        form["action"],
        data={**data, "account_id": "new", "account_name": "Harbour Bikes", "decision": "allow"},
    )
    token = (await exchange(site, query_of(redirect)["code"])).json()["access_token"]
    metadata = (
        await site.get("/oauth2/metadata", headers={"Authorization": f"Bearer {token}"})
    ).json()

    assert metadata["accountname"] == "Harbour Bikes"
    assert len(sandbox.state.accounts) == 2
