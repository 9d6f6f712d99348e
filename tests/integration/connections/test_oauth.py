"""Connect with Mailchimp (OAuth 2): the state is signed, bound to its person, and single-use."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from app.domain.connections.tables import MailchimpConnection
from app.settings import SANDBOX_CLIENT_ID
from tests.factories import log_in, make_organisation, soup
from tests.fixtures.secrets import remember_secret
from tests.mailchimp_factories import mailchimp_account


async def _authorize(client, account_id: str) -> str:
    """Start the flow, then press Allow on the (sandbox's) Mailchimp page: the callback URL."""
    start = await client.get("/settings/mailchimp/oauth/start")
    assert start.status_code == 302
    authorize = urlsplit(start.headers["location"])
    assert authorize.path == "/sandbox/mailchimp/oauth2/authorize"
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert query["client_id"] == SANDBOX_CLIENT_ID
    allow = await client.post(
        "/sandbox/mailchimp/oauth2/authorize",
        data={
            "client_id": query["client_id"],
            "redirect_uri": query["redirect_uri"],
            "state": query["state"],
            "account_id": account_id,
            "decision": "allow",
        },
    )
    assert allow.status_code == 302
    return allow.headers["location"]


async def test_the_whole_flow_connects_the_account_the_person_chose(client, sandbox):
    owner = await make_organisation()
    _, account = mailchimp_account(sandbox, name="Signed In Ltd")
    await log_in(client, owner)

    callback = await _authorize(client, account.account_id)
    response = await client.get(callback)

    assert response.status_code == 302
    assert response.headers["location"] == "/settings/mailchimp"
    row = await MailchimpConnection.objects().first()
    assert row.auth_type == "oauth"
    assert row.account_name == "Signed In Ltd"
    assert row.api_endpoint.endswith("/sandbox/mailchimp")
    token = next(iter(sandbox.state.access_tokens))
    remember_secret(token)
    assert token not in row.secret
    panel = soup(await client.get("/settings/mailchimp"))
    assert "Mailchimp sign-in (OAuth)" in panel.select_one("dl.facts").get_text()


async def test_a_replayed_callback_is_refused(client, sandbox):
    owner = await make_organisation()
    _, account = mailchimp_account(sandbox)
    await log_in(client, owner)
    callback = await _authorize(client, account.account_id)
    assert (await client.get(callback)).status_code == 302

    replay = await client.get(callback)

    assert replay.status_code == 403
    assert "not valid any more" in replay.text
    assert await MailchimpConnection.count() == 1


async def test_a_forged_state_is_refused_and_nothing_connects(client, sandbox):
    owner = await make_organisation()
    _, account = mailchimp_account(sandbox)
    await log_in(client, owner)
    callback = urlsplit(await _authorize(client, account.account_id))
    query = {k: v[0] for k, v in parse_qs(callback.query).items()}
    payload, _, signature = query["state"].partition(".")

    forged = await client.get(
        callback.path, params={"code": query["code"], "state": f"{payload}x.{signature}"}
    )
    unsigned = await client.get(callback.path, params={"code": query["code"], "state": payload})

    assert forged.status_code == 403
    assert unsigned.status_code == 403
    assert await MailchimpConnection.count() == 0


async def test_someone_else_s_state_is_refused(client, other_client, sandbox):
    first = await make_organisation()
    second = await make_organisation()
    _, account = mailchimp_account(sandbox)
    await log_in(client, first)
    await log_in(other_client, second)
    callback = await _authorize(client, account.account_id)

    response = await other_client.get(callback)

    assert response.status_code == 403
    assert await MailchimpConnection.count() == 0


async def test_denying_access_connects_nothing_and_says_so(client, sandbox):
    owner = await make_organisation()
    mailchimp_account(sandbox)
    await log_in(client, owner)
    start = await client.get("/settings/mailchimp/oauth/start")
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    deny = await client.post(
        "/sandbox/mailchimp/oauth2/authorize",
        data={**{k: query[k] for k in ("client_id", "redirect_uri", "state")}, "decision": "deny"},
    )

    response = await client.get(deny.headers["location"])

    assert response.status_code == 400
    assert "did not grant access" in soup(response).select_one("[role=alert]").get_text()
    assert await MailchimpConnection.count() == 0
