"""The 6-hourly cron: exactly the right campaigns, one job each, failures recorded per campaign."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db import utcnow
from app.domain.campaigns import jobs, services
from app.domain.campaigns.refresh import due_for_refresh
from app.domain.campaigns.schedule import REFRESH_CRON
from app.domain.campaigns.tables import CampaignSnapshot, CampaignTracking
from app.domain.connections import services as connections
from app.mailchimp.sandbox.state import Faults
from tests.factories import make_organisation
from tests.fixtures.app import wait_until
from tests.integration.campaigns.sandbox_campaigns import (
    activity,
    always_rate_limited,
    audit_rows,
    revoke_keys,
    sandbox_campaign,
)
from tests.mailchimp_factories import connect

pytestmark = pytest.mark.usefixtures("db")


async def _track(member, account, **options) -> int:
    campaign = sandbox_campaign(account, title=options.pop("title", "Campaign"), **options)
    return (await services.track(member.principal, campaign_id=campaign.id)).id


async def test_the_cron_selects_exactly_the_campaigns_whose_figures_can_still_move(sandbox):
    now = utcnow()
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    due = {
        status: await _track(owner, account, title=status, status=status)
        for status in ("save", "schedule", "sending", "paused", "canceling")
    }
    due["sent 5 days ago"] = await _track(
        owner, account, status="sent", send_time=now - timedelta(days=5)
    )
    due["sent 29 days ago"] = await _track(
        owner, account, status="sent", send_time=now - timedelta(days=29, hours=23)
    )
    for status in ("canceled", "archived"):
        await _track(owner, account, status=status)
    sent_long_ago = await _track(owner, account, status="sent", send_time=now - timedelta(days=31))
    untracked = await _track(owner, account, status="sending")
    await services.untrack(owner.principal, untracked)

    gone = await make_organisation()
    _, gone_account = await connect(gone, sandbox)
    await _track(gone, gone_account, status="sending")
    await connections.disconnect(gone.principal)

    other = await make_organisation()
    _, other_account = await connect(other, sandbox)
    other_sending = await _track(other, other_account, status="sending")

    assert await due_for_refresh(now) == {
        owner.organisation.id: sorted(due.values()),
        other.organisation.id: [other_sending],
    }
    # The 30 days run from the send time, to the second.
    long_ago = await CampaignTracking.objects().get(CampaignTracking.id == sent_long_ago)
    send_time = long_ago.send_time
    assert (
        sent_long_ago
        in (await due_for_refresh(send_time + timedelta(days=30, seconds=-1)))[
            owner.organisation.id
        ]
    )
    assert (
        sent_long_ago
        not in (await due_for_refresh(send_time + timedelta(days=30)))[owner.organisation.id]
    )


async def test_the_cron_job_is_scheduled_every_6_hours_once_across_workers():
    [cron] = jobs.CRON_JOBS
    assert cron.function is jobs.campaign_stats_refresh
    assert cron.cron == REFRESH_CRON == "0 */6 * * *"
    assert cron.unique is True
    assert cron.timeout >= 60


async def test_the_cron_refreshes_due_campaigns_and_one_failing_organisation_stops_no_one(sandbox):
    healthy = await make_organisation()
    _, healthy_account = await connect(healthy, sandbox)
    moving = sandbox_campaign(healthy_account, title="Moving", status="sending", emails_sent=100)
    moving_id = (await services.track(healthy.principal, campaign_id=moving.id)).id
    finished = await _track(healthy, healthy_account, status="canceled")
    revoked = await make_organisation()
    _, revoked_account = await connect(revoked, sandbox)
    broken = await _track(revoked, revoked_account, status="sending")
    revoke_keys(sandbox, revoked_account)
    activity(moving, opens=40, clicks=4)

    result = await jobs.campaign_stats_refresh({})

    assert result == {"organisations": 2, "due": 2, "queued": 2}

    async def settled():
        by_id = {r.id: r for r in await CampaignTracking.objects()}
        return by_id[moving_id].unique_opens == 40 and by_id[broken].last_error_code

    await wait_until(settled)
    broken_row = await CampaignTracking.objects().get(CampaignTracking.id == broken)
    assert "Mailchimp rejected the connection" in broken_row.last_error
    snapshots = await CampaignSnapshot.select(CampaignSnapshot.campaign, CampaignSnapshot.trigger)
    assert {"campaign": moving_id, "trigger": "scheduled"} in snapshots
    assert [s for s in snapshots if s["campaign"] == finished] == [
        {"campaign": finished, "trigger": "track"}
    ]


async def test_a_scheduled_refresh_audits_changes_of_state_not_routine_figures(sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    campaign = sandbox_campaign(account, status="sending", emails_sent=100)
    tracking_id = (await services.track(owner.principal, campaign_id=campaign.id)).id

    async def run() -> dict:
        return await jobs.campaign_refresh(
            {}, organisation_id=owner.organisation.id, tracking_id=tracking_id
        )

    activity(campaign, opens=10)
    assert (await run())["outcome"] == "refreshed"  # figures moved: snapshot only
    assert await audit_rows("campaign.refreshed") == []

    campaign.status = "sent"
    await run()
    [sent] = await audit_rows("campaign.refreshed")
    assert sent["actor_type"] == "system"
    assert sent["actor_label"] == "campaign_stats_refresh"
    assert sent["changes"]["status"] == {"from": "sending", "to": "sent"}

    always_rate_limited(account)
    assert await run() == {"tracking_id": tracking_id, "outcome": "failed", "error": "rate_limited"}
    await run()  # the same failure again: no second audit row
    assert len(await audit_rows("campaign.refresh_failed")) == 1
    assert len([e for e in account.request_log if e.fault == "429"]) == 10  # 5 patient tries each

    account.set_faults(Faults())
    await run()
    recovered = (await audit_rows("campaign.refreshed"))[-1]
    assert recovered["changes"]["recovered_from"] == "rate_limited"
    assert await CampaignSnapshot.count().where(CampaignSnapshot.trigger == "scheduled") == 3


async def test_scheduled_refreshes_record_deleted_campaigns_and_revoked_keys(sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    deleted = sandbox_campaign(account, status="sending")
    kept = sandbox_campaign(account, status="sending")
    deleted_id = (await services.track(owner.principal, campaign_id=deleted.id)).id
    kept_id = (await services.track(owner.principal, campaign_id=kept.id)).id
    del account.campaigns[deleted.id]

    outcome = await jobs.campaign_refresh(
        {}, organisation_id=owner.organisation.id, tracking_id=deleted_id
    )
    assert outcome["error"] == "campaign_not_found"
    revoke_keys(sandbox, account)
    outcome = await jobs.campaign_refresh(
        {}, organisation_id=owner.organisation.id, tracking_id=kept_id
    )
    assert outcome["error"] == "connection_rejected"

    rows = {r.id: r for r in await CampaignTracking.objects()}
    assert rows[deleted_id].last_error_code == "campaign_not_found"
    assert rows[kept_id].last_error_code == "connection_rejected"


async def test_a_job_for_a_campaign_untracked_meanwhile_does_nothing(sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    tracking_id = await _track(owner, account, status="sending")
    await services.untrack(owner.principal, tracking_id)

    outcome = await jobs.campaign_refresh(
        {}, organisation_id=owner.organisation.id, tracking_id=tracking_id
    )

    assert outcome == {"tracking_id": tracking_id, "outcome": "untracked"}
    assert await CampaignSnapshot.count() == 1


async def test_a_job_never_refreshes_another_organisations_campaign(sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    tracking_id = await _track(owner, account, status="sending")
    stranger = await make_organisation()
    await connect(stranger, sandbox)

    outcome = await jobs.campaign_refresh(
        {}, organisation_id=stranger.organisation.id, tracking_id=tracking_id
    )

    assert outcome["outcome"] == "untracked"
    assert await CampaignSnapshot.count() == 1
