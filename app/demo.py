"""The demo organisation that `just run` seeds (LISTBRIDGE_DEMO=1). Safe to run repeatedly."""

from __future__ import annotations

import logging

from app.domain.accounts import services
from app.domain.accounts.tables import Organisation
from app.domain.contacts.demo import seed_demo_contacts

logger = logging.getLogger(__name__)

DEMO_ORGANISATION = "Northwind Traders (demo)"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "listbridge-demo"  # noqa: S105 - printed on purpose for the local demo
STAFF_EMAIL = "support@example.com"
STAFF_PASSWORD = "listbridge-staff"  # noqa: S105 - printed on purpose for the local demo


async def seed_demo() -> int:
    """Create the demo organisation, its owner and a support login, unless they exist."""
    if await Organisation.exists().where(Organisation.name == DEMO_ORGANISATION):
        return 0
    user, organisation = await services.signup(
        organisation_name=DEMO_ORGANISATION,
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        name="Dana Demo",
    )
    await seed_demo_contacts(await services.principal_for_user(user.id, organisation.id))
    if await services.find_user(STAFF_EMAIL) is None:
        await services.create_user(email=STAFF_EMAIL, password=STAFF_PASSWORD, staff=True)
    logger.info("seeded the demo organisation", extra={"organisation": DEMO_ORGANISATION})
    return 0
