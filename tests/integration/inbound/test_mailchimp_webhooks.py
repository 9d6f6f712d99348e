"""The sandbox fires real webhooks at the app, and the app's state follows Mailchimp."""

from __future__ import annotations

from app.domain.audit.tables import AuditLog
from app.domain.contacts import services as contacts
from app.domain.contacts.tables import Contact
from app.domain.inbound.tables import InboundEvent
from app.domain.segments import services as segments
from app.domain.segments.services import SegmentInput
from tests.contact_factories import make_contact
from tests.factories import log_in, soup
from tests.integration.inbound.helpers import change, member_status, settled, synced_audience
from tests.integration.segments.sync_helpers import AUDIENCE


async def test_a_subscriber_unsubscribing_in_mailchimp_unsubscribes_the_member_here(db, sandbox):
    _owner, key, _, people, _ = await synced_audience(sandbox)
    person = people[0]
    assert await member_status(person["email"]) == "subscribed"

    await change(sandbox, key, person["email"], "unsubscribe", source="user")
    events = await settled(sandbox, expected=1)

    assert [(e["type"], e["status"], e["source"]) for e in events] == [
        ("unsubscribe", "processed", "mailchimp")
    ]
    assert events[0]["email"] == person["email"]
    assert await member_status(person["email"]) == "unsubscribed"
    assert await member_status(people[1]["email"]) == "subscribed"
    assert "unsubscribed" in events[0]["outcome"]


async def test_an_admin_cleaning_an_address_flags_the_contact_unreachable(db, sandbox):
    owner, key, _, people, _ = await synced_audience(sandbox)
    person = people[1]

    await change(sandbox, key, person["email"], "clean", source="admin")
    await settled(sandbox, expected=1)

    assert await member_status(person["email"]) == "cleaned"
    flagged = await contacts.unreachable_since(owner.principal, person["id"])
    assert flagged is not None
    assert "cleaned" in flagged[1]
    assert await contacts.unreachable_since(owner.principal, people[0]["id"]) is None
    entry = await AuditLog.objects().where(AuditLog.action == "contact.unreachable").first()
    assert entry.actor_type == "webhook"


async def test_an_email_change_in_mailchimp_changes_the_contact_s_email(db, sandbox):
    owner, key, _account, people, _ = await synced_audience(sandbox)
    person = people[0]
    new_email = "renamed.person@bluefin-foods.com"

    await change(sandbox, key, person["email"], "change_email", new_email=new_email)
    events = await settled(sandbox, expected=1)

    assert [e["type"] for e in events] == ["upemail"]
    contact = await contacts.get_contact(owner.principal, person["id"])
    assert contact["email"] == new_email
    assert await member_status(new_email) == "subscribed"
    assert await member_status(person["email"]) is None


async def test_resubscribing_clears_the_unreachable_flag_and_restores_the_status(db, sandbox):
    _owner, key, _, people, _ = await synced_audience(sandbox, people=1)
    person = people[0]
    await change(sandbox, key, person["email"], "unsubscribe", source="user")
    await settled(sandbox, expected=1)

    await change(sandbox, key, person["email"], "resubscribe")
    await settled(sandbox, expected=2)

    assert await member_status(person["email"]) == "subscribed"


async def test_a_profile_edit_updates_only_the_fields_the_segment_maps(db, sandbox):
    owner, key, _, people, _ = await synced_audience(
        sandbox, people=1, field_mapping={"FNAME": "first_name", "DEPT": "department"}
    )
    person = people[0]

    await change(
        sandbox,
        key,
        person["email"],
        "edit_profile",
        merge_fields={"FNAME": "Renata", "LNAME": "Changed-In-Mailchimp", "DEPT": "Marketing"},
    )
    events = await settled(sandbox, expected=1)

    assert [e["type"] for e in events] == ["profile"]
    assert events[0]["payload"]["data"]["merges"]["LNAME"] == "Changed-In-Mailchimp"
    contact = await contacts.get_contact(owner.principal, person["id"])
    assert contact["first_name"] == "Renata"
    assert contact["department"] == "Marketing"
    assert contact["last_name"] == person["last_name"]  # LNAME is not mapped: left alone


async def test_a_profile_edit_does_not_undo_a_change_made_here_since_the_last_sync(db, sandbox):
    owner, key, _, people, _ = await synced_audience(
        sandbox, people=1, field_mapping={"FNAME": "first_name", "LNAME": "last_name"}
    )
    person = people[0]
    await contacts.update_contact(owner.principal, person["id"], {"last_name": "Married-Name"})

    # The person edits their first name in Mailchimp before our next sync: Mailchimp's webhook
    # carries every merge field, LNAME still holding what we sent before the change here.
    await change(sandbox, key, person["email"], "edit_profile", merge_fields={"FNAME": "Renata"})
    await settled(sandbox, expected=1)

    contact = await contacts.get_contact(owner.principal, person["id"])
    assert contact["first_name"] == "Renata"
    assert contact["last_name"] == "Married-Name"


