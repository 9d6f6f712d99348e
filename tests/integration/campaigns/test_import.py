"""“Import recent campaigns”: every page of the account's campaigns, newest first, to pick from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.domain.campaigns.tables import CampaignTracking
from tests.factories import log_in, make_organisation, post_form, soup
from tests.integration.campaigns.sandbox_campaigns import sandbox_campaign
from tests.mailchimp_factories import connect

START = datetime(2025, 1, 1, tzinfo=UTC)


def _names(page) -> list[str]:
    return [name.get_text(strip=True) for name in page.select(".import-table .campaign-name")]


async def test_the_picker_reads_every_page_of_mailchimp_and_imports_from_any_page(client, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    # More campaigns than one Mailchimp page (1,000) holds; created an hour apart.
    made = [
        sandbox_campaign(
            account, title=f"Issue {n:04d}", status="save", create_time=START + timedelta(hours=n)
        )
        for n in range(1005)
    ]
    await log_in(client, owner)

    first = soup(await client.get("/campaigns/import"))
    last = soup(await client.get("/campaigns/import?page=41"))

    assert first.select_one("legend").get_text() == "Campaigns 1 to 25 of 1005"
    assert _names(first)[:2] == ["Issue 1004", "Issue 1003"]  # newest first
    assert first.select_one(".pager").get_text(" ", strip=True) == "Page 1 of 41 Older →"
    assert last.select_one("legend").get_text() == "Campaigns 1001 to 1005 of 1005"
    assert _names(last) == ["Issue 0004", "Issue 0003", "Issue 0002", "Issue 0001", "Issue 0000"]
    offsets = [e.query for e in account.request_log if e.path.endswith("/campaigns")]
    assert any("offset=1000" in query for query in offsets)

    oldest, newest = made[0], made[-1]
    response = await post_form(
        client, "/campaigns/import", {"campaign_id": [oldest.id, newest.id], "page": "41"}
    )

    assert response.status_code == 302
    assert response.headers["location"] == "/campaigns"
    listing = soup(await client.get("/campaigns"))
    assert "Now tracking 2: “Issue 0000”, “Issue 1004”." in listing.select_one(".flashes").text
    assert {r.select_one(".campaign-name").text for r in listing.select("tr.campaign-row")} == {
        "Issue 0000",
        "Issue 1004",
    }
    again = soup(await client.get("/campaigns/import?page=41"))
    tracked_row = again.select(".import-table tbody tr")[-1]
    assert tracked_row.select_one(".badge").get_text() == "tracked"
    assert tracked_row.select_one("input[type=checkbox]") is None


async def test_the_picker_is_cached_until_reloaded_from_mailchimp(client, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    sandbox_campaign(account, title="First")
    await log_in(client, owner)
    await client.get("/campaigns/import")
    sandbox_campaign(account, title="Second", create_time=datetime.now(UTC) + timedelta(hours=1))

    cached = soup(await client.get("/campaigns/import"))
    reloaded = soup(await client.get("/campaigns/import?refresh=true"))

    assert _names(cached) == ["First"]
    assert _names(reloaded) == ["Second", "First"]


async def test_importing_campaigns_already_tracked_says_so(client, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    campaign = sandbox_campaign(account, title="Twice")
    await log_in(client, owner)
    await post_form(client, "/campaigns/import", {"campaign_id": campaign.id})

    await post_form(client, "/campaigns/import", {"campaign_id": campaign.id})

    flashes = soup(await client.get("/campaigns")).select_one(".flashes").get_text()
    assert f"Already tracked: {campaign.id}." in flashes
    assert await CampaignTracking.count() == 1


async def test_importing_nothing_is_an_inline_error(client, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    sandbox_campaign(account, title="Unpicked")
    await log_in(client, owner)

    response = await post_form(client, "/campaigns/import", {"page": "1"})

    assert response.status_code == 400
    page = soup(response)
    assert (
        page.select_one("#error-campaign_id").get_text() == "Pick at least one campaign to track."
    )
    assert page.select_one("fieldset")["aria-describedby"] == "error-campaign_id"
    assert await CampaignTracking.count() == 0


async def test_without_a_connection_the_picker_explains_what_to_do(client):
    owner = await make_organisation()
    await log_in(client, owner)

    page = soup(await client.get("/campaigns/import"))

    notice = page.select_one("[role=alert]")
    assert "Connect a Mailchimp account first" in notice.get_text()
    assert notice.select_one("a")["href"] == "/settings/mailchimp"
