"""Campaigns, their reports, and audience webhooks."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from app.mailchimp.client import MailchimpClient
from app.mailchimp.errors import NotFound, ServerError
from tests.unit.mailchimp.mailchimp_client_fakes import LIST_ID, problem

CAMPAIGN = {
    "id": "42694e9e57",
    "web_id": 1234,
    "type": "regular",
    "status": "sent",
    "create_time": "2026-11-01T09:00:00+00:00",
    "send_time": "2026-11-02T09:00:00+00:00",
    "emails_sent": 950,
    "recipients": {"list_id": LIST_ID, "list_name": "Staff", "recipient_count": 950},
    "settings": {
        "subject_line": "November news",
        "title": "News 11/26",
        "from_name": "People team",
        "reply_to": "people@example.org",
    },
    "report_summary": {
        "opens": 500,
        "unique_opens": 400,
        "open_rate": 0.42,
        "clicks": 90,
        "subscriber_clicks": 70,
        "click_rate": 0.07,
    },
    "tracking": {"opens": True},
}
WEBHOOK_URL = "https://listbridge.example.org/hooks/mailchimp/per-audience-secret-6e1f"


async def test_get_campaign_reads_settings_and_summary(api: respx.MockRouter, mc: MailchimpClient):
    api.get("/campaigns/42694e9e57").respond(json=CAMPAIGN)
    campaign = await mc.get_campaign("42694e9e57")
    assert (campaign.status, campaign.emails_sent) == ("sent", 950)
    assert campaign.settings.subject_line == "November news"
    assert campaign.recipients.list_id == LIST_ID
    assert campaign.report_summary is not None
    assert campaign.report_summary.open_rate == 0.42


async def test_campaigns_filters_sorts_and_pages(api: respx.MockRouter, mc: MailchimpClient):
    def answer(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        size = 1000 if offset == 0 else 3
        campaigns = [{**CAMPAIGN, "id": f"c{offset + i}"} for i in range(size)]
        return httpx.Response(200, json={"campaigns": campaigns, "total_items": 1003})

    route = api.get("/campaigns").mock(side_effect=answer)
    found = [c async for c in mc.campaigns(status="sent", sort_field="send_time", sort_dir="DESC")]
    assert len(found) == 1003
    assert found[-1].id == "c1002"
    assert dict(route.calls[1].request.url.params) == {
        "status": "sent",
        "sort_field": "send_time",
        "sort_dir": "DESC",
        "count": "1000",
        "offset": "1000",
    }


async def test_create_campaign_posts_a_draft(api: respx.MockRouter, mc: MailchimpClient):
    route = api.post("/campaigns").respond(json={**CAMPAIGN, "status": "save", "emails_sent": 0})
    campaign = await mc.create_campaign(
        list_id=LIST_ID,
        subject_line="November news",
        title="News 11/26",
        from_name="People team",
        reply_to="people@example.org",
    )
    assert campaign.status == "save"
    assert json.loads(route.calls.last.request.content) == {
        "type": "regular",
        "recipients": {"list_id": LIST_ID},
        "settings": {
            "subject_line": "November news",
            "title": "News 11/26",
            "from_name": "People team",
            "reply_to": "people@example.org",
        },
    }


async def test_create_campaign_is_not_repeated_after_a_server_error(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.post("/campaigns").mock(
        return_value=problem(500, "Internal Server Error", "An unexpected error occurred.")
    )
    with pytest.raises(ServerError):
        await mc.create_campaign(
            list_id=LIST_ID, subject_line="s", title="t", from_name="f", reply_to="r@example.org"
        )
    assert route.call_count == 1


async def test_campaign_report_reads_opens_and_clicks(api: respx.MockRouter, mc: MailchimpClient):
    api.get("/reports/42694e9e57").respond(
        json={
            "id": "42694e9e57",
            "campaign_title": "News 11/26",
            "list_id": LIST_ID,
            "subject_line": "November news",
            "emails_sent": 950,
            "send_time": "2026-11-02T09:00:00+00:00",
            "bounces": {"hard_bounces": 2, "soft_bounces": 1, "syntax_errors": 0},
            "opens": {
                "opens_total": 500,
                "unique_opens": 400,
                "open_rate": 0.4228,
                "last_open": "2026-11-03T10:00:00+00:00",
            },
            "clicks": {
                "clicks_total": 90,
                "unique_clicks": 80,
                "unique_subscriber_clicks": 70,
                "click_rate": 0.074,
                "last_click": "2026-11-03T11:00:00+00:00",
            },
            "industry_stats": {"open_rate": 0.2},
        }
    )
    report = await mc.campaign_report("42694e9e57")
    assert report.emails_sent == 950
    assert (report.opens.opens_total, report.opens.unique_opens) == (500, 400)
    assert report.opens.open_rate == 0.4228
    assert (report.clicks.clicks_total, report.clicks.unique_clicks) == (90, 80)
    assert report.clicks.click_rate == 0.074
    assert report.bounces.hard_bounces == 2


async def test_missing_campaign_is_not_found(api: respx.MockRouter, mc: MailchimpClient):
    route = api.get("/reports/nope").mock(
        return_value=problem(
            404, "Resource Not Found", "The requested resource could not be found."
        )
    )
    with pytest.raises(NotFound):
        await mc.campaign_report("nope")
    assert route.call_count == 1


async def test_create_webhook_sends_every_flag_and_returns_the_secret_once(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.post(f"/lists/{LIST_ID}/webhooks").respond(
        json={
            "id": "wh1",
            "url": WEBHOOK_URL,
            "list_id": LIST_ID,
            "events": {"subscribe": True},
            "sources": {"user": True},
            "signing_enabled": True,
            "signing_secret": "whsec_5d2c0ffee",
        }
    )
    webhook = await mc.create_webhook(
        LIST_ID, WEBHOOK_URL, events=["subscribe", "unsubscribe"], sources=["user", "admin"]
    )
    assert json.loads(route.calls.last.request.content) == {
        "url": WEBHOOK_URL,
        "events": {
            "subscribe": True,
            "unsubscribe": True,
            "profile": False,
            "cleaned": False,
            "upemail": False,
            "campaign": False,
        },
        "sources": {"user": True, "admin": True, "api": False},
    }
    assert webhook.id == "wh1"
    assert webhook.signing_secret == "whsec_5d2c0ffee"
    assert "whsec_5d2c0ffee" not in repr(webhook)
    assert "per-audience-secret" not in repr(webhook)


async def test_create_webhook_refuses_unknown_events(api: respx.MockRouter, mc: MailchimpClient):
    with pytest.raises(ValueError, match="subscribed"):
        await mc.create_webhook(LIST_ID, WEBHOOK_URL, events=["subscribed"])


async def test_webhooks_lists_the_audiences_hooks(api: respx.MockRouter, mc: MailchimpClient):
    api.get(f"/lists/{LIST_ID}/webhooks").respond(
        json={
            "webhooks": [
                {
                    "id": "wh1",
                    "url": WEBHOOK_URL,
                    "events": {"subscribe": True},
                    "sources": {"api": False},
                    "signing_enabled": True,
                }
            ],
            "list_id": LIST_ID,
            "total_items": 1,
        }
    )
    webhooks = await mc.webhooks(LIST_ID)
    assert [(w.id, w.events["subscribe"], w.signing_secret) for w in webhooks] == [
        ("wh1", True, None)
    ]


async def test_update_webhook_patches_only_what_is_given(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.patch(f"/lists/{LIST_ID}/webhooks/wh1").respond(json={"id": "wh1", "url": "u"})
    await mc.update_webhook(LIST_ID, "wh1", sources=["user"])
    assert json.loads(route.calls.last.request.content) == {
        "sources": {"user": True, "admin": False, "api": False}
    }


async def test_delete_webhook(api: respx.MockRouter, mc: MailchimpClient):
    route = api.delete(f"/lists/{LIST_ID}/webhooks/wh1").respond(204)
    await mc.delete_webhook(LIST_ID, "wh1")
    assert route.call_count == 1
