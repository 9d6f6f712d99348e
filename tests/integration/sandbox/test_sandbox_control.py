"""The control side: JSON endpoints and the HTML page that drive what Mailchimp's UI would do."""

from __future__ import annotations

import httpx
import pytest
from bs4 import BeautifulSoup

from app.mailchimp.sandbox import DEMO_SEED, Sandbox


def page(response: httpx.Response) -> BeautifulSoup:
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


async def test_a_created_account_gets_a_working_key_in_its_data_centre(site, make_client):
    created = await site.post(
        "/_sandbox/api/accounts", json={"account_name": "Harbour Bikes", "dc": "us8"}
    )

    assert created.status_code == 201
    key = created.json()["api_keys"][0]["api_key"]
    assert key.endswith("-us8")
    async with make_client(key=key) as client:
        root = (await client.get("/")).json()
    assert root["account_name"] == "Harbour Bikes"


async def test_revoking_by_account_id_revokes_every_key(site, sandbox, ids, api):
    account_id = sandbox.account(ids.api_key).account_id

    revoked = await site.post(f"/_sandbox/api/accounts/{account_id}/revoke")

    assert [k["revoked"] for k in revoked.json()["api_keys"]] == [True]
    assert (await api.get("/ping")).status_code == 401


async def test_the_request_log_and_write_counts_are_readable(site, api, ids, put_member):
    await put_member("ana@fenwicktools.com")
    await api.get(f"/lists/{ids.staff}/members")

    log = (await site.get(f"/_sandbox/api/accounts/{ids.api_key}/requests")).json()
    counts = (await site.get(f"/_sandbox/api/accounts/{ids.api_key}/write-counts")).json()

    assert [(e["method"], e["status"]) for e in log] == [("PUT", 200), ("GET", 200)]
    assert log[1]["path"] == f"/3.0/lists/{ids.staff}/members"
    assert [(c["email_address"], c["created"], c["updated"]) for c in counts] == [
        ("ana@fenwicktools.com", 1, 0)
    ]


async def test_reset_returns_to_the_seed(site, api, ids, put_member):
    await put_member("ana@fenwicktools.com")
    await site.post("/_sandbox/api/accounts", json={"account_name": "Extra"})

    assert (await site.post("/_sandbox/api/reset")).status_code == 204

    assert (await api.get(f"/lists/{ids.staff}/members")).json()["total_items"] == 0
    assert [a["account_name"] for a in (await site.get("/_sandbox/api/accounts")).json()] == [
        "Fenwick Tools"
    ]


async def test_more_can_be_seeded_at_run_time(site, make_client):
    key = "abcdefabcdefabcdefabcdefabcdef12-us2"

    response = await site.post(
        "/_sandbox/api/seed",
        json={"accounts": [{"api_key": key, "audiences": [{"name": "Members"}]}]},
    )

    assert response.status_code == 204
    async with make_client(key=key) as client:
        assert [a["name"] for a in (await client.get("/lists")).json()["lists"]] == ["Members"]


async def test_a_forgotten_person_can_come_back_by_signing_up_themselves(
    site, api, ids, put_member
):
    member_hash = (await put_member("bea@fenwicktools.com")).json()["id"]
    await api.post(f"/lists/{ids.staff}/members/{member_hash}/actions/delete-permanent")

    signup = await site.post(
        f"/_sandbox/api/accounts/{ids.api_key}/lists/{ids.staff}/signups",
        json={"email_address": "bea@fenwicktools.com", "merge_fields": {"FNAME": "Bea"}},
    )

    assert signup.status_code == 200
    member = (await api.get(f"/lists/{ids.staff}/members/bea@fenwicktools.com")).json()
    assert (member["status"], member["source"], member["merge_fields"]["FNAME"]) == (
        "subscribed",
        "Hosted Signup Form",
        "Bea",
    )


async def test_an_unsubscribed_person_may_resubscribe_themselves(site, api, ids, put_member):
    await put_member("cy@fenwicktools.com", status_if_new="unsubscribed")

    response = await site.post(
        f"/_sandbox/api/accounts/{ids.api_key}/lists/{ids.staff}/members/cy@fenwicktools.com/changes",
        json={"action": "resubscribe"},
    )

    assert response.json()["status"] == "subscribed"


async def test_control_changes_are_refused_like_mailchimp_would(site, ids, put_member):
    await put_member("dee@fenwicktools.com")
    member = "dee@fenwicktools.com"
    base = f"/_sandbox/api/accounts/{ids.api_key}/lists/{ids.staff}/members/{member}/changes"

    fake = await site.post(base, json={"action": "change_email", "new_email": "dee@example.com"})
    unknown = await site.post(base, json={"action": "teleport"})

    assert fake.status_code == 400
    assert fake.json()["title"] == "Invalid Resource"
    assert unknown.status_code == 400


async def test_deliveries_are_listed_with_their_attempts(site, api, sandbox, ids, put_member):
    await api.post(
        f"/lists/{ids.staff}/webhooks",
        json={"url": "https://listbridge.test/hook", "sources": {"api": True}},
    )
    await put_member("eli@fenwicktools.com")
    await sandbox.drain_webhooks()

    deliveries = (
        await site.get("/_sandbox/api/webhook-deliveries", params={"account": ids.api_key})
    ).json()

    assert [(d["event_type"], d["source"], d["outcome"]) for d in deliveries] == [
        ("subscribe", "api", "delivered")
    ]
    assert deliveries[0]["attempts"][0]["status"] == 200


# ----------------------------------------------------------------- the HTML control page


