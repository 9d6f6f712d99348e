"""One organisation never sees, refreshes or untracks another's campaigns: pages and API."""

from __future__ import annotations

from app.domain.campaigns import services
from app.domain.campaigns.tables import CampaignSnapshot, CampaignTracking
from app.domain.connections import services as connections
from tests.factories import bearer, htmx, log_in, make_organisation, make_token, post_form, soup
from tests.integration.campaigns.sandbox_campaigns import sandbox_campaign
from tests.mailchimp_factories import connect, mailchimp_account


async def _two_organisations(sandbox):
    owner = await make_organisation("Halden")
    _, account = await connect(owner, sandbox)
    campaign = sandbox_campaign(account, title="Halden's secret launch")
    tracked = await services.track(owner.principal, campaign_id=campaign.id)
    stranger = await make_organisation("Stranger")
    await connect(stranger, sandbox)
    return owner, stranger, campaign, tracked


async def test_pages_of_another_organisation_are_not_found(client, sandbox):
    _, stranger, _, tracked = await _two_organisations(sandbox)
    await log_in(client, stranger)

    listing = await client.get("/campaigns")
    assert "Halden's secret launch" not in listing.text
    assert soup(listing).select("tr.campaign-row") == []
    assert (await client.get(f"/campaigns/{tracked.id}")).status_code == 404
    refresh = await htmx(client, "POST", f"/campaigns/{tracked.id}/refresh", data={"view": "row"})
    assert refresh.status_code == 404
    untrack = await post_form(client, f"/campaigns/{tracked.id}/untrack")
    assert untrack.status_code == 404

    row = await CampaignTracking.objects().get(CampaignTracking.id == tracked.id)
    assert row.soft_deleted_at is None
    assert await CampaignSnapshot.count() == 1


async def test_the_api_of_another_organisation_answers_404(client, sandbox):
    _, stranger, campaign, tracked = await _two_organisations(sandbox)
    auth = bearer(await make_token(stranger))

    assert (await client.get("/api/v1/campaigns", headers=auth)).json()["items"] == []
    assert (await client.get(f"/api/v1/campaigns/{tracked.id}", headers=auth)).status_code == 404
    refresh = await client.post(f"/api/v1/campaigns/{tracked.id}/refresh", headers=auth)
    assert refresh.status_code == 404
    delete = await client.delete(f"/api/v1/campaigns/{tracked.id}", headers=auth)
    assert delete.status_code == 404
    # Its own Mailchimp account has no such campaign, so it can't track it either.
    response = await client.post(
        "/api/v1/campaigns", json={"campaign_id": campaign.id}, headers=auth
    )
    assert response.status_code == 400
    assert await CampaignTracking.count() == 1


async def test_two_organisations_may_track_the_same_campaign_independently(sandbox, db):
    key, account = mailchimp_account(sandbox)  # one Mailchimp account, connected twice
    campaign = sandbox_campaign(account, title="Shared launch")
    agency, client_org = await make_organisation("Agency"), await make_organisation("Client")
    for member in (agency, client_org):
        await connections.connect_api_key(member.principal, api_key=key)

    ours = await services.track(agency.principal, campaign_id=campaign.id)
    theirs = await services.track(client_org.principal, campaign_id=campaign.id)
    await services.untrack(agency.principal, ours.id)

    assert ours.id != theirs.id
    assert [c.id for c in (await services.campaigns(client_org.principal)).items] == [theirs.id]
    assert (await services.campaigns(agency.principal)).items == []
