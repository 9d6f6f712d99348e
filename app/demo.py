"""The demo organisation `just run` seeds (LISTBRIDGE_DEMO=1), connected to the sandbox.

Runs at app start-up, once the mounted sandbox can answer, and is safe to run repeatedly:
whatever already exists is left alone.
"""

from __future__ import annotations

import json
import logging

from app.domain.accounts import services
from app.domain.accounts.principal import Principal
from app.domain.accounts.tables import Organisation
from app.domain.campaigns.demo import seed_demo_campaigns
from app.domain.connections import services as connections
from app.domain.contacts.demo import seed_demo_contacts
from app.domain.inbound.demo import seed_demo_webhooks
from app.domain.segments.demo import seed_demo_segments
from app.settings import get_settings

logger = logging.getLogger(__name__)

DEMO_ORGANISATION = "Halden & Rowe (demo)"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "listbridge-demo"  # noqa: S105 - printed on purpose for the local demo
STAFF_EMAIL = "support@example.com"
STAFF_PASSWORD = "listbridge-staff"  # noqa: S105 - printed on purpose for the local demo


def _sandbox_api_key() -> str:
    from app.mailchimp.sandbox import DEMO_SEED

    return json.loads(DEMO_SEED.read_text())["accounts"][0]["api_key"]


async def _owner_principal() -> Principal | None:
    organisation = (
        await Organisation.objects().where(Organisation.name == DEMO_ORGANISATION).first()
    )
    user = await services.find_user(DEMO_EMAIL)
    if organisation is None or user is None:
        return None
    return await services.principal_for_user(user.id, organisation.id)


async def seed_demo() -> None:
    """Create the demo organisation, its owner and a support login, and connect Mailchimp."""
    principal = await _owner_principal()
    if principal is None:
        await services.signup(
            organisation_name=DEMO_ORGANISATION,
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            name="Dana Demo",
        )
        principal = await _owner_principal()
        assert principal is not None
    if await services.find_user(STAFF_EMAIL) is None:
        await services.create_user(email=STAFF_EMAIL, password=STAFF_PASSWORD, staff=True)
    # Only ever the offline sandbox: the demo key means nothing to the real Mailchimp.
    if get_settings().app.sandbox and await connections.current(principal) is None:
        await connections.connect_api_key(principal, api_key=_sandbox_api_key())
    await seed_demo_contacts(principal)
    if await connections.current(principal) is not None:
        await seed_demo_segments(principal)
    await seed_demo_campaigns(principal)
    if get_settings().app.sandbox:
        await seed_demo_webhooks(principal)
    logger.info("demo organisation ready", extra={"organisation": DEMO_ORGANISATION})
