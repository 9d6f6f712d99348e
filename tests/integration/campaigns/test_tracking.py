"""Tracking a campaign by its Mailchimp ID, from the campaigns page, and untracking it."""

from __future__ import annotations

import pytest

from app.domain.campaigns import services
from app.domain.campaigns.tables import CampaignSnapshot, CampaignTracking
from app.lib.errors import Conflict
from tests.factories import htmx, log_in, make_organisation, post_form, soup
from tests.integration.campaigns.sandbox_campaigns import audit_rows, sandbox_campaign
from tests.mailchimp_factories import connect


async def test_tracking_a_campaign_stores_its_figures_and_shows_it_in_the_list(client, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    campaign = sandbox_campaign(
        account, title="Spring newsletter", emails_sent=200, unique_opens=50, unique_clicks=10
    )
    await log_in(client, owner)

    response = await htmx(client, "POST", "/campaigns", data={"campaign_id": campaign.id})

    assert response.status_code == 200
    page = soup(response)
    assert "Now tracking “Spring newsletter”" in page.select_one("[role=status]").get_text()
    row = page.select_one("tr.campaign-row")
    assert row.select_one(".campaign-name").get_text(strip=True) == "Spring newsletter"
    assert row.select_one(".badge").get_text(strip=True) == "sent"
    assert row.select_one(".figure-emails-sent").get_text(strip=True) == "200"
    assert row.select_one(".figure-open-rate").get_text(strip=True) == "25.0 %"
    assert row.select_one(".figure-click-rate").get_text(strip=True) == "5.0 %"
    stored = await CampaignTracking.objects().first()
    assert stored.campaign_id == campaign.id
    assert (stored.title, stored.status) == ("Spring newsletter", "sent")
    assert (stored.unique_opens, stored.open_rate, stored.unique_clicks) == (50, 0.25, 10)
    assert stored.subject == "Spring newsletter: read all about it"
    assert stored.send_time is not None
    assert stored.last_refreshed_at is not None
    assert await CampaignSnapshot.count() == 1
    [entry] = await audit_rows("campaign.tracked")
    assert entry["changes"]["campaign_id"] == campaign.id
    assert entry["actor_label"] == owner.email


async def test_without_javascript_tracking_opens_the_campaign_page(client, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    campaign = sandbox_campaign(account, title="Board update", status="save")
    await log_in(client, owner)

    response = await post_form(client, "/campaigns", {"campaign_id": campaign.id})

    assert response.status_code == 302
    page = soup(await client.get(response.headers["location"]))
    assert page.select_one("h1").get_text(" ", strip=True) == "Board update draft"
    assert "Now tracking “Board update”." in page.select_one(".flashes").get_text()


async def test_an_unknown_id_is_an_inline_error_and_nothing_is_saved(client, sandbox):
    owner = await make_organisation()
    await connect(owner, sandbox, name="Bluefin Bakery")
    await log_in(client, owner)

    response = await htmx(client, "POST", "/campaigns", data={"campaign_id": "0000000000"})

    assert response.status_code == 400
    page = soup(response)
    field = page.select_one("#field-campaign_id")
    assert field["aria-invalid"] == "true"
    assert field["value"] == "0000000000"
    error = page.select_one("#error-campaign_id").get_text()
    assert "Mailchimp has no campaign “0000000000” in Bluefin Bakery" in error
    assert await CampaignTracking.count() == 0


async def test_malformed_and_empty_ids_are_refused_before_asking_mailchimp(client, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    await log_in(client, owner)
    asked_before = len(account.request_log)

    for value, words in [("", "Enter the campaign"), ("../lists", "letters and digits only")]:
        response = await htmx(client, "POST", "/campaigns", data={"campaign_id": value})
        assert response.status_code == 400
        assert words in soup(response).select_one("#error-campaign_id").get_text()

    assert len(account.request_log) == asked_before
    assert await CampaignTracking.count() == 0


async def test_tracking_a_campaign_twice_says_it_is_already_tracked(client, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    campaign = sandbox_campaign(account, title="Spring newsletter")
    await log_in(client, owner)
    await htmx(client, "POST", "/campaigns", data={"campaign_id": campaign.id})

    response = await htmx(client, "POST", "/campaigns", data={"campaign_id": f" {campaign.id} "})

    assert response.status_code == 409
    page = soup(response)
    error = page.select_one("#error-campaign_id").get_text()
    assert f"“Spring newsletter” ({campaign.id}) is already tracked." in error
    tracked = await CampaignTracking.objects().first()
    assert page.select_one(".existing-link a")["href"] == f"/campaigns/{tracked.id}"
    assert await CampaignTracking.count() == 1


async def test_a_race_past_the_duplicate_check_still_keeps_one_row(db, sandbox, monkeypatch):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    campaign = sandbox_campaign(account, title="Raced")
    await services.track(owner.principal, campaign_id=campaign.id)

    async def sees_nothing(organisation_id, campaign_id):  # as if the first were not committed yet
        return None

    monkeypatch.setattr(services, "_tracked", sees_nothing)
    with pytest.raises(Conflict, match="is already tracked"):
        await services.track(owner.principal, campaign_id=campaign.id)

    assert await CampaignTracking.count() == 1
    assert await CampaignSnapshot.count() == 1
    assert len(await audit_rows("campaign.tracked")) == 1


async def test_without_a_connection_the_page_says_so_and_tracking_is_refused(client):
    owner = await make_organisation()
    await log_in(client, owner)

    page = soup(await client.get("/campaigns"))
    assert "Mailchimp isn't connected" in page.select_one(".notice-warning").get_text()
    assert page.select_one(".empty-state") is not None

    response = await htmx(client, "POST", "/campaigns", data={"campaign_id": "a1b2c3d4e5"})
    assert response.status_code == 404
    assert "Connect a Mailchimp account first" in soup(response).select_one("[role=alert]").text


async def test_a_revoked_key_is_explained_when_tracking(client, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    campaign = sandbox_campaign(account)
    for key in sandbox.state.keys_of(account):
        key.revoked = True
    await log_in(client, owner)

    response = await htmx(client, "POST", "/campaigns", data={"campaign_id": campaign.id})

    assert response.status_code == 502
    assert "Mailchimp rejected this key" in soup(response).select_one("[role=alert]").get_text()
    assert await CampaignTracking.count() == 0


async def test_untracking_soft_deletes_audits_and_allows_tracking_again(client, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    campaign = sandbox_campaign(account, title="Spring newsletter")
    await log_in(client, owner)
    await htmx(client, "POST", "/campaigns", data={"campaign_id": campaign.id})
    tracked = await CampaignTracking.objects().first()

    response = await post_form(client, f"/campaigns/{tracked.id}/untrack")

    assert response.status_code == 302
    listing = soup(await client.get("/campaigns"))
    assert "Stopped tracking “Spring newsletter”" in listing.select_one(".flashes").get_text()
    assert listing.select("tr.campaign-row") == []
    assert (await client.get(f"/campaigns/{tracked.id}")).status_code == 404
    row = await CampaignTracking.objects().where(CampaignTracking.id == tracked.id).first()
    assert row.soft_deleted_at is not None
    assert await CampaignSnapshot.count() == 1  # its history is kept
    [entry] = await audit_rows("campaign.untracked")
    assert entry["entity_id"] == str(tracked.id)
    assert entry["changes"] == {"campaign_id": campaign.id, "title": "Spring newsletter"}

    again = await htmx(client, "POST", "/campaigns", data={"campaign_id": campaign.id})
    assert again.status_code == 200
    assert await CampaignTracking.count().where(CampaignTracking.soft_deleted_at.is_null()) == 1


async def test_the_list_pages_through_many_campaigns(client, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    await log_in(client, owner)
    for n in range(53):
        campaign = sandbox_campaign(account, title=f"Weekly digest {n:02d}")
        await services.track(owner.principal, campaign_id=campaign.id)

    first = soup(await client.get("/campaigns"))
    rows = first.select("tr.campaign-row")
    more = first.select_one("#campaigns-more a")
    second = soup(await htmx(client, "GET", more["hx-get"]))

    assert len(rows) == 50
    assert rows[0].select_one(".campaign-name").text == "Weekly digest 52"
    names = [r.select_one(".campaign-name").text for r in second.select("tr.campaign-row")]
    assert names == ["Weekly digest 02", "Weekly digest 01", "Weekly digest 00"]
    assert second.select_one("#campaigns-more") is None
