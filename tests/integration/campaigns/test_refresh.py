"""The refresh button: new figures from Mailchimp, a snapshot per refresh, failures shown."""

from __future__ import annotations

from app.domain.campaigns.tables import CampaignSnapshot, CampaignTracking
from app.mailchimp.sandbox.state import Faults
from tests.factories import htmx, log_in, make_organisation, post_form, soup
from tests.integration.campaigns.sandbox_campaigns import (
    activity,
    always_rate_limited,
    audit_rows,
    revoke_keys,
    sandbox_campaign,
)
from tests.mailchimp_factories import connect


async def _tracked(client, sandbox, **campaign_options):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    campaign = sandbox_campaign(account, **campaign_options)
    await log_in(client, owner)
    await htmx(client, "POST", "/campaigns", data={"campaign_id": campaign.id})
    row = await CampaignTracking.objects().first()
    return owner, account, campaign, row


async def _refresh_row(client, row_id: int):
    return await htmx(client, "POST", f"/campaigns/{row_id}/refresh", data={"view": "row"})


async def test_refreshing_a_row_shows_the_new_figures_and_appends_a_snapshot(client, sandbox):
    _, _, campaign, row = await _tracked(
        client, sandbox, title="Spring newsletter", emails_sent=200, unique_opens=20
    )
    activity(campaign, opens=30, clicks=8)

    response = await _refresh_row(client, row.id)

    assert response.status_code == 200
    swapped = soup(response).select_one("tr.campaign-row")
    assert swapped["id"] == f"campaign-{row.id}"
    assert swapped.select_one(".figure-open-rate").get_text(strip=True) == "25.0 %"
    assert swapped.select_one(".figure-click-rate").get_text(strip=True) == "4.0 %"
    assert "from 10.0 % to 25.0 %" in swapped.select_one("svg.sparkline")["aria-label"]
    history = await CampaignSnapshot.select().order_by(CampaignSnapshot.taken_at)
    assert [(s["trigger"], s["unique_opens"], s["open_rate"]) for s in history] == [
        ("track", 20, 0.1),
        ("manual", 50, 0.25),
    ]
    [entry] = await audit_rows("campaign.refreshed")
    assert entry["changes"]["trigger"] == "manual"
    assert entry["changes"]["open_rate"] == 0.25


async def test_a_status_change_is_stored_and_shown(client, sandbox):
    _, _, campaign, row = await _tracked(client, sandbox, title="Going out", status="sending")
    campaign.status = "sent"

    swapped = soup(await _refresh_row(client, row.id)).select_one("tr.campaign-row")

    assert swapped.select_one(".badge").get_text(strip=True) == "sent"
    [entry] = await audit_rows("campaign.refreshed")
    assert entry["changes"]["status"] == {"from": "sending", "to": "sent"}


async def test_the_campaign_page_refresh_redraws_figures_and_chart(client, sandbox):
    _, _, campaign, row = await _tracked(client, sandbox, emails_sent=100, unique_opens=10)
    activity(campaign, opens=20, clicks=5)

    response = await htmx(client, "POST", f"/campaigns/{row.id}/refresh", data={"view": "page"})

    summary = soup(response).select_one("#campaign-summary")
    assert "Refreshed just now." in summary.select_one("[role=status]").get_text()
    assert summary.select_one("#stat-open-rate .value").get_text(strip=True) == "30.0 %"
    assert summary.select_one("#stat-click-rate .value").get_text(strip=True) == "5.0 %"
    assert "2 refreshes" in summary.select_one("svg desc").get_text()
    assert len(summary.select(".history-table tbody tr")) == 2


async def test_without_javascript_a_refresh_returns_to_the_page_with_a_message(client, sandbox):
    _, _, campaign, row = await _tracked(client, sandbox, emails_sent=100)
    activity(campaign, opens=40)

    response = await post_form(client, f"/campaigns/{row.id}/refresh", {"view": "page"})

    assert response.headers["location"] == f"/campaigns/{row.id}"
    page = soup(await client.get(f"/campaigns/{row.id}"))
    assert "Refreshed just now." in page.select_one(".flashes").get_text()
    assert page.select_one("#stat-open-rate .value").get_text(strip=True) == "40.0 %"


