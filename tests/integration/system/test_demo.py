"""The demo organisation `just run` seeds: its login works, it is connected to the sandbox, and
it tracks the sandbox's three campaigns with some history."""

from __future__ import annotations

import json

from app.demo import DEMO_EMAIL, DEMO_ORGANISATION, DEMO_PASSWORD, seed_demo
from app.domain.accounts.tables import Organisation
from app.domain.campaigns.tables import CampaignSnapshot, CampaignTracking
from app.domain.connections.tables import MailchimpConnection
from app.mailchimp.sandbox import DEMO_SEED
from app.mailchimp.sandbox.seed import apply_seed
from tests.factories import post_form, soup


async def test_the_demo_seed_logs_in_and_shows_the_connected_sandbox_account(client, sandbox):
    document = json.loads(DEMO_SEED.read_text())
    apply_seed(sandbox.state, {"accounts": document["accounts"]})

    await seed_demo()
    await seed_demo()  # start-up runs it every time: nothing doubles

    assert await Organisation.count().where(Organisation.name == DEMO_ORGANISATION) == 1
    assert await MailchimpConnection.count() == 1
    login = await post_form(client, "/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert login.status_code == 302
    panel = soup(await client.get("/settings/mailchimp"))
    assert panel.select_one("#mailchimp-panel h3").get_text(strip=True) == "Halden & Rowe"

    listing = soup(await client.get("/campaigns"))
    rows = listing.select("tr.campaign-row")
    names = {row.select_one(".campaign-name").get_text(strip=True) for row in rows}
    assert names == {"July newsletter", "Q2 all-hands recap", "Vendor portal launch"}
    assert len(listing.select("tr.campaign-row svg.sparkline polyline")) == 3
    assert await CampaignTracking.count() == 3
    for campaign in await CampaignTracking.objects():
        history = await CampaignSnapshot.count().where(CampaignSnapshot.campaign == campaign.id)
        assert history > 5, campaign.title  # seeding twice didn't double it either
        assert (
            history
            == await CampaignSnapshot.count().where(
                (CampaignSnapshot.campaign == campaign.id) & (CampaignSnapshot.trigger == "demo")
            )
            + 1
        )
    recap = await CampaignTracking.objects().get(CampaignTracking.campaign_id == "c0ffee0002")
    page = soup(await client.get(f"/campaigns/{recap.id}"))
    assert page.select_one("#stat-open-rate .value").get_text(strip=True) == "100.0 %"
    assert len(page.select("#campaign-chart .chart-series.series-open polyline")) == 1


async def test_the_demo_has_500_contacts_and_two_segments_ready_to_sync(client, sandbox):
    from app.domain.contacts.tables import Contact
    from app.domain.segments.tables import Segment
    from tests.integration.segments.sync_helpers import sync_run_of

    document = json.loads(DEMO_SEED.read_text())
    apply_seed(sandbox.state, {"accounts": document["accounts"]})
    await seed_demo()

    assert 450 <= await Contact.count() <= 550
    segments = await Segment.objects().order_by(Segment.name)
    assert [s.name for s in segments] == ["Active employees", "Active vendors"]
    assert all(s.status == "pending" for s in segments)

    await post_form(client, "/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    run = await sync_run_of(client, segments[0].id)
    assert run.status == "completed", run.error
    assert run.invalid == 0
    assert run.created > 300
