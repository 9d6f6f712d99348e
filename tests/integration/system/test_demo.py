"""The demo organisation `just run` seeds: its login works and it is connected to the sandbox."""

from __future__ import annotations

import json

from app.demo import DEMO_EMAIL, DEMO_ORGANISATION, DEMO_PASSWORD, seed_demo
from app.domain.accounts.tables import Organisation
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
