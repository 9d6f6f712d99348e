"""One organisation's consent ledger and erasures never reach another's, even for the same
address: pages and API answer 404, and an erasure leaves the other organisation whole."""

from __future__ import annotations

from app.domain.audit.tables import AuditLog
from app.domain.contacts.tables import Contact
from app.domain.preferences import erasure, services
from app.domain.segments.tables import AudienceMember
from tests.contact_factories import make_contact
from tests.factories import bearer, htmx, log_in, make_organisation, make_token, post_form
from tests.integration.preferences.helpers import EMPLOYEES, erasure_ends, synced_world

SHARED = "kim.lee@bluefin-foods.com"


async def test_another_organisations_contacts_and_erasures_are_not_found(client, sandbox):
    mine = await make_organisation()
    theirs = await synced_world(sandbox)
    person = await make_contact(theirs.owner)
    await services.set_preference(
        theirs.owner.principal, person["id"], status="opted_out", source="ui"
    )
    started, _ = await erasure.request_erasure(
        theirs.owner.principal, (await make_contact(theirs.owner))["id"]
    )
    await log_in(client, mine)
    auth = bearer(await make_token(mine))
    pid = person["id"]

    for response in (
        await htmx(client, "GET", f"/preferences/contacts/{pid}/panel"),
        await client.get(f"/preferences/contacts/{pid}"),
        await client.get(f"/preferences/contacts/{pid}/erase"),
        await post_form(client, f"/preferences/contacts/{pid}", {"status": "opted_in"}),
        await post_form(client, f"/preferences/contacts/{pid}/erase"),
        await client.get(f"/preferences/erasures/{started['id']}"),
        await post_form(client, f"/preferences/erasures/{started['id']}/retry"),
        await client.get(f"/api/v1/preferences/contact/{pid}", headers=auth),
        await client.post(
            f"/api/v1/preferences/contact/{pid}", json={"status": "opted_in"}, headers=auth
        ),
        await client.get(f"/api/v1/gdpr/erasures/{started['id']}", headers=auth),
        await client.post(
            "/api/v1/gdpr/erasures", json={"entity_type": "contact", "entity_id": pid}, headers=auth
        ),
    ):
        assert response.status_code == 404, (response.request.url, response.status_code)
    assert (await client.get("/api/v1/preferences", headers=auth)).json()["items"] == []
    assert (await client.get("/api/v1/gdpr/erasures", headers=auth)).json()["items"] == []
    listing = await client.get("/preferences")
    assert person["email"] not in listing.text
    preference = await services.get_preference(theirs.owner.principal, pid)
    assert preference["status"] == "opted_out"


async def test_erasing_a_person_leaves_the_same_address_in_another_organisation(db, sandbox):
    first = await synced_world(sandbox)
    second = await synced_world(sandbox)
    gone = await make_contact(first.owner, email=SHARED, first_name="Kim", last_name="Lee")
    kept = await make_contact(second.owner, email=SHARED, first_name="Kim", last_name="Lee")
    await first.sync_all()
    await second.sync_all()
    await services.set_preference(
        second.owner.principal, kept["id"], status="opted_out", source="ui"
    )

    started, _ = await erasure.request_erasure(first.owner.principal, gone["id"])
    await erasure_ends(first.owner, started["id"], "done")

    assert first.member(EMPLOYEES, SHARED) is None
    assert second.member(EMPLOYEES, SHARED) is not None
    other = await Contact.objects().get(Contact.id == kept["id"])
    assert (other.email, other.first_name, other.soft_deleted_at) == (SHARED, "Kim", None)
    assert await AudienceMember.exists().where(
        (AudienceMember.organisation == second.owner.organisation.id)
        & (AudienceMember.email == SHARED)
    )
    created = await (
        AuditLog.objects()
        .where(
            (AuditLog.organisation == second.owner.organisation.id)
            & (AuditLog.action == "contact.created")
        )
        .output(load_json=True)
        .first()
    )
    assert created.changes["email"] == SHARED
    assert (await services.get_preference(second.owner.principal, kept["id"]))[
        "status"
    ] == "opted_out"


async def test_an_opt_out_in_one_organisation_does_not_hold_back_another(db, sandbox):
    first = await synced_world(sandbox)
    second = await synced_world(sandbox)
    out = await make_contact(first.owner, email=SHARED)
    await make_contact(second.owner, email=SHARED)
    await services.set_preference(first.owner.principal, out["id"], status="opted_out", source="ui")

    await first.sync_all()
    await second.sync_all()

    assert first.member(EMPLOYEES, SHARED) is None
    assert second.member(EMPLOYEES, SHARED).status == "subscribed"
