"""Account and audience reads: the right request, every page, typed answers."""

from __future__ import annotations

import httpx
import respx

from app.mailchimp.client import MailchimpClient
from app.mailchimp.credentials import OAuthCredentials
from tests.unit.mailchimp.mailchimp_client_fakes import BASIC_AUTH, LIST_ID


def audience_json(index: int) -> dict:
    return {
        "id": f"list{index:05d}",
        "web_id": index,
        "name": f"Audience {index}",
        "double_optin": index % 2 == 0,
        "stats": {"member_count": index * 10, "unsubscribe_count": 1, "cleaned_count": 0},
        "_links": [],
    }


def paged(items_key: str, make, total: int):
    """A respx side effect answering count/offset pages of `total` made-up items."""

    def answer(request: httpx.Request) -> httpx.Response:
        count = int(request.url.params["count"])
        offset = int(request.url.params.get("offset", 0))
        items = [make(i) for i in range(offset, min(offset + count, total))]
        return httpx.Response(200, json={items_key: items, "total_items": total})

    return answer


async def test_ping_sends_the_key_as_basic_auth(api: respx.MockRouter, mc: MailchimpClient):
    route = api.get("/ping").respond(json={"health_status": "Everything's Chimpy!"})
    ping = await mc.ping()
    assert ping.health_status == "Everything's Chimpy!"
    request = route.calls.last.request
    assert request.url == "https://us6.api.mailchimp.com/3.0/ping"
    assert request.headers["Authorization"] == BASIC_AUTH


async def test_account_reads_the_api_root(api: respx.MockRouter, mc: MailchimpClient):
    api.get("/").respond(
        json={
            "account_id": "8d3a3db4d97663a9074efcc16",
            "login_id": "42",
            "account_name": "Freddie's Jokes",
            "email": "owner@example.org",
            "first_name": "Freddie",
            "last_name": "Chimp",
            "username": "freddie",
            "role": "owner",
            "pricing_plan_type": "monthly",
            "contact": {"company": "Freddie's Jokes", "city": "Atlanta", "zip": "30308"},
            "industry_stats": {"open_rate": 0.2},
        }
    )
    account = await mc.account()
    assert account.account_id == "8d3a3db4d97663a9074efcc16"
    assert account.account_name == "Freddie's Jokes"
    assert (account.first_name, account.last_name, account.role) == ("Freddie", "Chimp", "owner")
    assert account.login_id == "42"
    assert account.contact is not None
    assert account.contact.city == "Atlanta"


async def test_oauth_client_sends_bearer_to_its_api_endpoint():
    credentials = OAuthCredentials("token-abc", "https://us19.api.mailchimp.com")
    with respx.mock(base_url="https://us19.api.mailchimp.com/3.0") as router:
        route = router.get("/ping").respond(json={"health_status": "ok"})
        async with MailchimpClient(credentials) as client:
            await client.ping()
    assert route.calls.last.request.headers["Authorization"] == "Bearer token-abc"


async def test_base_url_override_points_at_the_sandbox():
    credentials = OAuthCredentials("token-abc", "https://us19.api.mailchimp.com")
    with respx.mock(base_url="http://127.0.0.1:8025/3.0") as router:
        route = router.get("/lists").respond(json={"lists": [], "total_items": 0})
        async with MailchimpClient(credentials, base_url="http://127.0.0.1:8025/3.0/") as client:
            assert await client.all_lists() == []
    assert route.calls.last.request.url.path == "/3.0/lists"


async def test_transport_argument_carries_every_request():
    seen: list[str] = []

    def sandbox(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"health_status": "Everything's Chimpy!"})

    credentials = OAuthCredentials("token-abc", "https://us19.api.mailchimp.com")
    async with MailchimpClient(
        credentials, base_url="http://sandbox/3.0", transport=httpx.MockTransport(sandbox)
    ) as client:
        await client.ping()
    assert seen == ["/3.0/ping"]


async def test_lists_pages_through_every_audience_1000_at_a_time(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.get("/lists").mock(side_effect=paged("lists", audience_json, 2001))
    audiences = await mc.all_lists()
    assert len(audiences) == 2001
    assert audiences[0].id == "list00000"
    assert audiences[-1].id == "list02000"
    assert [dict(call.request.url.params) for call in route.calls] == [
        {"count": "1000", "offset": "0"},
        {"count": "1000", "offset": "1000"},
        {"count": "1000", "offset": "2000"},
    ]


async def test_lists_stops_when_a_full_page_reaches_total_items(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.get("/lists").mock(side_effect=paged("lists", audience_json, 1000))
    assert len([a async for a in mc.lists()]) == 1000
    assert route.call_count == 1


async def test_get_list_reads_stats_and_double_opt_in(api: respx.MockRouter, mc: MailchimpClient):
    api.get(f"/lists/{LIST_ID}").respond(
        json={
            **audience_json(3),
            "id": LIST_ID,
            "name": "Staff",
            "double_optin": True,
            "stats": {
                "member_count": 1234,
                "unsubscribe_count": 5,
                "cleaned_count": 2,
                "open_rate": 41.5,
                "campaign_last_sent": "",
            },
        }
    )
    audience = await mc.get_list(LIST_ID)
    assert (audience.id, audience.name, audience.double_optin) == (LIST_ID, "Staff", True)
    assert audience.stats.member_count == 1234
    assert audience.stats.open_rate == 41.5


async def test_merge_fields_reads_every_page_with_options(
    api: respx.MockRouter, mc: MailchimpClient
):
    def merge_field(i: int) -> dict:
        if i == 0:
            return {
                "merge_id": 1,
                "tag": "BDAY",
                "name": "Birthday",
                "type": "birthday",
                "required": True,
                "default_value": "",
                "display_order": 2,
                "options": {"date_format": "MM/DD"},
            }
        return {
            "merge_id": i + 1,
            "tag": f"CHOICE{i}",
            "name": f"Choice {i}",
            "type": "dropdown",
            "required": False,
            "display_order": i + 2,
            "options": {"choices": ["Red", "Blue"]},
        }

    route = api.get(f"/lists/{LIST_ID}/merge-fields").mock(
        side_effect=paged("merge_fields", merge_field, 1001)
    )
    fields = await mc.merge_fields(LIST_ID)
    assert len(fields) == 1001
    assert route.call_count == 2
    birthday = fields[0]
    assert (birthday.tag, birthday.type, birthday.required) == ("BDAY", "birthday", True)
    assert birthday.options.date_format == "MM/DD"
    assert birthday.display_order == 2
    assert fields[1].options.choices == ["Red", "Blue"]
