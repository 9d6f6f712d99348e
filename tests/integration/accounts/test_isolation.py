"""One organisation never sees or touches another's tokens or audit trail."""

from __future__ import annotations

from app.domain.accounts import services
from app.domain.accounts.tables import ApiToken
from app.domain.audit.tables import AuditLog
from tests.factories import log_in, make_organisation, make_token, post_form


async def test_org_b_gets_404_for_org_a_s_token_and_it_stays_live(client):
    org_a = await make_organisation("A Corp")
    await make_token(org_a, "a-secret-pipeline")
    org_b = await make_organisation("B Corp")
    a_token = await ApiToken.objects().first()
    await log_in(client, org_b)

    response = await post_form(client, f"/settings/tokens/{a_token.id}/revoke")

    assert response.status_code == 404
    assert (await ApiToken.objects().get(ApiToken.id == a_token.id)).revoked_at is None
    assert "a-secret-pipeline" not in (await client.get("/settings/tokens")).text


async def test_org_b_never_sees_org_a_s_audit_rows(client):
    await make_organisation("A Corp", email="alice@a-corp.test")
    org_b = await make_organisation("B Corp")
    await log_in(client, org_b)

    page = await client.get("/audit")

    assert page.status_code == 200
    assert "alice@a-corp.test" not in page.text
    assert "A Corp" not in page.text
    assert await AuditLog.count() == 2  # both organisations' creation rows exist


async def test_org_b_cannot_change_org_a_s_members(client):
    org_a = await make_organisation("A Corp")
    org_b = await make_organisation("B Corp")
    await log_in(client, org_b)

    response = await post_form(client, f"/settings/team/{org_a.user.id}/remove")

    # A 404, like every other id of another organisation — not a redirect that reads as done.
    assert response.status_code == 404
    assert [m.email for m in await services.team(org_a.principal)] == [org_a.email]