async def test_a_campaign_deleted_in_mailchimp_is_recorded_and_shown(client, sandbox):
    _, account, campaign, row = await _tracked(client, sandbox, title="Gone soon", unique_opens=9)
    del account.campaigns[campaign.id]

    swapped = soup(await _refresh_row(client, row.id)).select_one("tr.campaign-row")

    error = swapped.select_one(".row-error").get_text(" ", strip=True)
    assert "Refresh failed" in error
    assert "Mailchimp no longer has this campaign" in error
    stored = await CampaignTracking.objects().first()
    assert stored.last_error_code == "campaign_not_found"
    assert stored.last_error_at is not None
    assert stored.unique_opens == 9  # the last figures Mailchimp gave are kept
    assert await CampaignSnapshot.count() == 1
    page = soup(await client.get(f"/campaigns/{row.id}"))
    assert "Mailchimp no longer has this campaign" in page.select_one(".refresh-error").get_text()
    [entry] = await audit_rows("campaign.refresh_failed")
    assert entry["changes"] == {"trigger": "manual", "error": "campaign_not_found"}


async def test_a_revoked_connection_is_recorded_and_shown_in_words(client, sandbox):
    _, account, _, row = await _tracked(client, sandbox)
    revoke_keys(sandbox, account)

    swapped = soup(await _refresh_row(client, row.id)).select_one("tr.campaign-row")

    assert "Mailchimp rejected the connection" in swapped.select_one(".row-error").get_text()
    assert "Reconnect under Settings → Mailchimp" in swapped.select_one(".row-error").get_text()
    assert (await CampaignTracking.objects().first()).last_error_code == "connection_rejected"


async def test_rate_limiting_after_the_clients_retries_is_recorded_then_cleared(client, sandbox):
    _, account, campaign, row = await _tracked(client, sandbox, emails_sent=100, unique_opens=5)
    always_rate_limited(account)

    swapped = soup(await _refresh_row(client, row.id)).select_one("tr.campaign-row")

    assert "Mailchimp asked us to slow down" in swapped.select_one(".row-error").get_text()
    refused = [e for e in account.request_log if e.fault == "429"]
    assert len(refused) == 2  # the interactive client's two attempts, then it gave up
    assert (await CampaignTracking.objects().first()).last_error_code == "rate_limited"

    account.set_faults(Faults())
    activity(campaign, opens=10)
    cleared = soup(await _refresh_row(client, row.id)).select_one("tr.campaign-row")

    assert cleared.select_one(".row-error") is None
    assert cleared.select_one(".figure-open-rate").get_text(strip=True) == "15.0 %"
    stored = await CampaignTracking.objects().first()
    assert (stored.last_error, stored.last_error_code, stored.last_error_at) == ("", "", None)
    recovered = (await audit_rows("campaign.refreshed"))[-1]
    assert recovered["changes"]["recovered_from"] == "rate_limited"


async def test_refreshing_after_disconnecting_says_mailchimp_is_not_connected(client, sandbox):
    _, _, _, row = await _tracked(client, sandbox)
    await post_form(client, "/settings/mailchimp/disconnect")

    swapped = soup(await _refresh_row(client, row.id)).select_one("tr.campaign-row")

    assert "Mailchimp isn't connected" in swapped.select_one(".row-error").get_text()
    page = soup(await client.get(f"/campaigns/{row.id}"))
    assert "Paused while Mailchimp is disconnected" in page.select_one(".auto-refresh").text


async def test_refreshing_an_untracked_campaign_is_a_404(client, sandbox):
    _, _, _, row = await _tracked(client, sandbox)
    await post_form(client, f"/campaigns/{row.id}/untrack")

    response = await _refresh_row(client, row.id)

    assert response.status_code == 404
    assert await CampaignSnapshot.count() == 1
