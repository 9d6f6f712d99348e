"""In the demo, unsubscribing someone in the sandbox shows up in Listbridge within seconds."""

from __future__ import annotations

import json

from app.demo import seed_demo
from app.domain.inbound.tables import AudienceWebhook
from app.mailchimp.sandbox import DEMO_SEED
from app.mailchimp.sandbox.seed import apply_seed
from tests.fixtures.secrets import remember_secret
from tests.integration.inbound.helpers import member_status, settled


async def test_the_demo_listens_to_its_audiences_and_follows_an_unsubscribe(db, sandbox):
    document = json.loads(DEMO_SEED.read_text())
    apply_seed(sandbox.state, {"accounts": document["accounts"]})
    account = sandbox.account(document["accounts"][0]["api_key"])

    await seed_demo()
    await seed_demo()  # every start-up: still one webhook per audience

    for audience in account.audiences.values():
        assert len(audience.webhooks) == 1, audience.id
    rows = await AudienceWebhook.objects()
    for row in rows:
        remember_secret(row.url_secret)
    assert {row.status for row in rows} == {"registered"}
    employees = account.audiences["e7b2c91d04"]
    maren = next(m for m in employees.members.values() if m.email_address.startswith("maren"))
    from app.mailchimp.sandbox import control

    control.change_member(
        sandbox, account, employees.id, maren.subscriber_hash, {"action": "unsubscribe"}
    )
    events = await settled(sandbox, expected=1, timeout=5)

    assert [(e["type"], e["status"]) for e in events] == [("unsubscribe", "processed")]
    assert await member_status(maren.email_address, "e7b2c91d04") == "unsubscribed"
