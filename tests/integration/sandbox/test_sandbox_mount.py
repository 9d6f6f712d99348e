"""Mounted inside another Litestar app, every URL the sandbox hands out keeps the mount prefix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from litestar import Litestar, asgi
from litestar.types import Receive, Scope, Send

from app.mailchimp.sandbox import Sandbox

HOST = "http://listbridge.test"
PREFIX = "/sandbox/mailchimp"
KEY = "0123456789abcdef0123456789abcdef-us21"
REDIRECT = "http://listbridge.test/connections/mailchimp/callback"


@pytest.fixture
async def host() -> AsyncIterator[httpx.AsyncClient]:
    """The way the main app mounts it: `@asgi("/sandbox/mailchimp", is_mount=True)`."""
    sandbox = Sandbox(
        seed={
            "accounts": [
                {"api_key": KEY, "account_name": "Mounted", "audiences": [{"name": "Staff"}]}
            ],
            "oauth_clients": [
                {"client_id": "app", "client_secret": "secret", "redirect_uri": REDIRECT}
            ],
        }
    )

    @asgi(PREFIX, is_mount=True, copy_scope=True)
    async def mailchimp_sandbox(scope: Scope, receive: Receive, send: Send) -> None:
        await sandbox.asgi_app(scope, receive, send)

    app = Litestar([mailchimp_sandbox], openapi_config=None, logging_config=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HOST) as client:
        yield client
    await sandbox.aclose()


async def test_the_api_answers_under_the_prefix_and_links_include_it(host):
    lists = await host.get(f"{PREFIX}/3.0/lists", auth=("any", KEY))

    assert lists.status_code == 200
    hrefs = [link["href"] for link in lists.json()["lists"][0]["_links"]]
    assert hrefs
    assert all(h.startswith(f"{HOST}{PREFIX}/3.0/lists") for h in hrefs)
    root = await host.get(f"{PREFIX}/3.0/", auth=("any", KEY))
    assert root.json()["_links"][0]["href"] == f"{HOST}{PREFIX}/3.0/"


async def test_member_links_keep_the_prefix_when_the_path_holds_an_address(host):
    list_id = (await host.get(f"{PREFIX}/3.0/lists", auth=("any", KEY))).json()["lists"][0]["id"]

    member = await host.put(
        f"{PREFIX}/3.0/lists/{list_id}/members/ana%40fenwicktools.com",
        auth=("any", KEY),
        json={"email_address": "ana@fenwicktools.com", "status_if_new": "subscribed"},
    )

    assert member.json()["_links"][0]["href"].startswith(
        f"{HOST}{PREFIX}/3.0/lists/{list_id}/members/"
    )


async def test_oauth_under_the_prefix_points_the_client_back_at_the_prefix(host):
    page = await host.get(
        f"{PREFIX}/oauth2/authorize",
        params={"response_type": "code", "client_id": "app", "redirect_uri": REDIRECT},
    )
    form = BeautifulSoup(page.text, "html.parser").find("form")
    assert form["action"] == f"{HOST}{PREFIX}/oauth2/authorize"
    data = {
        i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("type") != "text"
    }

    redirect = await host.post(form["action"], data={**data, "decision": "allow"})
    code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
    token = (
        await host.post(
            f"{PREFIX}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "client_id": "app",
                "client_secret": "secret",
                "redirect_uri": REDIRECT,
                "code": code,
            },
        )
    ).json()["access_token"]
    metadata = (
        await host.get(f"{PREFIX}/oauth2/metadata", headers={"Authorization": f"OAuth {token}"})
    ).json()

    assert metadata["api_endpoint"] == f"{HOST}{PREFIX}"
    ping = await host.get(
        f"{metadata['api_endpoint']}/3.0/ping", headers={"Authorization": f"Bearer {token}"}
    )
    assert ping.status_code == 200


async def test_the_control_page_links_forms_and_redirects_keep_the_prefix(host):
    index = BeautifulSoup((await host.get(f"{PREFIX}/_sandbox/")).text, "html.parser")
    account_url = index.find("table").find("a")["href"]
    account = BeautifulSoup((await host.get(account_url)).text, "html.parser")
    form = account.find("input", attrs={"name": "latency_ms"}).find_parent("form")

    saved = await host.post(form["action"], data={"latency_ms": "0"})

    assert account_url.startswith(f"{HOST}{PREFIX}/_sandbox/accounts/")
    assert all(
        f["action"].startswith(f"{HOST}{PREFIX}/_sandbox/") for f in account.find_all("form")
    )
    assert saved.status_code == 303
    assert saved.headers["location"].startswith(f"{account_url}?notice=")


async def test_a_public_base_url_overrides_what_requests_say():
    sandbox = Sandbox(
        seed={"accounts": [{"api_key": KEY}]}, public_base_url="https://mc.listbridge.example/"
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.asgi_app),
        base_url="http://127.0.0.1:8025",
        auth=("any", KEY),
    ) as client:
        root = (await client.get("/3.0/")).json()
    await sandbox.aclose()

    assert root["_links"][0]["href"] == "https://mc.listbridge.example/3.0/"
