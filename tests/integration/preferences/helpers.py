"""An organisation whose contacts are synced to two sandbox audiences, and waiting for jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.preferences import erasure
from app.domain.preferences.tables import PreferencePush
from app.domain.segments import services as segments
from app.domain.segments.services import SegmentInput
from app.mailchimp.sandbox import Sandbox
from app.mailchimp.sandbox.state import Account
from tests.factories import Member, make_organisation
from tests.fixtures.app import wait_until
from tests.integration.segments.sync_helpers import sync
from tests.mailchimp_factories import connect

EMPLOYEES = "emp0000001"
EVERYONE = "all0000001"
MAPPING = {"FNAME": "first_name", "LNAME": "last_name"}


@dataclass
class World:
    owner: Member
    key: str
    account: Account
    segment_ids: list[int]

    def member(self, list_id: str, email: str) -> Any:
        """The sandbox member with this address, or None."""
        for member in self.account.audiences[list_id].members.values():
            if member.email_address.lower() == email.lower():
                return member
        return None

    async def sync_all(self, mode: str = "incremental") -> None:
        for segment_id in self.segment_ids:
            run = await sync(self.owner, segment_id, mode)
            assert run.status == "completed", run.error


async def synced_world(
    sandbox: Sandbox, owner: Member | None = None, *, more_audiences: tuple[dict, ...] = ()
) -> World:
    """Employees go to one audience, everyone to another; nothing synced yet."""
    owner = owner or await make_organisation()
    key, account = await connect(
        owner,
        sandbox,
        audiences=[
            {"id": EMPLOYEES, "name": "Employees"},
            {"id": EVERYONE, "name": "Everyone", "double_optin": True},
            *more_audiences,
        ],
    )
    staff = await segments.create(
        owner.principal,
        SegmentInput(name="Staff", list_id=EMPLOYEES, field_mapping=MAPPING),
    )
    everyone = await segments.create(
        owner.principal,
        SegmentInput(
            name="All people", list_id=EVERYONE, segment_type="mixed", field_mapping=MAPPING
        ),
    )
    return World(owner=owner, key=key, account=account, segment_ids=[staff.id, everyone.id])


async def pushes_settled(contact_id: int) -> list[dict]:
    """Wait until no audience of the contact's changes is queued or retrying any more."""

    async def settled():
        rows = await PreferencePush.select().where(PreferencePush.contact_id == contact_id)
        busy = [row for row in rows if row["status"] in ("queued", "retrying")]
        return rows if rows and not busy else None

    return await wait_until(settled, timeout=30)


async def erasure_ends(owner: Member, erasure_id: int, status: str, *, timeout: float = 60) -> dict:
    async def ended():
        row = await erasure.get_erasure(owner.principal, erasure_id)
        return row if row["status"] == status else None

    return await wait_until(ended, timeout=timeout)
