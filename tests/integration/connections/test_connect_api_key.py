"""Connecting Mailchimp with an API key: checked, verified live, stored encrypted."""

from __future__ import annotations

import httpx
import pytest

from app.domain.audit.tables import AuditLog
from app.domain.connections import clients
from app.domain.connections.tables import MailchimpConnection
from app.domain.segments import services as segment_services
from app.domain.segments.services import SegmentInput
from app.domain.segments.tables import Segment, SegmentStatus
from app.lib.crypto import secret_box
from tests.factories import add_person, htmx, log_in, make_organisation, post_form, soup
from tests.integration.segments.sync_helpers import sync
from tests.mailchimp_factories import connect, mailchimp_account, new_api_key


async def test_a_good_key_connects_and_the_panel_shows_the_account(client, sandbox):
    owner = await make_organisation()
    key, account = mailchimp_account(sandbox, name="Bluefin Foods")
    await log_in(client, owner)

    response = await htmx(client, "POST", "/settings/mailchimp/api-key", data={"api_key": key})

    assert response.status_code == 200
    panel = soup(response)
    assert panel.select_one("#mailchimp-panel h3").get_text(strip=True) == "Bluefin Foods"
    facts = dict(
        zip(
            [dt.get_text(strip=True) for dt in panel.select("dl.facts dt")],
            [dd.get_text(strip=True) for dd in panel.select("dl.facts dd")],
            strict=True,
        )
    )
    assert facts["Data centre"] == "us19"
    assert facts["Connected with"] == "API key"
    assert facts["Last verified"] == "just now"
    assert account.login_email in panel.get_text()
    assert key not in response.text


async def test_the_key_is_stored_only_as_ciphertext_and_never_audited(client, sandbox):
    owner = await make_organisation()
    key, _ = mailchimp_account(sandbox)
    await log_in(client, owner)
    await htmx(client, "POST", "/settings/mailchimp/api-key", data={"api_key": key})

    row = await MailchimpConnection.objects().first()
    assert row.secret
    assert key not in row.secret
    assert secret_box().decrypt(row.secret) == key
    audit_text = str(await AuditLog.select())
    assert key not in audit_text
    assert "mailchimp.connected" in audit_text
    for page in ("/settings/mailchimp", "/audit", "/api/v1/connection"):
        assert key not in (await client.get(page)).text


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("", "empty"),
        ("0123456789abcdef0123456789abcdef", "data-centre suffix"),
        ("0123456789abcdef0123456789abcdef-eu1", "data centre such as us6"),
        ("not-hex-at-all-us1", "32 lower-case hexadecimal"),
    ],
)
async def test_a_malformed_key_is_explained_inline_and_nothing_is_stored(client, key, words):
    owner = await make_organisation()
    await log_in(client, owner)

    response = await htmx(client, "POST", "/settings/mailchimp/api-key", data={"api_key": key})

    assert response.status_code == 400
    error = soup(response).select_one("#error-api_key")
    assert error is not None
    assert words in error.get_text()
    assert await MailchimpConnection.count() == 0


async def test_a_revoked_key_is_rejected_in_plain_words(client, sandbox):
    owner = await make_organisation()
    key, _ = mailchimp_account(sandbox, revoked=True)
    await log_in(client, owner)

    response = await htmx(client, "POST", "/settings/mailchimp/api-key", data={"api_key": key})

    assert response.status_code == 400
    assert "Mailchimp rejected this key" in soup(response).select_one("#error-api_key").get_text()
    assert await MailchimpConnection.count() == 0


async def test_an_unreachable_mailchimp_is_not_blamed_on_the_key(client, monkeypatch):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    monkeypatch.setattr(clients, "_transport", httpx.MockTransport(refuse))
    owner = await make_organisation()
    await log_in(client, owner)

    response = await htmx(
        client, "POST", "/settings/mailchimp/api-key", data={"api_key": new_api_key()}
    )

    assert response.status_code == 502
    alert = soup(response).select_one("[role=alert]").get_text()
    assert "couldn't reach Mailchimp" in alert
    assert soup(response).select_one("#error-api_key") is None
    assert await MailchimpConnection.count() == 0


async def test_verify_again_notices_a_revoked_key(client, sandbox):
    owner = await make_organisation()
    key, _ = mailchimp_account(sandbox)
    await log_in(client, owner)
    await htmx(client, "POST", "/settings/mailchimp/api-key", data={"api_key": key})
    sandbox.state.api_keys[key].revoked = True

    response = await htmx(client, "POST", "/settings/mailchimp/verify")

    panel = soup(response)
    assert panel.select_one(".badge").get_text(strip=True) == "needs attention"
    assert "rejected" in panel.select_one("[role=alert]").get_text()
    assert (await MailchimpConnection.objects().first()).status == "error"


async def test_reconnecting_replaces_the_connection_and_wipes_the_old_secret(client, sandbox):
    owner = await make_organisation()
    first, _ = mailchimp_account(sandbox, name="First")
    second, _ = mailchimp_account(sandbox, name="Second")
    await log_in(client, owner)
    await htmx(client, "POST", "/settings/mailchimp/api-key", data={"api_key": first})
    await htmx(client, "POST", "/settings/mailchimp/api-key", data={"api_key": second})

    rows = await MailchimpConnection.objects().order_by(MailchimpConnection.id)
    assert [r.account_name for r in rows] == ["First", "Second"]
    assert rows[0].soft_deleted_at is not None
    assert rows[0].secret == ""
    assert rows[1].soft_deleted_at is None
    assert await AuditLog.exists().where(AuditLog.action == "mailchimp.reconnected")


async def test_members_see_the_connection_but_cannot_change_it(client, sandbox):
    owner = await make_organisation()
    member = await add_person(owner, role="member")
    key, _ = mailchimp_account(sandbox)
    await log_in(client, member)

    page = soup(await client.get("/settings/mailchimp"))
    assert page.select_one("#field-api_key") is None
    response = await post_form(client, "/settings/mailchimp/api-key", {"api_key": key})
    assert response.status_code == 403
    assert await MailchimpConnection.count() == 0


async def test_the_panel_summarises_the_segments_by_sync_status(client, sandbox):
    owner = await make_organisation()
    lists = ("a1a1a1a1a1", "b2b2b2b2b2", "c3c3c3c3c3")
    await connect(owner, sandbox, audiences=[{"id": i, "name": f"List {i}"} for i in lists])
    await log_in(client, owner)
    empty = soup(await client.get("/settings/mailchimp")).select_one(".sync-summary")
    assert "No segments yet" in empty.get_text(" ", strip=True)

    made = [
        await segment_services.create(
            owner.principal,
            SegmentInput(name=f"Segment {i}", list_id=i, field_mapping={"FNAME": "first_name"}),
        )
        for i in lists
    ]
    assert (await sync(owner, made[0].id)).status == "completed"
    await Segment.update({Segment.status: SegmentStatus.error}).where(Segment.id == made[1].id)
    await segment_services.delete(owner.principal, made[2].id)

    summary = soup(await client.get("/settings/mailchimp")).select_one(".sync-summary")
    counts = {
        li.select_one(".badge").get_text(strip=True): li.get_text(" ", strip=True)
        for li in summary.select("li")
    }
    assert counts == {"synced": "synced 1 segment", "error": "error 1 segment"}
    assert "Last sync just now" in summary.get_text(" ", strip=True)