async def account_page(site, sandbox, ids) -> tuple[str, BeautifulSoup]:
    url = f"/_sandbox/accounts/{sandbox.account(ids.api_key).account_id}"
    return url, page(await site.get(url))


def assert_every_control_is_labelled(soup: BeautifulSoup) -> None:
    labels_for = {label.get("for") for label in soup.find_all("label")}
    for control in soup.find_all(["input", "select", "textarea"]):
        if control.get("type") == "hidden":
            continue
        wrapped = control.find_parent("label") is not None
        assert wrapped or control.get("id") in labels_for, f"unlabelled control: {control}"
    for button in soup.find_all("button"):
        assert button.get_text(strip=True), f"button without text: {button}"


async def test_the_pages_are_semantic_labelled_and_phone_friendly(site, sandbox, ids, put_member):
    await put_member("fay@fenwicktools.com")
    index = page(await site.get("/_sandbox/"))
    _, account = await account_page(site, sandbox, ids)

    for soup in (index, account):
        assert soup.find("meta", attrs={"name": "viewport"})["content"].startswith(
            "width=device-width"
        )
        assert soup.find("main")
        assert soup.find("h1")
        assert not soup.find("script")
        assert_every_control_is_labelled(soup)
    assert "Fenwick Tools" in index.find("table").get_text()
    ids_on_page = [tag["id"] for tag in account.find_all(id=True)]
    assert len(ids_on_page) == len(set(ids_on_page))


async def submit(site, soup: BeautifulSoup, form, **values) -> httpx.Response:
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    return await site.post(form["action"], data={**fields, **values})


async def test_the_unsubscribe_button_unsubscribes_and_redirects_back(
    site, sandbox, ids, put_member, api, receiver
):
    await put_member("gil@fenwicktools.com")
    await api.post(f"/lists/{ids.staff}/webhooks", json={"url": "https://listbridge.test/hook"})
    url, soup = await account_page(site, sandbox, ids)
    button = soup.find(
        "button", attrs={"aria-label": "Unsubscribe gil@fenwicktools.com (as the subscriber)"}
    )

    response = await submit(site, soup, button.find_parent("form"), source="user")

    assert response.status_code == 303
    assert response.headers["location"].startswith(f"http://mailchimp.test{url}?notice=")
    after = page(await site.get(response.headers["location"]))
    assert "gil@fenwicktools.com" in after.find(attrs={"role": "status"}).get_text()
    assert (await api.get(f"/lists/{ids.staff}/members/gil@fenwicktools.com")).json()[
        "status"
    ] == "unsubscribed"
    await sandbox.drain_webhooks()
    assert [d.source for d in sandbox.state.webhook_deliveries] == ["user"]


async def test_a_refused_change_is_shown_as_an_alert(site, sandbox, ids, put_member):
    await put_member("hal@fenwicktools.com")
    _, soup = await account_page(site, sandbox, ids)
    field = soup.find("input", attrs={"name": "new_email"})

    response = await submit(site, soup, field.find_parent("form"), new_email="hal@example.com")

    alert = page(await site.get(response.headers["location"])).find(attrs={"role": "alert"})
    assert "looks fake or invalid" in alert.get_text()


async def test_the_fault_form_sets_the_accounts_faults(site, sandbox, ids):
    _, soup = await account_page(site, sandbox, ids)
    form = soup.find("input", attrs={"name": "latency_ms"}).find_parent("form")

    response = await submit(site, soup, form, latency_ms="120", rate_500="0.25", seed="3")

    assert response.status_code == 303
    faults = sandbox.account(ids.api_key).faults
    assert (faults.latency_ms, faults.rate_500, faults.seed) == (120, 0.25, 3)


async def test_campaigns_can_be_sent_from_the_page(site, sandbox, ids, api, put_member):
    await put_member("ivo@fenwicktools.com")
    campaign = (
        await api.post(
            "/campaigns",
            json={
                "type": "regular",
                "recipients": {"list_id": ids.staff},
                "settings": {"title": "Hello"},
            },
        )
    ).json()
    _, soup = await account_page(site, sandbox, ids)

    await submit(
        site, soup, soup.find("button", attrs={"aria-label": "Send Hello"}).find_parent("form")
    )

    sent = (await api.get(f"/campaigns/{campaign['id']}")).json()
    assert (sent["status"], sent["emails_sent"]) == ("sent", 1)


# ----------------------------------------------------------------- the demo seed


@pytest.fixture
async def demo() -> Sandbox:
    sandbox = Sandbox(seed=DEMO_SEED)
    yield sandbox
    await sandbox.aclose()


async def test_the_demo_seed_has_two_audiences_and_three_campaigns(demo):
    key = "0123456789abcdef0123456789abcdef-us21"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=demo.asgi_app),
        base_url="http://demo/3.0",
        auth=("demo", key),
    ) as api:
        lists = (await api.get("/lists")).json()["lists"]
        campaigns = (await api.get("/campaigns")).json()["campaigns"]
        employees = next(a for a in lists if a["name"] == "Employees")
        fields = (await api.get(f"/lists/{employees['id']}/merge-fields")).json()["merge_fields"]
        report = (
            await api.get(f"/reports/{next(c['id'] for c in campaigns if c['status'] == 'sent')}")
        ).json()

    assert sorted(a["name"] for a in lists) == ["Employees", "Vendors"]
    assert sorted(c["status"] for c in campaigns) == ["save", "sending", "sent"]
    assert any(f["required"] for f in fields)
    assert report["opens"]["opens_total"] > 0
    assert all(a["stats"]["member_count"] > 0 for a in lists)
