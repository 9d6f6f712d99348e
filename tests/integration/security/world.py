"""Organisation A with at least one of everything that has an id in a URL, built through the
services the app uses; and organisation B, connected to its own Mailchimp account."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from app.domain.accounts.tables import ApiToken
from app.domain.campaigns import services as campaigns
from app.domain.contacts import imports
from app.domain.contacts.tables import ContactImport
from app.domain.inbound.tables import AudienceWebhook, EventHook, InboundEvent
from app.domain.preferences import erasure
from app.domain.preferences import services as preferences
from app.mailchimp.sandbox import Sandbox
from tests.contact_factories import DOMAIN, make_contact
from tests.factories import Member, add_person, make_organisation, make_token
from tests.fixtures.app import wait_until
from tests.integration.campaigns.sandbox_campaigns import sandbox_campaign
from tests.integration.inbound.helpers import settled
from tests.integration.inbound.product_helpers import event_hook, rule, send_signed
from tests.integration.preferences.helpers import erasure_ends
from tests.integration.segments.sync_helpers import AUDIENCE, FIELDS, make_segment, sync
from tests.mailchimp_factories import connect

A_NAME = "Aardvark Holdings"


@dataclass
class WorldA:
    owner: Member
    token: str
    mailchimp_key: str
    # Path parameter name -> A's value for it.
    ids: dict[str, int | str]
    # Words and addresses only A's data holds: none may reach B or an anonymous caller.
    markers: set[str] = field(default_factory=set)


async def _finished_import(owner: Member) -> int:
    csv = f"email,first_name,last_name\nyolanda.brisk@{DOMAIN},Yolanda,Brisk\nnot-an-address,X,Y\n"
    upload = imports.Upload(filename="aardvark-people.csv", file=io.BytesIO(csv.encode()))
    import_id = await imports.receive_and_start(owner.principal, upload)

    async def done():
        row = await ContactImport.select().where(ContactImport.id == import_id).first()
        return row["status"] in ("completed", "failed")

    await wait_until(done, timeout=60)
    return import_id


async def build_world_a(client, sandbox: Sandbox) -> WorldA:
    """`client` delivers A's product event (anonymous, signed with A's hook secret)."""
    owner = await make_organisation(A_NAME, email="olga.aardvark@aardvark-holdings.com")
    key, account = await connect(
        owner,
        sandbox,
        name="Aardvark Mailchimp",
        audiences=[{"id": AUDIENCE, "name": "Aardvark Staff", "merge_fields": FIELDS}],
    )
    people = [
        await make_contact(
            owner, first_name=first, last_name=last, email=f"{first}.{last}@{DOMAIN}".lower()
        )
        for first, last in (
            ("Zebulon", "Quixley"),
            ("Philippa", "Vantongeren"),
            ("Ermintrude", "Falk"),
        )
    ]
    segment = await make_segment(owner, name="Aardvark Night Shift")
    run = await sync(owner, segment.id)
    assert run.status == "completed", run.error
    member = await add_person(owner, role="member", email="mortimer.aardvark@aardvark-holdings.com")
    token = await make_token(owner, name="Aardvark warehouse robot")
    campaign = sandbox_campaign(account, title="Aardvark Autumn Mailing")
    tracked = await campaigns.track(owner.principal, campaign_id=campaign.id)
    hook_path, secret = await event_hook(owner)
    trigger = await rule(owner, "aardvark_trial_started", "tag", tags=["Aardvark trial"])
    response = await send_signed(
        client, hook_path, secret, {"event": "aardvark_trial_started", "email": people[0]["email"]}
    )
    assert response.status_code == 202, response.text
    await settled(sandbox, expected=1)
    await preferences.set_preference(
        owner.principal, people[1]["id"], status="opted_out", source="ui"
    )
    erased, _ = await erasure.request_erasure(owner.principal, people[2]["id"])
    await erasure_ends(owner, erased["id"], "done")
    import_id = await _finished_import(owner)

    organisation = owner.organisation.id
    webhook = (
        await AudienceWebhook.objects().where(AudienceWebhook.organisation == organisation).first()
    )
    hook = await EventHook.objects().where(EventHook.organisation == organisation).first()
    event = await InboundEvent.objects().where(InboundEvent.organisation == organisation).first()
    api_token = await ApiToken.objects().where(ApiToken.organisation == organisation).first()
    assert None not in (webhook, hook, event, api_token)
    ids: dict[str, int | str] = {
        "contact_id": people[0]["id"],
        "entity_id": people[0]["id"],
        "entity_type": "contact",
        "import_id": import_id,
        "segment_id": segment.id,
        "run_id": run.id,
        "tracking_id": tracked.id,
        "event_id": event.id,
        "rule_id": trigger.id,
        "erasure_id": erased["id"],
        "token_id": api_token.id,
        "user_id": member.user.id,
        "list_id": AUDIENCE,
        "webhook_ref": webhook.id,
        "public_id": hook.public_id,
        "organisation_id": organisation,  # named in the organisation switcher's form
    }
    markers = {
        A_NAME,
        owner.email,
        member.email,
        "Aardvark",  # in the segment, campaign, rule, token, account and audience names
        "yolanda.brisk",
        campaign.id,
        hook.public_id,
        api_token.prefix,
    }
    for person in people[:2]:
        markers |= {person["email"], person["first_name"], person["last_name"]}
    return WorldA(owner=owner, token=token, mailchimp_key=key, ids=ids, markers=markers)


async def build_org_b(sandbox: Sandbox) -> tuple[Member, str]:
    """B: its owner and an API token, connected to its own account (other audience ids)."""
    owner = await make_organisation("Borealis Outfitters", email="bea@borealis-outfitters.com")
    await connect(owner, sandbox, name="Borealis Mailchimp")
    return owner, await make_token(owner, name="Borealis script")
