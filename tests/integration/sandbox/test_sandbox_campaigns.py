"""Campaigns and reports: drafts over the API; sending and activity through the control side."""

from __future__ import annotations

import pytest


@pytest.fixture
def create_campaign(api, ids):
    async def create(title: str, list_id: str | None = None) -> dict:
        response = await api.post(
            "/campaigns",
            json={
                "type": "regular",
                "recipients": {"list_id": list_id or ids.staff},
                "settings": {"title": title, "subject_line": f"{title}!", "from_name": "Fenwick"},
            },
        )
        assert response.status_code == 200, response.text
        return response.json()

    return create


async def test_a_new_campaign_is_a_draft(create_campaign, api):
    campaign = await create_campaign("Spring update")

    assert campaign["status"] == "save"
    assert campaign["settings"]["title"] == "Spring update"
    assert campaign["send_time"] == ""
    assert (await api.get(f"/campaigns/{campaign['id']}")).json()["id"] == campaign["id"]


async def test_a_campaign_needs_a_type_and_an_existing_audience(api):
    response = await api.post(
        "/campaigns", json={"type": "carrier-pigeon", "recipients": {"list_id": "0000000000"}}
    )

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"type", "recipients.list_id"}


async def test_a_draft_has_no_report(create_campaign, api):
    campaign = await create_campaign("Draft only")

    assert (await api.get(f"/reports/{campaign['id']}")).status_code == 404
    assert (await api.get("/reports/0000000000")).status_code == 404


async def test_sending_reaches_every_subscribed_member_and_opens_a_report(
    create_campaign, api, site, ids, put_member, clock
):
    for email, status in [
        ("s1@fenwicktools.com", "subscribed"),
        ("s2@fenwicktools.com", "subscribed"),
        ("u1@fenwicktools.com", "unsubscribed"),
        ("p1@fenwicktools.com", "pending"),
    ]:
        await put_member(email, status_if_new=status)
    campaign = await create_campaign("Quarterly")

    sent = await site.post(f"/_sandbox/api/accounts/{ids.api_key}/campaigns/{campaign['id']}/send")

    assert sent.status_code == 200
    after = (await api.get(f"/campaigns/{campaign['id']}")).json()
    assert (after["status"], after["emails_sent"], after["send_time"]) == (
        "sent",
        2,
        clock.now.isoformat(),
    )
    report = (await api.get(f"/reports/{campaign['id']}")).json()
    assert report["emails_sent"] == 2
    assert report["opens"] == {
        "opens_total": 0,
        "unique_opens": 0,
        "open_rate": 0.0,
        "last_open": "",
    }


async def test_activity_moves_the_report_figures_and_rates_are_fractions(
    create_campaign, api, site, ids, put_member
):
    for n in range(4):
        await put_member(f"r{n}@fenwicktools.com")
    campaign = await create_campaign("Activity")
    base = f"/_sandbox/api/accounts/{ids.api_key}/campaigns/{campaign['id']}"
    await site.post(f"{base}/send")
    before = (await api.get(f"/reports/{campaign['id']}")).json()

    await site.post(
        f"{base}/activity", json={"opens": 5, "unique_opens": 3, "clicks": 2, "unique_clicks": 1}
    )

    after = (await api.get(f"/reports/{campaign['id']}")).json()
    assert before["opens"]["opens_total"] == 0
    assert (after["opens"]["opens_total"], after["opens"]["unique_opens"]) == (5, 3)
    assert after["opens"]["open_rate"] == 0.75
    assert after["opens"]["last_open"]
    assert after["clicks"]["clicks_total"] == 2
    assert after["clicks"]["unique_subscriber_clicks"] == 1
    assert after["clicks"]["click_rate"] == 0.25
    summary = (await api.get(f"/campaigns/{campaign['id']}")).json()["report_summary"]
    assert (summary["opens"], summary["open_rate"]) == (5, 0.75)


async def test_unique_opens_never_exceed_the_emails_sent(
    create_campaign, site, api, ids, put_member
):
    await put_member("only@fenwicktools.com")
    campaign = await create_campaign("Tiny")
    base = f"/_sandbox/api/accounts/{ids.api_key}/campaigns/{campaign['id']}"
    await site.post(f"{base}/send")

    await site.post(f"{base}/activity", json={"opens": 9})

    opens = (await api.get(f"/reports/{campaign['id']}")).json()["opens"]
    assert (opens["opens_total"], opens["unique_opens"], opens["open_rate"]) == (9, 1, 1.0)


async def test_campaigns_filter_by_status_and_sort_by_send_time(
    create_campaign, api, site, ids, clock
):
    early = await create_campaign("Early")
    late = await create_campaign("Late")
    draft = await create_campaign("Draft")
    await site.post(f"/_sandbox/api/accounts/{ids.api_key}/campaigns/{late['id']}/send")
    clock.advance(3600)
    await site.post(f"/_sandbox/api/accounts/{ids.api_key}/campaigns/{early['id']}/send")

    sent = (
        await api.get(
            "/campaigns", params={"status": "sent", "sort_field": "send_time", "sort_dir": "DESC"}
        )
    ).json()
    drafts = (await api.get("/campaigns", params={"status": "save"})).json()

    assert [c["id"] for c in sent["campaigns"]] == [early["id"], late["id"]]
    assert sent["total_items"] == 2
    assert [c["id"] for c in drafts["campaigns"]] == [draft["id"]]
    assert (await api.get("/campaigns", params={"status": "lost"})).status_code == 400
    assert len((await api.get("/campaigns", params={"count": 1})).json()["campaigns"]) == 1
