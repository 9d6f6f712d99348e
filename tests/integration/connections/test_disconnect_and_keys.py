"""Disconnecting, key rotation, and one organisation never seeing another's connection."""

from __future__ import annotations

import os
import subprocess
import sys

from cryptography.fernet import Fernet

from app.domain.audit.tables import AuditLog
from app.domain.campaigns import services as campaigns
from app.domain.campaigns.tables import CampaignSnapshot, CampaignTracking
from app.domain.connections.tables import MailchimpConnection
from app.domain.inbound import mailchimp_webhooks
from app.domain.inbound.tables import AudienceWebhook
from app.domain.segments.tables import Segment, SyncRun, SyncRunItem
from app.lib.crypto import SecretBox, secret_box
from app.settings import get_settings
from tests.contact_factories import make_contact
from tests.factories import bearer, htmx, log_in, make_organisation, make_token, soup
from tests.integration.campaigns.sandbox_campaigns import sandbox_campaign
from tests.integration.segments.sync_helpers import connected, make_segment, sync
from tests.mailchimp_factories import connect


async def test_disconnect_wipes_the_secret_and_removes_our_webhooks(client, sandbox):
    owner = await make_organisation()
    _, account = await connect(owner, sandbox)
    audience = next(iter(account.audiences.values()))
    # Registered as a segment's save does: Mailchimp validates the URL with a GET first, which
    # the sandbox sends to this app in-process.
    registered = await mailchimp_webhooks.ensure_audience_webhook(owner.principal, audience.id)
    assert registered.status == "registered", registered.last_error
    assert len(audience.webhooks) == 1
    await log_in(client, owner)

    response = await htmx(client, "POST", "/settings/mailchimp/disconnect")

    assert "disconnected" in soup(response).select_one("[role=status]").get_text()
    row = await MailchimpConnection.objects().first()
    assert row.soft_deleted_at is not None
    assert row.secret == ""
    assert audience.webhooks == {}
    assert (await AudienceWebhook.objects().first()).soft_deleted_at is not None
    entry = await AuditLog.objects().where(AuditLog.action == "mailchimp.disconnected").first()
    assert '"removed": 1' in str(entry.changes).replace("'", '"')
    assert soup(await client.get("/settings/mailchimp")).select_one("#field-api_key") is not None


async def test_disconnect_keeps_segments_runs_and_tracked_campaigns(client, sandbox):
    owner, _, account = await connected(sandbox)
    await make_contact(owner)
    refused = await make_contact(owner, email="lee@example.com")  # Mailchimp refuses it
    segment = await make_segment(owner, name="Everyone here")
    run = await sync(owner, segment.id)
    assert (run.status, run.created, run.rejected) == ("completed", 1, 1)
    campaign = sandbox_campaign(account, title="Autumn news", emails_sent=40, unique_opens=10)
    tracked = await campaigns.track(owner.principal, campaign_id=campaign.id)
    snapshots = await CampaignSnapshot.count()
    await log_in(client, owner)

    response = await htmx(client, "POST", "/settings/mailchimp/disconnect")

    assert "disconnected" in soup(response).select_one("[role=status]").get_text()
    assert (await MailchimpConnection.objects().first()).soft_deleted_at is not None
    kept = await Segment.objects().where(Segment.id == segment.id).first()
    assert (kept.soft_deleted_at, kept.status) == (None, "synced")
    assert await SyncRun.count() == 1
    assert await SyncRunItem.count().where(SyncRunItem.contact_id == refused["id"]) == 1
    tracking = await CampaignTracking.objects().where(CampaignTracking.id == tracked.id).first()
    assert (tracking.soft_deleted_at, tracking.unique_opens) == (None, 10)
    assert await CampaignSnapshot.count() == snapshots
    # And they are all still there to read.
    listing = soup(await client.get("/segments"))
    assert listing.select_one(f"#segment-{segment.id} a").get_text(strip=True) == "Everyone here"
    assert (await client.get(f"/segments/{segment.id}")).status_code == 200
    runs_page = soup(await client.get(f"/segments/{segment.id}/runs"))
    assert runs_page.select_one(f"a[href='/runs/{run.id}']") is not None
    run_page = soup(await client.get(f"/runs/{run.id}?outcome=rejected"))
    assert refused["email"] in run_page.select_one("tbody").get_text()
    campaign_page = await client.get(f"/campaigns/{tracked.id}")
    assert campaign_page.status_code == 200
    assert soup(campaign_page).select_one("h1").get_text(" ", strip=True) == "Autumn news sent"


async def test_rotate_keys_re_encrypts_every_secret_under_the_new_first_key(db, sandbox):
    owner = await make_organisation()
    key, _ = await connect(owner, sandbox)
    old_key = get_settings().security.secret_keys[0]
    new_key = Fernet.generate_key().decode()

    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "rotate-keys"],
        env={**os.environ, "LISTBRIDGE_SECRET_KEYS": f"{new_key},{old_key}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Re-encrypted 1 stored secret" in result.stdout
    row = await MailchimpConnection.objects().first()
    assert SecretBox((new_key,)).decrypt(row.secret) == key
    assert key not in result.stdout + result.stderr


async def test_the_old_key_alone_can_no_longer_read_rotated_secrets(db, sandbox):
    import pytest

    from app.lib.crypto import SecretUnreadable

    owner = await make_organisation()
    await connect(owner, sandbox)
    row = await MailchimpConnection.objects().first()
    new_box = SecretBox((Fernet.generate_key().decode(), get_settings().security.secret_keys[0]))
    rotated = new_box.rotate(row.secret)
    with pytest.raises(SecretUnreadable):
        secret_box().decrypt(rotated)


async def test_org_b_cannot_read_or_remove_org_a_s_connection(client, sandbox):
    org_a = await make_organisation("A Corp")
    await connect(org_a, sandbox, name="A's Mailchimp")
    org_b = await make_organisation("B Corp")
    token_b = await make_token(org_b)

    assert (await client.get("/api/v1/connection", headers=bearer(token_b))).json() is None
    assert (await client.delete("/api/v1/connection", headers=bearer(token_b))).status_code == 404
    await log_in(client, org_b)
    page = await client.get("/settings/mailchimp")
    assert "A's Mailchimp" not in page.text
    assert (await MailchimpConnection.objects().first()).soft_deleted_at is None