async def test_a_profile_edit_leaves_a_field_we_never_filled_in_mailchimp_alone(db, sandbox):
    owner, key, _, people, made = await synced_audience(
        sandbox, people=1, field_mapping={"FNAME": "first_name"}
    )
    person = people[0]
    # LNAME is mapped only now: Mailchimp holds it empty until the next sync fills it.
    current = await segments.get(owner.principal, made.id)
    data = SegmentInput(**{f: getattr(current, f) for f in SegmentInput.__dataclass_fields__})
    data.field_mapping = {"FNAME": "first_name", "LNAME": "last_name"}
    await segments.update(owner.principal, made.id, data)

    await change(sandbox, key, person["email"], "edit_profile", merge_fields={"FNAME": "Renata"})
    await settled(sandbox, expected=1)

    contact = await contacts.get_contact(owner.principal, person["id"])
    assert contact["first_name"] == "Renata"
    assert contact["last_name"] == person["last_name"]  # not wiped by Mailchimp's empty LNAME


async def test_our_own_api_writes_do_not_echo_back(db, sandbox):
    _owner, _key, _, _people, _made = await synced_audience(sandbox)
    # The sync wrote every member through the API: no webhook was fired for those writes.
    await settled(sandbox)
    assert await InboundEvent.count() == 0
    deliveries = [d for d in sandbox.state.webhook_deliveries if d.list_id == AUDIENCE]
    assert deliveries == []


async def test_a_contact_page_shows_its_status_per_audience(client, sandbox):
    owner, key, _, people, _ = await synced_audience(sandbox, people=1)
    await change(sandbox, key, people[0]["email"], "unsubscribe", source="user")
    await settled(sandbox, expected=1)
    await log_in(client, owner)

    page = soup(await client.get(f"/contacts/{people[0]['id']}"))

    item = page.select_one(f"#contact-audiences li[data-list-id='{AUDIENCE}']")
    assert item.select_one(".badge").get_text(strip=True) == "Unsubscribed"
    assert "Staff" in item.get_text()
    assert (await Contact.count()) == 1


async def test_a_campaign_being_sent_refreshes_the_tracked_campaign(db, sandbox):
    from app.domain.campaigns import services as campaigns
    from app.domain.campaigns.tables import CampaignSnapshot, CampaignTracking
    from app.mailchimp.sandbox import control
    from tests.integration.campaigns.sandbox_campaigns import sandbox_campaign

    owner, _, account, _, _ = await synced_audience(sandbox, people=2)
    draft = sandbox_campaign(account, title="Launch news", status="save", emails_sent=0)
    untracked = sandbox_campaign(account, title="Not followed", status="save", emails_sent=0)
    tracked = await campaigns.track(owner.principal, campaign_id=draft.id)
    assert tracked.status == "save"

    control.send_campaign(sandbox, account, draft.id)
    control.send_campaign(sandbox, account, untracked.id)
    events = await settled(sandbox, expected=2)

    assert [(e["type"], e["status"]) for e in events] == [
        ("campaign", "processed"),
        ("campaign", "ignored"),
    ]
    row = await CampaignTracking.objects().get(CampaignTracking.id == tracked.id)
    assert row.status == "sent"
    assert row.emails_sent == 2
    webhook_snapshots = await CampaignSnapshot.count().where(
        (CampaignSnapshot.campaign == tracked.id) & (CampaignSnapshot.trigger == "webhook")
    )
    assert webhook_snapshots == 1


async def test_an_unsubscribe_in_mailchimp_is_recorded_as_the_contact_s_consent_choice(db, sandbox):
    from app.domain.preferences import services as preferences

    owner, key, _, people, _ = await synced_audience(sandbox)
    person = people[0]

    await change(sandbox, key, person["email"], "unsubscribe", source="user")
    await settled(sandbox, expected=1)

    preference = await preferences.get_preference(owner.principal, person["id"])
    assert preference["status"] == "opted_out"
    assert preference["consent_source"] == "mailchimp_webhook"
    assert preference["consent_withdrawn_at"] is not None
    assert await preferences.get_preference(owner.principal, people[1]["id"]) is None
    history = await preferences.history(owner.principal, person["id"])
    assert history[0]["actor_type"] == "webhook"


async def test_each_contact_row_in_the_list_shows_its_status_per_audience(client, sandbox):
    owner, key, _, people, _ = await synced_audience(sandbox, people=2)
    left, stayed = people
    await change(sandbox, key, left["email"], "unsubscribe")
    await settled(sandbox, expected=1)
    never_synced = await make_contact(owner, department="Support")
    await log_in(client, owner)

    page = soup(await client.get("/contacts"))

    def badges(contact: dict) -> list[str]:
        link = page.find("a", href=f"/contacts/{contact['id']}")
        cell = link.find_parent("td")
        return [item.get_text(strip=True) for item in cell.select(".audience-badges li")]

    assert badges(left) == ["Staff: unsubscribed"]
    assert badges(stayed) == ["Staff: subscribed"]
    assert badges(never_synced) == []
